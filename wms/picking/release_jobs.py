"""Releasing many orders at once as a background job, in short transactions.

A release of up to JOBS_RELEASE_IMMEDIATE_MAX (200) candidate orders runs in the request, in one
transaction (waves.release_waves). A larger one is a job of kind ``picking.release`` (for holders of
picking.manage in the warehouse): it plans once, outside any write transaction, keeps the plan in
the job's file ``job-<id>.plan.json``, then releases it one step per transaction:

- a wave's start: the wave row, still `planned` (the floor sees only released waves);
- each of its carts: the cart's orders locked in id order and read again (an order held, cancelled or
  waved meanwhile is skipped and reported), its pick list, tasks, and the orders to `picking`;
- the wave's end: `planned -> released`, replenishment for its demand, the board told after commit.

Each step's progress (with the resume point) commits with the step, so a job whose worker was killed
resumes at the next step and never releases an order or a cart twice; a wave left empty by skips is
cancelled. On SQLite the job pauses JOBS_CHUNK_PAUSE_SECONDS between steps so scans get the lock.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, fields
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, or_, select

from erp_core.db import atomic, end_transaction, on_commit
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from erp_core.jobs.models import Job
from erp_core.jobs.runner import JobRun
from erp_core.jobs.services import enqueue, file_name, files_dir, job_kind, write_job_file
from erp_core.models_base import utcnow
from erp_core.orders.models import Order
from erp_core.sequences import next_reference
from erp_core.statemachine import compare_and_set
from wms.locations.layout import warehouse_geometry
from wms.locations.replenishment import replenish_for_demand

from . import events
from .models import WAVE_TRANSITIONS, PickTask, Wave, WaveOrder
from .planning import WaveRules
from .waves import CartPlan, _Floor, _load_floor, _order_rows, _plan, _zones_of_aisles, create_list, free_put_wall_slots

KIND = "picking.release"
PERMISSION = "picking.manage"


def immediate_limit() -> int:
    """Releases of at most this many candidate orders run in the request."""
    return int(current_app.config.get("JOBS_RELEASE_IMMEDIATE_MAX", 200))


def _candidates(warehouse_id: int):
    return select(Order.id).where(Order.warehouse_id == warehouse_id, Order.status == "released",
                                  Order.id.not_in(select(WaveOrder.order_id)))


def candidate_count(warehouse_id: int) -> int:
    """How many released orders of the warehouse are in no wave yet (what a release would plan over)."""
    return db.session.scalar(select(func.count()).select_from(_candidates(warehouse_id).subquery()))


def rules_to_args(rules: WaveRules) -> dict:
    values = asdict(rules)
    values["carriers"], values["channels"] = sorted(rules.carriers), sorted(rules.channels)
    values["ship_by_until"] = rules.ship_by_until.isoformat() if rules.ship_by_until else None
    return values


def rules_from_args(values: dict) -> WaveRules:
    known = {f.name for f in fields(WaveRules)}
    values = {k: v for k, v in values.items() if k in known}
    values["carriers"], values["channels"] = frozenset(values["carriers"]), frozenset(values["channels"])
    if values.get("ship_by_until"):
        values["ship_by_until"] = datetime.fromisoformat(values["ship_by_until"])
    return WaveRules(**values)


def start_release_job(warehouse_id: int, rules: WaveRules, *, user_id: int | None) -> Job:
    """Queue the release; the same rules over the same candidate orders submitted twice is one job."""
    ids = list(db.session.scalars(_candidates(warehouse_id).order_by(Order.id)))
    args = {"warehouse_id": warehouse_id, "rules": rules_to_args(rules), "candidates": len(ids)}
    digest = hashlib.sha256(json.dumps([args["rules"], ids]).encode()).hexdigest()[:24]
    return enqueue(KIND, args, user_id=user_id, permission=PERMISSION, warehouse_id=warehouse_id,
                   key=f"{KIND}:{user_id}:{warehouse_id}:{digest}")


def release_job_title(args: dict) -> str:
    return _("Wave release: %(count)d orders", count=args["candidates"])


def _make_plan(job: JobRun) -> dict:
    """Plan over a plain read (no write lock) and keep the plan in the job's plan file."""
    warehouse_id = job.args["warehouse_id"]
    plan = _plan(_load_floor(warehouse_id), warehouse_id, rules_from_args(job.args["rules"]))
    end_transaction()
    saved = {"waves": [{"kind": w.kind, "order_ids": list(w.order_ids), "distance_m": w.distance_m,
                        "minutes": w.minutes, "carts": [asdict(CartPlan.of(c)) for c in w.carts]} for w in plan.waves],
             "excluded": {str(k): v for k, v in plan.excluded.items()}}
    write_job_file(job.id, ".plan.json", json.dumps(saved).encode())
    return saved


def _steps(plan: dict) -> list[tuple[int, int | str]]:
    """(wave index, what) per step: the wave's "start", each of its carts (their index), its "end"."""
    steps: list[tuple[int, int | str]] = []
    for w, wave in enumerate(plan["waves"]):
        steps += [(w, "start"), *((w, c) for c in range(len(wave["carts"]))), (w, "end")]
    return steps


@job_kind(KIND, title=release_job_title)
def run_release_job(job: JobRun) -> dict:
    warehouse_id, user_id = job.args["warehouse_id"], job.user_id
    plan_path = files_dir() / file_name(job.id, ".plan.json")
    if job.state.get("planned") and plan_path.is_file():
        plan = json.loads(plan_path.read_text())
    else:
        plan = _make_plan(job)
        job.progress(0, len(_steps(plan)), planned=True, step=0, wave_ids={}, skipped={}, demand={})
    steps = _steps(plan)
    rules = job.args["rules"]
    floor = _Floor({}, _zones_of_aisles(warehouse_id), warehouse_geometry(warehouse_id))
    end_transaction()
    pause = float(current_app.config.get("JOBS_CHUNK_PAUSE_SECONDS", 0.1)) if db.engine.dialect.name == "sqlite" else 0
    state = job.state
    step = int(state.get("step", 0))
    wave_ids: dict[str, int] = dict(state.get("wave_ids", {}))
    skipped: dict[str, str] = dict(state.get("skipped", {}))
    demand: dict[str, dict[str, int]] = {k: dict(v) for k, v in state.get("demand", {}).items()}
    slots: dict[str, list[int]] = dict(state.get("slots", {}))
    while step < len(steps):
        w, what = steps[step]
        proposal, key = plan["waves"][w], str(w)
        with atomic():
            # One release step per warehouse at a time (and never inside an immediate release).
            db.session.execute(select(Warehouse.id).where(Warehouse.id == warehouse_id).with_for_update())
            if what == "start":
                wave = Wave(reference=next_reference("W"), warehouse_id=warehouse_id, kind=proposal["kind"],
                            status="planned", rules=json.dumps(rules, default=str),
                            estimated_distance_m=proposal["distance_m"], estimated_minutes=proposal["minutes"],
                            created_by_id=user_id)
                db.session.add(wave)
                db.session.flush()
                wave_ids[key] = wave.id
                if wave.kind == "batch_sort":
                    slots[key] = free_put_wall_slots(warehouse_id, len(proposal["order_ids"]))
            elif what == "end":
                _finish_wave(db.session.get(Wave, wave_ids[key]), demand.get(key, {}))
            else:
                cart = proposal["carts"][what]
                _release_cart(db.session.get(Wave, wave_ids[key]), int(what), CartPlan(
                    **{**cart, "order_ids": tuple(cart["order_ids"]), "stops": tuple(cart["stops"])}),
                    floor, slots.get(key), demand.setdefault(key, {}), skipped, user_id)
            step += 1
            job.progress(step, len(steps), step=step, wave_ids=wave_ids, skipped=skipped, demand=demand, slots=slots)
        if pause:
            time.sleep(pause)
    plan_path.unlink(missing_ok=True)
    released = list(db.session.scalars(select(Wave.id).where(Wave.id.in_(wave_ids.values()),
                                                             Wave.status == "released").order_by(Wave.id)))
    orders = db.session.scalar(select(func.count(WaveOrder.id)).where(WaveOrder.wave_id.in_(released))) or 0
    end_transaction()
    return {"waves": len(released), "released_wave_ids": released, "orders": orders,
            "excluded_count": len(plan["excluded"]) + len(skipped), "skipped": skipped, "done": orders,
            "refused_count": len(plan["excluded"]) + len(skipped)}


def _release_cart(wave: Wave, sequence: int, cart: CartPlan, floor: _Floor, wall_slots: list[int] | None,
                  demand: dict[str, int], skipped: dict[str, str], user_id: int | None) -> None:
    """One cart of a planned wave: its orders still released and in no other wave (or already in this
    one: zone picking puts an order on several carts) are locked, read again and put on its list."""
    in_other_waves = select(WaveOrder.order_id).where(WaveOrder.wave_id != wave.id)
    floor.orders = _order_rows(Order.id.in_(cart.order_ids), Order.id.not_in(in_other_waves), or_(
        Order.status == "released", Order.id.in_(select(WaveOrder.order_id).where(WaveOrder.wave_id == wave.id))),
        lock=True)
    for order_id in cart.order_ids:
        if order_id not in floor.orders:
            skipped[str(order_id)] = "changed_meanwhile"
    placed = {row.order_id: row for row in db.session.scalars(select(WaveOrder).where(WaveOrder.wave_id == wave.id))}
    rows = create_list(wave, sequence + 1, cart, floor, placed, wall_slots, user_id)
    if rows:
        db.session.execute(insert(PickTask.__table__), rows)
    for row in rows:
        demand[str(row["sku_id"])] = demand.get(str(row["sku_id"]), 0) + row["quantity"]


def _finish_wave(wave: Wave, demand: dict[str, int]) -> None:
    """The wave's end: released to the floor (or cancelled when every order of it was skipped)."""
    if wave.status != "planned":
        return
    if db.session.scalar(select(func.count(WaveOrder.id)).where(WaveOrder.wave_id == wave.id)) == 0:
        compare_and_set(wave, "cancelled", WAVE_TRANSITIONS, what=f"wave {wave.reference}", code="wave_status_conflict",
                        details={"wave": wave.reference})
        return
    compare_and_set(wave, "released", WAVE_TRANSITIONS, what=f"wave {wave.reference}", code="wave_status_conflict",
                    details={"wave": wave.reference}, released_at=utcnow())
    if demand:
        replenish_for_demand(wave.warehouse_id, {int(k): v for k, v in demand.items()}, reference=wave.reference)
    warehouse_id, wave_id = wave.warehouse_id, wave.id
    on_commit(lambda: events.waves_released(warehouse_id, [wave_id]))
