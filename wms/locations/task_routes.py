"""Replenishment and cycle counts (office and handheld screens): pick faces, replenishment tasks
done by scan, blind counting and the variance report with approval."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.catalog.models import Sku
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.inventory.stock_queries import find_bin, warehouses_for
from wms.handheld import HandheldTask, register_task, scan_result

from . import counts, replenishment
from .models import CountTask, PickFace, ReplenishmentTask

bp = Blueprint("floor_tasks", __name__)
register_task(HandheldTask("floor_tasks.replenish_list", _l("Replenish"), "replenish.work", "📦"))
register_task(HandheldTask("floor_tasks.count_list", _l("Cycle count"), "counts.work", "🔢"))

TASK_STATUS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"), "cancelled": _l("Cancelled")}
TRIGGERS = {"min": _l("Below minimum"), "wave": _l("Wave"), "manual": _l("Manual")}
COUNT_STATUS = {"open": _l("Open"), "counted": _l("Counted"), "approved": _l("Approved"),
                "cancelled": _l("Cancelled")}
COUNT_KINDS = {"bin": _l("Bins"), "zone": _l("Zone"), "sku": _l("SKU"), "abc": _l("ABC schedule"),
               "short_pick": _l("Short pick")}


@bp.context_processor
def _labels():
    return {"task_status": TASK_STATUS, "triggers": TRIGGERS, "count_status": COUNT_STATUS,
            "count_kinds": COUNT_KINDS}


def _allowed() -> set[int] | None:
    return current_user.warehouse_ids()


def _mine(warehouse_id: int | None) -> None:
    if warehouse_id is None or not current_user.may_access_warehouse(warehouse_id):
        abort(404)


def _number(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _refusal(error: DomainError, code: str) -> str:
    """The handheld's sentence for a refused scan: what was scanned and what was expected."""
    expected = getattr(error, "expected", "") or ""
    known = {
        "wrong_bin": _("Wrong bin %(code)s: expected %(expected)s.", code=code, expected=expected),
        "wrong_item": _("Wrong item %(code)s: expected %(expected)s.", code=code, expected=expected),
        "unknown_item": _("Nothing is known by this code: %(code)s", code=code or "–"),
        "task_closed": _("This task is not open any more."),
        "bin_not_in_count": _("Bin %(code)s is not part of this count.", code=code),
        "bin_counted": _("Bin %(code)s is counted already.", code=expected or code),
        "count_closed": _("This count is closed."),
        "bad_quantity": _("That quantity is not possible here."),
        "finish_first": _("Finish this bin first: scan its barcode again or press Finish bin."),
        "item_first": _("Scan an item before typing its quantity."),
    }
    return known.get(error.code, error.message)


def _is_quantity(code: str) -> bool:
    """A typed quantity, not a barcode: digits only, at most five of them."""
    return code.isdigit() and len(code) <= 5


# --- Pick faces (office) ---------------------------------------------------------------------------

@bp.route("/pick-faces")
@requires("locations.manage")
def pick_faces():
    warehouses = warehouses_for(_allowed())
    chosen = request.args.get("warehouse", type=int) or (warehouses[0].id if warehouses else None)
    faces, on_hand = [], {}
    if chosen:
        _mine(chosen)
        faces = db.session.scalars(select(PickFace).join(Location, Location.id == PickFace.location_id)
                                   .where(Location.warehouse_id == chosen).order_by(Location.code)).all()
        on_hand = {(q.sku_id, q.location_id): q.quantity for q in db.session.scalars(
            select(Quant).where(Quant.location_id.in_([f.location_id for f in faces])))}
    return render_template("tasks/pick_faces.html", warehouses=warehouses, chosen=chosen, faces=faces,
                           on_hand=on_hand)


@bp.route("/pick-faces", methods=["POST"])
@requires("locations.manage")
def add_pick_face():
    warehouse_id = request.form.get("warehouse_id", type=int)
    _mine(warehouse_id)
    back = redirect(url_for(".pick_faces", warehouse=warehouse_id))
    location = find_bin(warehouse_id, request.form.get("bin", ""))
    sku = find_sku_by_scan(request.form.get("sku", "")) if request.form.get("sku", "").strip() else None
    low, high = _number("min_quantity"), _number("max_quantity")
    if location is None or sku is None or low is None or high is None:
        flash(_("Give a bin of the warehouse, a SKU, and the minimum and maximum."), "error")
        return back
    try:
        replenishment.assign_pick_face(location.id, sku.id, low, high)
    except DomainError as error:
        flash(_pick_face_error(error), "error")
    else:
        flash(_("%(sku)s assigned to %(bin)s.", sku=sku.code, bin=location.code), "success")
    return back


def _pick_face_error(error: DomainError) -> str:
    return {"bad_min_max": _("The maximum must be above the minimum, and the minimum at least 0."),
            "not_a_pick_bin": _("Only a pick-face bin can be a pick face."),
            "pick_face_exists": _("This SKU is already assigned to this bin.")}.get(error.code, error.message)


def _face(face_id: int) -> PickFace:
    face = db.session.get(PickFace, face_id) or abort(404)
    _mine(face.location.warehouse_id)
    return face


@bp.route("/pick-faces/<int:face_id>", methods=["POST"])
@requires("locations.manage")
def edit_pick_face(face_id: int):
    face = _face(face_id)
    low, high = _number("min_quantity"), _number("max_quantity")
    try:
        if low is None or high is None:
            raise ValidationFailed("min and max", code="bad_min_max")
        replenishment.update_pick_face(face.id, low, high)
    except DomainError as error:
        flash(_pick_face_error(error), "error")
    else:
        flash(_("Minimum and maximum of %(sku)s in %(bin)s saved.", sku=face.sku.code, bin=face.location.code),
              "success")
    return redirect(url_for(".pick_faces", warehouse=face.location.warehouse_id))


@bp.route("/pick-faces/<int:face_id>/remove", methods=["POST"])
@requires("locations.manage")
def remove_pick_face(face_id: int):
    face = _face(face_id)
    warehouse_id, sku_code, bin_code = face.location.warehouse_id, face.sku.code, face.location.code
    replenishment.remove_pick_face(face.id)
    flash(_("%(sku)s is no longer assigned to %(bin)s.", sku=sku_code, bin=bin_code), "success")
    return redirect(url_for(".pick_faces", warehouse=warehouse_id))


# --- Replenishment (office) ------------------------------------------------------------------------

@bp.route("/replenishment")
@requires("replenish.work")
def replenishment_list():
    warehouses = warehouses_for(_allowed())
    status = request.args.get("status", "open")
    stmt = (select(ReplenishmentTask).where(ReplenishmentTask.warehouse_id.in_([w.id for w in warehouses]))
            .order_by(ReplenishmentTask.id.desc()).limit(300))
    if status == "open":
        stmt = stmt.where(ReplenishmentTask.status.in_(replenishment.OPEN))
    elif status in TASK_STATUS:
        stmt = stmt.where(ReplenishmentTask.status == status)
    return render_template("tasks/replenishment.html", tasks=db.session.scalars(stmt).all(), status=status,
                           warehouses=warehouses)


@bp.route("/replenishment/plan", methods=["POST"])
@requires("replenish.work")
def plan_now():
    warehouse_id = request.form.get("warehouse_id", type=int)
    _mine(warehouse_id)
    plan = replenishment.plan_replenishment(warehouse_id)
    flash(_("%(n)d replenishment tasks created.", n=len(plan.created)), "success")
    if plan.already_open:
        flash(_("%(n)d pick faces below minimum already have an open task.", n=plan.already_open), "success")
    for short in plan.short:
        face = db.session.get(PickFace, short.pick_face_id)
        flash(_("No reserve stock for %(sku)s: %(bin)s is still %(n)d short.", sku=face.sku.code,
                bin=face.location.code, n=short.missing), "error")
    return redirect(url_for(".replenishment_list"))


# --- Replenishment (handheld) ----------------------------------------------------------------------

def _replenishment_task(task_id: int) -> ReplenishmentTask:
    task = db.session.get(ReplenishmentTask, task_id) or abort(404)
    _mine(task.warehouse_id)
    return task


@bp.route("/replenish")
@requires("replenish.work")
def replenish_list():
    return render_template("tasks/replenish_list.html", tasks=replenishment.open_tasks(_allowed()))


@bp.route("/replenish/<int:task_id>")
@requires("replenish.work")
def replenish(task_id: int):
    task = _replenishment_task(task_id)
    if task.status not in replenishment.OPEN:
        flash(_("This task is not open any more."), "error")
        return redirect(url_for(".replenish_list"))
    return render_template("tasks/replenish.html", task=task, step="from", hidden={}, ok=True, message="")


def _replenish_answer(task: ReplenishmentTask | None, message: str, *, ok: bool = True, step: str = "from",
                      **hidden):
    return scan_result("tasks/_replenish_panel.html", ok=ok, message=message, task=task, step=step, hidden=hidden)


@bp.route("/replenish/<int:task_id>/scan", methods=["POST"])
@requires("replenish.work")
@idempotent
def replenish_scan(task_id: int):
    """One scan of a replenishment task: the reserve bin, the item, then the pick face (or a quantity)."""
    task = _replenishment_task(task_id)
    form = request.form
    code, step = form.get("code", "").strip(), form.get("step", "from")
    carried = {k: form.get(k, "") for k in ("from_code", "item_code") if form.get(k)}
    qty = form.get("qty", type=int) or task.quantity
    try:
        if step == "item":
            replenishment.check_item(task.id, code)
            return _replenish_answer(task, _("Take %(n)d, then scan the pick face %(bin)s.", n=qty,
                                             bin=task.to_location.code), step="to", qty=qty, item_code=code,
                                     **carried)
        if step == "to" and _is_quantity(code):
            if not 1 <= int(code) <= task.quantity:
                raise ValidationFailed("quantity", code="bad_quantity")
            return _replenish_answer(task, _("Quantity %(n)d. Scan the pick face %(bin)s.", n=int(code),
                                             bin=task.to_location.code), step="to", qty=int(code), **carried)
        if step == "to":
            replenishment.confirm_replenishment(task.id, from_scan=carried.get("from_code", ""),
                                                item_scan=carried.get("item_code", ""), to_scan=code,
                                                quantity=qty, user_id=current_user.id)
            here = task.to_location
            following = replenishment.open_tasks(_allowed(), near=(here.x or 0.0, here.y or 0.0))
            return _replenish_answer(following[0] if following else None,
                                     _("Done: %(n)d x %(sku)s moved to %(bin)s.", n=qty, sku=task.sku.code,
                                       bin=here.code))
        replenishment.check_from_bin(task.id, code, user_id=current_user.id)
        return _replenish_answer(task, _("Bin OK. Scan the item."), step="item", from_code=code)
    except DomainError as error:
        db.session.expire_all()
        if error.code == "insufficient_stock":
            free, reserved = replenishment.free_in_bin(task.sku_id, task.from_location_id)
            message = _("Only %(free)d units in %(bin)s are free to move (%(reserved)d are reserved for orders). "
                        "Type a smaller quantity.", free=free, bin=task.from_location.code, reserved=reserved)
        else:
            message = _refusal(error, code)
        open_now = db.session.get(ReplenishmentTask, task.id).status in replenishment.OPEN
        return _replenish_answer(task if open_now else None, message, ok=False, step=step if open_now else "from",
                                 **({"qty": qty} if step == "to" else {}), **carried)


# --- Cycle counts (handheld, blind) ----------------------------------------------------------------

def _count_task(task_id: int) -> CountTask:
    task = db.session.get(CountTask, task_id) or abort(404)
    _mine(task.warehouse_id)
    return task


@bp.route("/count")
@requires("counts.work")
def count_list():
    allowed = _allowed()
    stmt = select(CountTask).where(CountTask.status == "open").order_by(CountTask.id)
    if allowed is not None:
        stmt = stmt.where(CountTask.warehouse_id.in_(allowed))
    tasks = db.session.scalars(stmt).all()
    return render_template("tasks/count_list.html", tasks=[(t, counts.bins_of(t)) for t in tasks])


def _count_state(task: CountTask, location: Location | None = None, sku_id: int | None = None,
                 message: str = "", ok: bool = True) -> dict:
    db.session.refresh(task)
    return dict(task=task, bins=counts.bins_of(task), location=location, sku_id=sku_id, message=message, ok=ok,
                counted=counts.counted_in_bin(task, location.id) if location else [])


@bp.route("/count/<int:task_id>")
@requires("counts.work")
def count(task_id: int):
    task = _count_task(task_id)
    return render_template("tasks/count.html", **_count_state(task))


@bp.route("/count/<int:task_id>/scan", methods=["POST"])
@requires("counts.work")
@idempotent
def count_scan(task_id: int):
    """One scan of a blind count: a bin; then items (+1 each), a typed quantity, or the bin again to finish."""
    task = _count_task(task_id)
    code = request.form.get("code", "").strip()
    location = db.session.get(Location, request.form.get("location_id", type=int) or 0)
    sku_id = request.form.get("sku_id", type=int)
    try:
        if location is None:
            location = counts.start_bin(task.id, code)
            return scan_result("tasks/_count_panel.html", **_count_state(
                task, location, message=_("Bin %(bin)s: scan every item in it, then finish the bin.",
                                          bin=location.code)))
        if _is_quantity(code):
            if sku_id is None:
                raise ValidationFailed("item first", code="item_first")
            line = counts.set_counted(task.id, location.id, sku_id, int(code), user_id=current_user.id)
        elif counts.is_bin_code(location.id, code):
            return _finish(task, location)
        elif counts.bin_in_task(task, code) is not None:
            raise ValidationFailed("finish first", code="finish_first")
        else:
            line = counts.count_item(task.id, location.id, code, user_id=current_user.id)
        return scan_result("tasks/_count_panel.html", **_count_state(
            task, location, line.sku_id, message=_("%(sku)s: %(n)d counted", sku=line.sku.code,
                                                   n=line.counted_quantity)))
    except DomainError as error:
        return scan_result("tasks/_count_panel.html", **_count_state(
            task, location if task.status == "open" else None, sku_id, message=_refusal(error, code), ok=False))


def _finish(task: CountTask, location: Location):
    task = counts.finish_bin(task.id, location.id, user_id=current_user.id)
    message = (_("Count complete. The office will review it.") if task.status == "counted"
               else _("Bin %(bin)s counted. Scan the next bin.", bin=location.code))
    return scan_result("tasks/_count_panel.html", **_count_state(task, message=message))


@bp.route("/count/<int:task_id>/finish", methods=["POST"])
@requires("counts.work")
@idempotent
def count_finish(task_id: int):
    task = _count_task(task_id)
    location = db.session.get(Location, request.form.get("location_id", type=int) or 0) or abort(404)
    try:
        return _finish(task, location)
    except DomainError as error:
        return scan_result("tasks/_count_panel.html", **_count_state(task, message=_refusal(error, location.code),
                                                                     ok=False))


# --- Cycle counts (office) -------------------------------------------------------------------------

@bp.route("/counts")
@requires("counts.approve")
def counts_list():
    warehouses = warehouses_for(_allowed())
    status = request.args.get("status", "")
    stmt = (select(CountTask).where(CountTask.warehouse_id.in_([w.id for w in warehouses]))
            .order_by(CountTask.id.desc()).limit(200))
    if status in COUNT_STATUS:
        stmt = stmt.where(CountTask.status == status)
    zones = db.session.scalars(select(Location).where(Location.kind == "zone",
                                                      Location.warehouse_id.in_([w.id for w in warehouses]))
                               .order_by(Location.warehouse_id, Location.code)).all()
    return render_template("tasks/counts.html", tasks=db.session.scalars(stmt).all(), warehouses=warehouses,
                           zones=zones, status=status, threshold=counts.recount_threshold(),
                           codes={w.id: w.code for w in warehouses})


@bp.route("/counts", methods=["POST"])
@requires("counts.approve")
def create_count():
    form, mode = request.form, request.form.get("mode", "")
    warehouse_id = form.get("warehouse_id", type=int)
    try:
        if mode == "zone":
            zone = db.session.get(Location, form.get("zone_id", type=int) or 0) or abort(404)
            _mine(zone.warehouse_id)
            task = counts.create_zone_count(zone.id, user_id=current_user.id)
        else:
            _mine(warehouse_id)
            task = _create_in_warehouse(mode, warehouse_id, form)
            if task is None:
                return redirect(url_for(".counts_list"))
    except DomainError as error:
        flash({"no_bins": _("This zone has no bins."), "sku_not_in_stock": _("No bin of this warehouse holds the SKU."),
               "nothing_due": _("No SKU is due for counting."),
               "not_a_bin": _("Every counted location must be an active bin of the warehouse.")}
              .get(error.code, error.message), "error")
        return redirect(url_for(".counts_list"))
    flash(_("Count %(ref)s created.", ref=task.reference), "success")
    return redirect(url_for(".count_report", task_id=task.id))


def _create_in_warehouse(mode: str, warehouse_id: int, form) -> CountTask | None:
    if mode == "bins":
        codes = form.get("bins", "").replace(",", " ").split()
        found = {code: find_bin(warehouse_id, code) for code in codes}
        unknown = [code for code, loc in found.items() if loc is None]
        if unknown or not codes:
            flash(_("No such bins in the warehouse: %(codes)s", codes=", ".join(unknown) or "–"), "error")
            return None
        return counts.create_count(warehouse_id, list({loc.id for loc in found.values()}), user_id=current_user.id)
    if mode == "sku":
        sku = find_sku_by_scan(form.get("sku", "")) if form.get("sku", "").strip() else None
        if sku is None:
            flash(_("No SKU with this code or barcode."), "error")
            return None
        return counts.create_sku_count(warehouse_id, sku.id, user_id=current_user.id)
    if mode == "abc":
        return counts.create_abc_count(warehouse_id, max(1, form.get("how_many", type=int) or 10),
                                       user_id=current_user.id)
    abort(400)


@bp.route("/counts/threshold", methods=["POST"])
@requires("counts.approve")
def save_threshold():
    try:
        units = int(request.form.get("units", ""))
        percent = Decimal(request.form.get("percent", "").strip())
        counts.save_recount_threshold(units, percent, user_id=current_user.id)
    except (ValueError, InvalidOperation):
        flash(_("Give the threshold as whole units and a percentage, neither negative."), "error")
    else:
        flash(_("Recount threshold saved."), "success")
    back = request.form.get("task_id", type=int)
    return redirect(url_for(".count_report", task_id=back) if back else url_for(".counts_list"))


@bp.route("/counts/<int:task_id>")
@requires("counts.approve")
def count_report(task_id: int):
    task = _count_task(task_id)
    recounts = db.session.scalars(select(CountTask).where(CountTask.recount_of_id == task.id)).all()
    return render_template("tasks/count_report.html", task=task, report=counts.variance_report(task),
                           threshold=counts.recount_threshold(), recounts=recounts,
                           original=db.session.get(CountTask, task.recount_of_id) if task.recount_of_id else None)


@bp.route("/counts/<int:task_id>/approve", methods=["POST"])
@requires("counts.approve")
def approve_count(task_id: int):
    task = _count_task(task_id)
    try:
        approval = counts.approve_count(task.id, user_id=current_user.id)
    except DomainError as error:
        flash({"count_incomplete": _("%(n)d lines are not counted yet: the count cannot be approved.",
                                     n=error.details.get("uncounted", 0)),
               "count_closed": _("This count is approved or cancelled already."),
               "insufficient_stock": _("Cannot post %(sku)s in %(bin)s: fewer were counted than are reserved "
                                       "there for orders. Nothing was posted.", sku=_sku_code(error),
                                       bin=error.details.get("location", ""))}
              .get(error.code, error.message), "error")
        return redirect(url_for(".count_report", task_id=task.id))
    flash(_("Count %(ref)s approved: %(n)d adjustments posted.", ref=task.reference, n=approval.posted), "success")
    if approval.recount is not None:
        flash(_("Lines above the threshold go to recount %(ref)s; they post when it is approved.",
                ref=approval.recount.reference), "success")
    return redirect(url_for(".count_report", task_id=task.id))


def _sku_code(error: DomainError) -> str:
    sku = db.session.get(Sku, error.details.get("sku_id") or 0)
    return sku.code if sku else ""


@bp.route("/counts/<int:task_id>/cancel", methods=["POST"])
@requires("counts.approve")
def cancel_count(task_id: int):
    task = _count_task(task_id)
    try:
        counts.cancel_count(task.id)
    except DomainError:
        flash(_("This count is approved or cancelled already."), "error")
    else:
        flash(_("Count %(ref)s cancelled.", ref=task.reference), "success")
    return redirect(url_for(".count_report", task_id=task.id))
