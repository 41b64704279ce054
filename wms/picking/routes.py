"""Wave planning and the live wave board (office), and picking by scan (handheld)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.auth.models import User
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.alerts import low_stock
from erp_core.inventory.models import Warehouse
from wms.handheld import HandheldTask, register_task, scan_result

from . import put_wall, services
from .errors import ScanRefused, WrongItemScanned
from .events import wave_progress
from .models import PickList, PickTask, Wave
from .planning import WaveRules

bp = Blueprint("picking", __name__)
register_task(HandheldTask("picking.pick", _l("Pick"), "picking.work", "🛒"))
register_task(HandheldTask("picking.sort", _l("Put wall"), "sorting.work", "🧱"))

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
    wh = db.session.get(Warehouse, form.get("warehouse_id", type=int) or 0)
    if wh is None or not current_user.may_access_warehouse(wh.id):
        abort(404)
    return wh


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
    plan = services.preview_waves(wh.id, rules)
    return render_template("picking/waves.html", waves=[], warehouses=_warehouses(), plan=plan, rules=rules,
                           form=request.form, warehouse=wh, reasons=REASON_LABELS)


@bp.route("/waves/release", methods=["POST"])
@requires("picking.manage")
def release():
    wh = _warehouse_from(request.form)
    released, plan = services.release_waves(wh.id, _rules(request.form), user_id=current_user.id)
    flash(_("%(n)d waves released with %(orders)d orders.", n=len(released), orders=plan.order_count), "success")
    if plan.excluded:
        flash(_("%(n)d orders were left out; see the preview for why.", n=len(plan.excluded)), "error")
    return redirect(url_for("picking.waves"))


@bp.route("/waves/<int:wave_id>")
@requires("picking.manage")
def wave(wave_id: int):
    wave = db.session.get(Wave, wave_id) or abort(404)
    if not current_user.may_access_warehouse(wave.warehouse_id):
        abort(404)
    pickers = db.session.scalars(select(User).where(User.role == "picker", User.active.is_(True))
                                 .order_by(User.username)).all()
    return render_template("picking/wave.html", wave=wave, progress=wave_progress(wave), pickers=pickers)


@bp.route("/lists/<int:list_id>/assign", methods=["POST"])
@requires("picking.manage")
def assign(list_id: int):
    picker = request.form.get("picker_id", type=int)
    pick_list = services.assign_list(list_id, picker)
    flash(_("Pick list %(n)d assigned.", n=pick_list.sequence), "success")
    return redirect(url_for("picking.wave", wave_id=pick_list.wave_id))


@bp.route("/board")
@requires("board.view")
def board():
    warehouses = _warehouses()
    wh = db.session.get(Warehouse, request.args.get("warehouse", type=int) or 0)
    wh = wh or (warehouses[0] if warehouses else None)
    if wh is None or wh not in warehouses:
        abort(404)
    rows = db.session.scalars(select(Wave).where(Wave.warehouse_id == wh.id, Wave.status.in_(("released", "picking")))
                              .order_by(Wave.id)).all()
    return render_template("picking/board.html", warehouse=wh, warehouses=warehouses,
                           waves=[(w, wave_progress(w)) for w in rows], low_stock=low_stock({wh.id}, limit=10))


# --- handheld ------------------------------------------------------------------------------------


def _pick_state(pick_list: PickList | None, message: str = "", ok: bool = True, step: str = "bin", **hidden):
    task = services.next_task(pick_list) if pick_list else None
    upcoming = [t for t in pick_list.tasks if t.status == "open"][1:4] if pick_list else []
    return dict(pick_list=pick_list, task=task, upcoming=upcoming, message=message, ok=ok, step=step, hidden=hidden)


@bp.route("/pick")
@requires("picking.work")
def pick():
    pick_list = services.pick_list_for(current_user.id, current_user.warehouse_ids())
    return render_template("picking/pick.html", **_pick_state(pick_list))


def _slot_code(task: PickTask) -> str:
    return f"{task.tote.barcode}-S{task.slot}"


@bp.route("/pick/scan", methods=["POST"])
@requires("picking.work")
@idempotent
def pick_scan():
    """One scan of the pick screen: the bin, then the item, then (cluster carts) the tote slot."""
    form = request.form
    task = db.session.get(PickTask, form.get("task_id", type=int) or 0)
    if task is None or task.pick_list.picker_id != current_user.id:
        return scan_result("picking/_pick_panel.html", ok=False, message=_("This task is not on your cart."),
                           **_pick_state(None))
    code = form.get("code", "").strip()
    bin_scan, item_scan = form.get("bin", ""), form.get("item", "")
    quantity = max(form.get("qty", type=int) or 1, 1)
    pick_list = task.pick_list
    try:
        if not bin_scan:
            services.check_bin(task.id, code)
            return _answer(pick_list, _("Bin OK. Scan the item."), step="item", bin=code)
        if not item_scan:
            sku = find_sku_by_scan(code)
            if sku is None or sku.id != task.sku_id:
                raise WrongItemScanned(_("Wrong item %(code)s: pick %(sku)s", code=code, sku=task.sku.code),
                                                code="wrong_item", expected=task.sku.code)
            if task.slot:
                return _answer(pick_list, _("Put it into slot %(slot)d and scan the slot.", slot=task.slot),
                               step="slot", bin=bin_scan, item=code, qty=quantity)
            item_scan = code
        elif code != _slot_code(task):
            raise ScanRefused(_("Wrong slot %(code)s: put it into slot %(slot)d", code=code, slot=task.slot),
                                       code="wrong_slot", expected=str(task.slot))
        services.confirm_pick(task.id, bin_scan=bin_scan, item_scan=item_scan, quantity=quantity,
                              user_id=current_user.id)
    except ScanRefused as error:
        return _answer(pick_list, error.message, ok=False, step="item" if bin_scan else "bin",
                       **({"bin": bin_scan} if bin_scan else {}))
    db.session.refresh(pick_list)
    if pick_list.status == "done":
        return _answer(pick_list, _("Cart complete. Take it to packing."))
    same = services.next_task(pick_list)
    if same is not None and same.id == task.id:
        left = same.quantity - same.picked_quantity - same.short_quantity
        return _answer(pick_list, _("Picked. %(n)d more here.", n=left), step="item", bin=bin_scan)
    return _answer(pick_list, _("Picked. Next bin."))


def _answer(pick_list: PickList, message: str, *, ok: bool = True, step: str = "bin", **hidden):
    state = _pick_state(pick_list, message=message, ok=ok, step=step, **hidden)
    return scan_result("picking/_pick_panel.html", **state)


@bp.route("/pick/<int:task_id>/short", methods=["POST"])
@requires("picking.work")
@idempotent
def pick_short(task_id: int):
    found = request.form.get("found", type=int)
    if found is None:
        found = 0
    task = db.session.get(PickTask, task_id) or abort(404)
    try:
        services.report_short(task_id, found=found, user_id=current_user.id)
    except DomainError as error:
        return _answer(task.pick_list, error.message, ok=False)
    db.session.refresh(task.pick_list)
    return _answer(task.pick_list, _("Short pick reported; the office is told and the bin will be counted."))


@bp.route("/pick/pause", methods=["POST"])
@requires("picking.work")
def pick_pause():
    list_id = request.form.get("list_id", type=int) or 0
    services.pause_list(list_id, current_user.id)
    flash(_("Cart paused. You or a colleague can continue it."), "success")
    return redirect(url_for("handheld.home"))


# --- put wall ------------------------------------------------------------------------------------


def _sort_answer(message: str, *, ok: bool = True, step: str = "cart", pick_list: PickList | None = None, **hidden):
    left = put_wall.left_on_cart(pick_list.id) if pick_list else None
    return scan_result("picking/_sort_panel.html", ok=ok, message=message, step=step, pick_list=pick_list,
                       left=left, hidden=hidden)


@bp.route("/sort")
@requires("sorting.work")
def sort():
    return render_template("picking/sort.html", ok=True, message="", step="cart", pick_list=None, left=None,
                           hidden={})


@bp.route("/sort/scan", methods=["POST"])
@requires("sorting.work")
@idempotent
def sort_scan():
    """Put wall: scan the cart, then each item (the slot is shown), then the slot to confirm."""
    form = request.form
    code = form.get("code", "").strip()
    step = form.get("step", "cart")
    pick_list = db.session.get(PickList, form.get("list_id", type=int) or 0)
    try:
        if step == "cart" or pick_list is None:
            pick_list = put_wall.cart_by_scan(code)
            if not current_user.may_access_warehouse(pick_list.wave.warehouse_id):
                abort(404)
            return _sort_answer(_("Cart of wave %(ref)s. Scan an item.", ref=pick_list.wave.reference),
                                step="item", pick_list=pick_list, list_id=pick_list.id)
        if step == "item":
            where = put_wall.where_does_it_go(pick_list.id, code)
            return _sort_answer(_("Slot %(slot)d", slot=where.slot), step="slot", pick_list=pick_list,
                                list_id=pick_list.id, line_id=where.order_line_id, sku_id=where.sku_id,
                                slot=where.slot)
        slot = put_wall.confirm_sort(pick_list.id, form.get("line_id", type=int), form.get("sku_id", type=int),
                                     code, user_id=current_user.id)
    except ScanRefused as error:
        back = "item" if step == "slot" else step
        hidden = {"list_id": pick_list.id} if pick_list else {}
        if step == "slot":
            hidden.update(line_id=form.get("line_id"), sku_id=form.get("sku_id"), slot=form.get("slot"))
            back = "slot"
        return _sort_answer(error.message, ok=False, step=back, pick_list=pick_list, **hidden)
    return _sort_answer(_("In slot %(slot)d. Next item.", slot=slot), step="item", pick_list=pick_list,
                        list_id=pick_list.id)
