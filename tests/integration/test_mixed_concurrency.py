"""The mixed run: 20 worker threads, each with its own app context and connection, doing thousands of
office, API and floor operations at once over one world, then every stock invariant checked.

Each operation either succeeds or is refused with a DomainError (a clean refusal, counted by code);
anything else (an exception that is not a DomainError, an HTTP 5xx) is a failure. At the end there must
be no failure and no broken invariant (tests/invariants.py).

The figures (operations, successes, refusals by code, elapsed seconds, operations per second) are
printed (run with -s to see them) and kept in the test's user_properties. MIXED_OPS sets the number of
operations (default 3000), MIXED_SEED the random seed.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.concurrency import Outcome, race, run_call, where_it_failed
from tests.invariants import stock_violations

OPERATIONS = int(os.environ.get("MIXED_OPS", "3000"))
SEED = int(os.environ.get("MIXED_SEED", "20240601"))
WORKERS = 20
PICKERS = 4  # five workers share each picker's handheld: the floor's double submits
SKUS = 20
BINS_PER_SKU = 3  # per warehouse: 20 SKUs x 3 = 60 quants over each warehouse's 30 bins
PROVINCES = ("上海", "上海", "广东省", "广东省", "浙江省")
WEIGHTS = {  # how often each operation is chosen
    "push": 15, "push_again": 5, "audit_twice": 12, "approve": 6, "cancel": 2, "hold": 2, "adjust": 8,
    "release_waves": 5, "pick": 40, "short": 4,
}

HTTP_OPERATIONS = frozenset({"push", "push_again"})

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
def mixed_world(app, users):
    """SH1 (上海) and SZ1 (广东省), 30 pick bins each; 20 SKUs, each in 3 bins of each warehouse with 30
    units; the Tmall channel; 4 pickers; an API token of the supervisor."""
    from erp_core.auth.services import create_api_token, create_user
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from tests.conftest import PASSWORD
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout

    with app.app_context():
        world = {"warehouses": [], "bins": []}
        for code, province in (("SH1", "上海"), ("SZ1", "广东省")):
            wh = create_warehouse(code, code, province=province)
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=15, levels=1),)))
            world["warehouses"].append(wh.id)
            world["bins"].append(list(db.session.scalars(
                select(Location.id).filter_by(warehouse_id=wh.id, kind="bin").order_by(Location.id))))
        db.session.add(Channel(code="TM", name="Tmall", platform="tmall"))
        db.session.commit()
        world["skus"] = {}
        for n in range(SKUS):
            sku = create_sku(f"S{n:02d}", f"Item {n}", barcodes=[f"BC-S{n:02d}"])
            world["skus"][sku.code] = sku.id
            for bins in world["bins"]:
                for k in range(BINS_PER_SKU):
                    receive(sku.id, bins[(n + k * SKUS) % len(bins)], 30)
        world["pickers"] = [create_user(f"picker{i}", PASSWORD, "picker", badge=f"BADGE-MIX-{i}").id
                            for i in range(PICKERS)]
        _record, world["token"] = create_api_token(users["supervisor"], "mixed run", users["admin"])
        world["supervisor"] = users["supervisor"]
        db.session.remove()
    return world


@dataclass
class Figures:
    """What happened, shared by the workers (under a lock)."""

    target: int
    by_operation: Counter = field(default_factory=Counter)
    successes: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    server_errors: int = 0
    seconds: Counter = field(default_factory=Counter)  # wall time spent in each kind of operation
    claims: int = 0  # pick_list_for calls: the handheld asking for its list, not counted as operations
    stuck: set = field(default_factory=set)  # tasks that could neither be picked nor reported short
    lock: threading.Lock = field(default_factory=threading.Lock)

    def more(self) -> bool:
        """True while fewer operations than the target have been done."""
        with self.lock:
            return sum(self.by_operation.values()) < self.target

    def record(self, operation: str, outcome: Outcome, seconds: float = 0.0) -> None:
        with self.lock:
            self.by_operation[operation] += 1
            self.seconds[operation] += seconds
            if outcome.kind == "ok":
                self.successes[operation] += 1
            elif outcome.kind == "refused":
                self.refusals[f"{outcome.status} {outcome.code}"] += 1
            else:
                self.failures.append(f"{operation}: {where_it_failed(outcome)}")

    def record_http(self, operation: str, status: int, body: dict | None, seconds: float) -> None:
        with self.lock:
            self.by_operation[operation] += 1
            self.seconds[operation] += seconds
            if status < 400:
                self.successes[operation] += 1
            elif status < 500:
                self.refusals[f"{status} {(body or {}).get('code', '')}"] += 1
            else:
                self.server_errors += 1
                self.failures.append(f"{operation}: HTTP {status} {json.dumps(body, ensure_ascii=False)[:300]}")

    def count_claim(self) -> None:
        with self.lock:
            self.claims += 1

    @property
    def operations(self) -> int:
        return sum(self.by_operation.values())


class Worker:
    """One thread: a loop of randomly chosen operations until the run's target is reached."""

    _orders = itertools.count(1)

    def __init__(self, app, n: int, world: dict, figures: Figures, pushed: list, pushed_lock: threading.Lock):
        self.app, self.n, self.world, self.figures = app, n, world, figures
        self.rng = random.Random(SEED * 100 + n)
        self.picker = world["pickers"][n % PICKERS]
        self.pushed, self.pushed_lock = pushed, pushed_lock
        self.client = None

    def run(self) -> None:
        from erp_core.extensions import db

        self.client = self.app.test_client()
        names, weights = zip(*WEIGHTS.items(), strict=True)
        while self.figures.more():
            operation = self.rng.choices(names, weights)[0]
            if operation in HTTP_OPERATIONS:
                # a request brings its own app context, as in the server (one per request)
                getattr(self, operation)()
                continue
            with self.app.app_context():  # one per operation: its own session, like a request
                try:
                    getattr(self, operation)()
                except Exception as error:  # noqa: BLE001  (a failure of the read that chose the target)
                    self.figures.record(operation, Outcome("error", error=error))
                finally:
                    db.session.remove()

    # --- reads that choose what to act on (each ends its read transaction) -------------------------

    def _random_order(self, *statuses: str) -> int | None:
        from erp_core.extensions import db
        from erp_core.orders.models import Order

        order_id = db.session.scalar(select(Order.id).where(Order.status.in_(statuses))
                                     .order_by(func.random()).limit(1))
        db.session.rollback()
        return order_id

    def _call(self, operation: str, job) -> Outcome:
        began = time.perf_counter()
        outcome = run_call(job)
        self.figures.record(operation, outcome, time.perf_counter() - began)
        return outcome

    # --- the operations ---------------------------------------------------------------------------

    def push(self) -> None:
        number = next(self._orders)
        lines = [{"sku": f"S{self.rng.randrange(SKUS):02d}", "quantity": self.rng.randint(1, 3),
                  "unit_price": "25.00"} for _ in range(self.rng.randint(1, 3))]
        body = {"channel": "TM", "external_id": f"MX-{number}", "ship_name": "王芳",
                "ship_phone": f"138{number:08d}", "ship_province": self.rng.choice(PROVINCES),
                "ship_city": "某市", "ship_address": "中山路 100 号", "lines": lines,
                "paid_at": datetime.now(UTC).isoformat()}
        if self.rng.random() < 0.1:
            body["buyer_note"] = "请用顺丰"  # held at audit: something to approve by hand
        key = f"mx-{number}"
        with self.pushed_lock:
            self.pushed.append((key, body))
        self._post("push", key, body)

    def push_again(self) -> None:
        """A channel retrying a recent push (same key, same body): a replay, never a second order."""
        with self.pushed_lock:
            recent = self.pushed[-30:]
        if not recent:
            return self.push()
        key, body = self.rng.choice(recent)
        self._post("push_again", key, body)

    def _post(self, operation: str, key: str, body: dict) -> None:
        began = time.perf_counter()
        try:
            response = self.client.post("/api/v1/orders", json=body, headers={
                "Authorization": f"Bearer {self.world['token']}", "Idempotency-Key": key})
        except Exception as error:  # noqa: BLE001  (the test client re-raises what the app did not handle)
            self.figures.record(operation, Outcome("error", error=error))
            return
        self.figures.record_http(operation, response.status_code, response.get_json(silent=True),
                                 time.perf_counter() - began)

    def audit_twice(self) -> None:
        """The audit button pressed twice (or by two clerks): both calls at the same moment."""
        from erp_core.orders.workflow import audit_order

        order_id = self._random_order("pending")
        if order_id is None:
            return self.approve()
        began = time.perf_counter()
        outcomes = race(self.app, lambda: audit_order(order_id).status, lambda: audit_order(order_id).status)
        for outcome in outcomes:
            self.figures.record("audit", outcome, (time.perf_counter() - began) / len(outcomes))

    def approve(self) -> None:
        from erp_core.orders.workflow import approve_order

        order_id = self._random_order("held", "backordered", "pending")
        if order_id is not None:
            self._call("approve", lambda: approve_order(order_id).status)

    def cancel(self) -> None:
        from erp_core.orders.services import cancel_order

        order_id = self._random_order("pending", "held", "backordered", "released")
        if order_id is not None:
            self._call("cancel", lambda: cancel_order(order_id, "buyer asked").status)

    def hold(self) -> None:
        from erp_core.orders.workflow import hold_order

        order_id = self._random_order("pending", "released")
        if order_id is not None:
            self._call("hold", lambda: hold_order(order_id, "call the buyer").status)

    def adjust(self) -> None:
        from erp_core.inventory.services import adjust_counted

        bins = self.world["bins"][self.rng.randrange(2)]
        n = self.rng.randrange(SKUS)
        # mostly a bin the SKU lives in, sometimes one where the books have none
        location = bins[(n + self.rng.randrange(BINS_PER_SKU) * SKUS) % len(bins)] if self.rng.random() < 0.85 \
            else self.rng.choice(bins)
        counted = self.rng.randint(0, 40)
        sku = self.world["skus"][f"S{n:02d}"]
        self._call("adjust", lambda: adjust_counted(sku, location, counted, reason_code="count_correction",
                                                    note="mixed run"))

    def release_waves(self) -> None:
        from wms.picking.planning import WaveRules
        from wms.picking.waves import release_waves

        warehouse = self.rng.choice(self.world["warehouses"])
        rules = WaveRules(cart_items=10, cart_slots=4, max_orders=20)
        self._call("release_waves", lambda: [w.reference for w in release_waves(warehouse, rules)[0]])

    def _next_task(self):
        """The next open task of this picker's list (claiming a list when the picker has none).

        A task that could neither be picked nor reported short is stuck; a list left with only stuck
        tasks is taken back by the supervisor (so the floor goes on with the next list)."""
        from erp_core.extensions import db
        from wms.picking.services import assign_list, pick_list_for

        claim = run_call(lambda: pick_list_for(self.picker, None))
        if claim.kind != "ok":
            self.figures.record("claim_list", claim)
            return None
        self.figures.count_claim()
        pick_list = claim.value
        if pick_list is None:
            return None
        open_tasks = [t for t in pick_list.tasks if t.status == "open"]
        task = next((t for t in open_tasks if t.id not in self.figures.stuck), None)
        if task is None:
            if open_tasks:
                list_id = pick_list.id
                self._call("take_back", lambda: assign_list(list_id, self.world["supervisor"]).id)
            return None
        found = {"id": task.id, "bin": task.location.barcode, "item": f"BC-{task.sku.code}",
                 "remaining": task.quantity - task.picked_quantity - task.short_quantity}
        db.session.rollback()
        return found

    def pick(self) -> None:
        from wms.picking.services import confirm_pick

        task = self._next_task()
        if task is None:
            return
        outcome = self._call("pick", lambda: confirm_pick(task["id"], bin_scan=task["bin"], item_scan=task["item"],
                                                          quantity=1, user_id=self.picker).id)
        if outcome.kind == "error" or outcome.code in {"bin_empty", "reservation_missing"}:
            # what a picker does at a bin the handheld calls empty: report the task short
            self._short(task, found=0)

    def short(self) -> None:
        task = self._next_task()
        if task is not None:
            self._short(task, found=self.rng.randint(0, max(task["remaining"] - 1, 0)))

    def _short(self, task: dict, found: int) -> None:
        from wms.picking.services import report_short

        outcome = self._call("short", lambda: report_short(task["id"], found=found, user_id=self.picker).id)
        if not outcome.ok:
            with self.figures.lock:
                self.figures.stuck.add(task["id"])


def test_twenty_workers_mixing_office_api_and_floor_operations_break_no_invariant(app, mixed_world, request):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking.models import PickTask, Wave

    figures = Figures(target=OPERATIONS)
    pushed: list = []
    pushed_lock = threading.Lock()
    workers = [Worker(app, n, mixed_world, figures, pushed, pushed_lock) for n in range(WORKERS)]
    threads = [threading.Thread(target=w.run, daemon=True, name=f"mixed-{w.n}") for w in workers]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=480)
    elapsed = time.perf_counter() - began
    hung = sum(t.is_alive() for t in threads)

    with app.app_context():
        violations = stock_violations()
        statuses = dict(db.session.execute(select(Order.status, func.count(Order.id)).group_by(Order.status)).all())
        waves = db.session.scalar(select(func.count(Wave.id)))
        picked = db.session.scalar(select(func.coalesce(func.sum(PickTask.picked_quantity), 0)))
        held_for = Counter(reason for (reasons,) in db.session.execute(
            select(Order.hold_reason).filter_by(status="held")) for reason in reasons.split(";"))
        backend = db.engine.dialect.name
        db.session.rollback()

    report = {
        "backend": backend,
        "workers": WORKERS, "operations": figures.operations, "successes": sum(figures.successes.values()),
        "refusals": sum(figures.refusals.values()), "failures": len(figures.failures),
        "http_5xx": figures.server_errors, "elapsed_s": round(elapsed, 1),
        "ops_per_s": round(figures.operations / elapsed, 1), "violations": len(violations),
        "violations_by_kind": dict(Counter(v.split(":", 1)[0] for v in violations).most_common()),
        "by_operation": dict(figures.by_operation.most_common()),
        "successes_by_operation": dict(figures.successes.most_common()),
        "refusals_by_code": dict(figures.refusals.most_common()),
        "ms_per_operation": {k: round(1000 * v / figures.by_operation[k]) for k, v in figures.seconds.most_common()},
        "orders_by_status": statuses, "held_for": dict(held_for.most_common()),
        "waves": waves, "units_picked": int(picked), "list_claims": figures.claims,
        "stuck_tasks": len(figures.stuck), "hung_threads": hung,
    }
    request.node.user_properties.append(("mixed_run", report))
    print("\nmixed run:", json.dumps(report, ensure_ascii=False, indent=1))
    failures = Counter(f.split(" <- ")[0][:160] for f in figures.failures)
    print("failures by kind:", json.dumps(failures.most_common(15), ensure_ascii=False, indent=1))
    print("first failures:", "\n".join(figures.failures[:5]))
    print("violations:", "\n".join(violations[:20]))

    assert hung == 0, f"{hung} worker threads did not finish"
    assert figures.operations >= OPERATIONS
    assert not figures.failures and not violations, (
        f"{len(figures.failures)} failed operations ({figures.server_errors} HTTP 5xx) of {figures.operations}, "
        f"{len(violations)} invariant violations.\nFailures by kind: {failures.most_common(8)}\n"
        f"First violations:\n" + "\n".join(violations[:15]))
