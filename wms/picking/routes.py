"""Wave planning and the live wave board (office), and picking by scan (handheld)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.auth.models import User
from erp_core.auth.object_access import require_warehouse_of, warehouse_of_arg
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from erp_core.models_base import utcnow
from wms.handheld import HandheldTask, handheld_commands, register_task, scan_refused, scan_result

from . import board as live_board
from . import interrupts, pick_steps, put_wall, release_jobs, scan_services, services, sort_steps, stops
from . import waves as wave_releases
from .board_charts import board_charts
from .events import wave_progress
from .models import PickList, PickTask, Wave
from .pick_steps import PickState
from .planning import WaveRules
from .sort_steps import SortState

bp = Blueprint("picking", __name__)
register_task(HandheldTask("picking.pick", _l("Pick"), "picking.work", "cart"))
register_task(HandheldTask("picking.sort", _l("Put wall"), "sorting.work", "wall"))

REASON_LABELS = {"not_reserved": _l("stock not reserved on bins"), "larger_than_cart": _l("larger than a cart"),
                 "wave_full": _l("wave is full")}


def _warehouses() -> list[Warehouse]:
    allowed = current_user.warehouse_ids()
    rows = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)).all()
    return [w for w in rows if allowed is None or w.id in allowed]


def _rules(form) -> WaveRules:
    def words(name: str) -> frozenset[str]:
        return frozenset(w.strip() for w in form.get(name, "").split(",") if w.strip())

    def number(name: str, default: int) -> int:
        value = form.get(name, "").strip()
        return int(value) if value.isdigit() else default

    cutoff = None
    if form.get("ship_by_until"):
        cutoff = datetime.fromisoformat(form["ship_by_until"]).replace(tzinfo=UTC)
    mode = form.get("multi_item_mode", "cluster")
    return WaveRules(
        carriers=words("carriers"), channels=words("channels"), ship_by_until=cutoff,
        min_priority=int(form["min_priority"]) if form.get("min_priority", "").lstrip("-").isdigit() else None,
        max_orders=number("max_orders", 200), max_lines=number("max_lines", 2000),
        cart_items=number("cart_items", 45), cart_slots=number("cart_slots", 12),
        bulk_sku_threshold=number("bulk_sku_threshold", 10),
        cart_weight_g=number("cart_weight_kg", 0) * 1000 or None,
        cart_volume_cm3=number("cart_volume_l", 0) * 1000 or None,
        multi_item_mode=mode if mode in ("cluster", "batch_sort", "zone") else "cluster")


def _warehouse_from(form) -> Warehouse:
    warehouse_id = form.get("warehouse_id", type=int) or 0
    require_warehouse_of("warehouse", warehouse_id)
    return db.session.get(Warehouse, warehouse_id)


@bp.route("/waves")
@requires("picking.manage")
def waves():
    warehouses = _warehouses()
    wh_ids = [w.id for w in warehouses]
    rows = db.session.scalars(select(Wave).where(Wave.warehouse_id.in_(wh_ids))
                              .order_by(Wave.id.desc()).limit(50)).all()
    return render_template("picking/waves.html", waves=[(w, wave_progress(w)) for w in rows], warehouses=warehouses,
                           plan=None, rules=WaveRules(), form={})


@bp.route("/waves/preview", methods=["POST"])
@requires("picking.manage")
def preview():
    wh = _warehouse_from(request.form)
    rules = _rules(request.form)
    plan = wave_releases.preview_waves(wh.id, rules)
    return render_template("picking/waves.html", waves=[], warehouses=_warehouses(), plan=plan, rules=rules,
                           form=request.form, warehouse=wh, reasons=REASON_LABELS)


@bp.route("/waves/release", methods=["POST"])
@requires("picking.manage")
def release():
    wh = _warehouse_from(request.form)
    rules = _rules(request.form)
    if release_jobs.candidate_count(wh.id) > release_jobs.immediate_limit():
        # Many orders: released in the background, a cart per transaction, so scans go on meanwhile.
        job = release_jobs.start_release_job(wh.id, rules, user_id=current_user.id)
        return redirect(url_for("jobs.show", job_id=job.id))
    released, plan = wave_releases.release_waves(wh.id, rules, user_id=current_user.id)
    flash(_("%(n)d waves released with %(orders)d orders.", n=len(released), orders=plan.order_count), "success")
    if plan.excluded:
        flash(_("%(n)d orders were left out; see the preview for why.", n=len(plan.excluded)), "error")
    return redirect(url_for("picking.waves"))


@bp.route("/waves/<int:wave_id>")
@requires("picking.manage")
def wave(wave_id: int):
    # The picks table names each task's bin, SKU and lot: load them with the wave, not one by one.
    tasks = selectinload(Wave.pick_lists).selectinload(PickList.tasks)
    wave = db.session.scalar(select(Wave).where(Wave.id == wave_id).options(
        tasks.joinedload(PickTask.location), tasks.joinedload(PickTask.sku), tasks.joinedload(PickTask.lot)))
    if wave is None:
        abort(404)
    require_warehouse_of("wave", wave.id)
    pickers = db.session.scalars(select(User).where(User.role == "picker", User.active.is_(True))
                                 .order_by(User.username)).all()
    return render_template("picking/wave.html", wave=wave, progress=wave_progress(wave), pickers=pickers,
                           row=live_board.wave_figures([wave])[0])


@bp.route("/lists/<int:list_id>/assign", methods=["POST"])
@requires("picking.manage")
@warehouse_of_arg("pick_list", "list_id")
def assign(list_id: int):
    picker = request.form.get("picker_id", type=int)
    pick_list = services.assign_list(list_id, picker)
    flash(_("Pick list %(n)d assigned.", n=pick_list.sequence), "success")
    return redirect(url_for("picking.wave", wave_id=pick_list.wave_id))


def _board_warehouse() -> tuple[Warehouse, list[Warehouse]]:
    warehouses = _warehouses()
    wh = db.session.get(Warehouse, request.args.get("warehouse", type=int) or 0)
    wh = wh or (warehouses[0] if warehouses else None)
    if wh is None or wh not in warehouses:
        abort(404)
    return wh, warehouses


@bp.route("/board")
@requires("board.view")
def board():
    wh, warehouses = _board_warehouse()
    return render_template("picking/board.html", warehouse=wh, warehouses=warehouses,
                           board=live_board.board(wh.id), charts=board_charts(wh.id))


@bp.route("/board/pickers")
@requires("board.view")
def board_pickers():
    wh, warehouses = _board_warehouse()
    now = utcnow()
    start = live_board.shift_start(now)
    return render_template("picking/board_pickers.html", warehouse=wh, warehouses=warehouses,
                           pickers=live_board.pickers_of_shift(wh.id, now), warehouse_id=wh.id, shift_start=start,
                           shift_hours=f"{(now - start).total_seconds() / 3600:g}")


@bp.record_once
def _board_labels(state) -> None:
    from wms.shipping.exception_routes import exception_kind_label

    state.app.jinja_env.globals["exception_kind_label"] = exception_kind_label


# --- handheld ------------------------------------------------------------------------------------

def _pick_panel(pick_list: PickList | None, state: PickState) -> dict:
    """What the pick panel shows: the cart's label and running totals, its next stop (on a cart
    picked by location one stop per bin, SKU and lot, with the total), the bins after it, the step."""
    if pick_list is None:
        return dict(pick_list=None, task=None, stop=None, upcoming=[], step=state.step, hidden=state.hidden())
    open_stops = stops.stops(pick_list)
    tasks = {t.id: t for t in pick_list.tasks}
    stop = open_stops[0] if open_stops else None
    return dict(pick_list=pick_list, task=tasks[stop.head] if stop else None, stop=stop,
                upcoming=[tasks[s.head] for s in open_stops[1:4]], step=state.step, hidden=state.hidden(),
                cart_code=stops.cart_label(pick_list), totals=stops.totals(pick_list),
                destination=stops.destination(pick_list))


def _pick_says(step: pick_steps.Step) -> str:
    def cart_done() -> str:
        if step.params.get("to") == "put_wall":
            return _("Cart complete. Take it to the put wall.")
        return _("Cart complete. Take it to packing.")

    says = {"bin_ok": lambda: _("Bin OK. Scan the item."),
            "scan_slot": lambda: _("Put it into slot %(slot)d and scan the slot.", slot=step.params["slot"]),
            "cart_done": cart_done,
            "more_here": lambda: _("Picked. %(n)d more here.", n=step.params["n"]),
            "next_bin": lambda: _("Picked. Next bin."),
            "short_reported": lambda: _("Short pick reported; the office is told and the bin will be counted.")}
    return says[step.say]()


@bp.route("/pick")
@requires("picking.work")
def pick():
    """The pick screen. The scan queue fetches it again after a replay with the step the screen was at
    (its hidden fields as query arguments): kept while that task is still the next one."""
    pick_list = services.pick_list_for(current_user.id, current_user.warehouse_ids())
    task = services.next_task(pick_list) if pick_list else None
    kept = task is not None and request.args.get("task_id", type=int) == task.id
    state = PickState.from_form(request.args) if kept else PickState()
    return render_template("picking/pick.html", ok=True, message="", **_pick_panel(pick_list, state))


@bp.route("/pick/scan", methods=["POST"])
@requires("picking.work")
@idempotent
@handheld_commands("pick")
def pick_scan():
    """One scan of the pick screen: the bin, then the item, then (cluster carts) the tote slot."""
    task_id, state = request.form.get("task_id", type=int) or 0, PickState.from_form(request.form)
    try:
        task = interrupts.refuse_stopped_task(task_id, current_user.id)  # noqa: F841  (kept loaded for the scan)
        answer = scan_services.scan_pick(task_id, state, request.form.get("code", ""), user_id=current_user.id)
    except DomainError as error:
        cart = scan_services.my_cart(task_id, current_user.id)
        return scan_refused("picking/_pick_panel.html", error, **_pick_panel(cart, pick_steps.after_refusal(state)))
    return scan_result("picking/_pick_panel.html", ok=True, message=_pick_says(answer.step),
                       **_pick_panel(answer.pick_list, answer.step.state))


@bp.route("/pick/<int:task_id>/short", methods=["POST"])
@requires("picking.work")
@idempotent
def pick_short(task_id: int):
    """The bin holds fewer than the task asks: how many were found there."""
    found = request.form.get("found", type=int) or 0
    try:
        interrupts.refuse_stopped_task(task_id, current_user.id)
        answer = scan_services.short_pick(task_id, found, user_id=current_user.id)
    except DomainError as error:
        cart = scan_services.my_cart(task_id, current_user.id)
        return scan_refused("picking/_pick_panel.html", error, **_pick_panel(cart, PickState()))
    return scan_result("picking/_pick_panel.html", ok=True, message=_pick_says(answer.step),
                       **_pick_panel(answer.pick_list, answer.step.state))


@bp.route("/pick/pause", methods=["POST"])
@requires("picking.work")
def pick_pause():
    list_id = request.form.get("list_id", type=int) or 0
    require_warehouse_of("pick_list", list_id)
    services.pause_list(list_id, current_user.id)
    flash(_("Cart paused. You or a colleague can continue it."), "success")
    return redirect(url_for("handheld.home"))


# --- put wall ------------------------------------------------------------------------------------

def _sort_panel(pick_list: PickList | None, state: SortState, step: sort_steps.Step | None = None) -> dict:
    left = put_wall.left_on_cart(pick_list.id) if pick_list else None
    params = step.params if step is not None else {}
    return dict(step=state.step, pick_list=pick_list, left=left, hidden=state.hidden(),
                slot_complete=params if params.get("slot_complete") else None,
                cart_empty=step is not None and step.say == "cart_empty")


def _sort_says(step: sort_steps.Step) -> str:
    def complete() -> str:
        return _("Slot %(slot)d complete: order %(order)s.", slot=step.params["slot"], order=step.params["order"])

    def cart_empty() -> str:
        empty = _("Cart empty: scan the next cart.")
        return f"{complete()} {empty}" if step.params.get("slot_complete") else empty

    says = {"cart_ok": lambda: _("Cart of wave %(ref)s. Scan an item.", ref=step.params["ref"]),
            "go_to_slot": lambda: _("Slot %(slot)d", slot=step.params["slot"]),
            "sorted": lambda: _("In slot %(slot)d. Next item.", slot=step.params["slot"]),
            "slot_complete": complete,
            "cart_empty": cart_empty}
    return says[step.say]()


def _with_signals(response, step: sort_steps.Step):
    """The put wall's own signals next to the scan's sound (HX-Trigger): `slot-complete` when an
    order's last unit landed in its slot, `cart-empty` when the cart has nothing left to sort;
    static/js/put_wall.js plays their sounds."""
    triggers = json.loads(response.headers.get("HX-Trigger") or "{}")
    if step.params.get("slot_complete"):
        triggers["slot-complete"] = {"slot": step.params["slot"], "order": step.params["order"]}
    if step.say == "cart_empty":
        triggers["cart-empty"] = {"slot": step.params["slot"]}
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


@bp.route("/sort")
@requires("sorting.work")
def sort():
    """The put wall. After a replay the scan queue fetches it with the cart (and slot) it was at."""
    state = SortState.from_form(request.args)
    pick_list = scan_services.cart(state.list_id, current_user.warehouse_ids()) if state.list_id else None
    return render_template("picking/sort.html", ok=True, message="",
                           **_sort_panel(pick_list, state if pick_list else SortState()))


@bp.route("/sort/scan", methods=["POST"])
@requires("sorting.work")
@idempotent
@handheld_commands("sort")
def sort_scan():
    """Put wall: scan the cart, then each item (the slot is shown), then the slot to confirm."""
    state, allowed = SortState.from_form(request.form), current_user.warehouse_ids()
    try:
        answer = scan_services.scan_sort(state, request.form.get("code", ""), user_id=current_user.id,
                                         warehouse_ids=allowed, typed_lot=request.form.get("lot", ""))
    except DomainError as error:
        pick_list = scan_services.cart(state.list_id, allowed)
        return scan_refused("picking/_sort_panel.html", error, ask_lot=error.code == "cart_lot_scan_needed",
                            **_sort_panel(pick_list, state))
    return _with_signals(scan_result("picking/_sort_panel.html", ok=True, message=_sort_says(answer.step),
                                     **_sort_panel(answer.pick_list, answer.step.state, answer.step)), answer.step)


# the live board's socket events and the command barcodes of these screens register on import
from . import board_events, pick_commands  # noqa: E402, F401
