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
from wms.handheld import HandheldTask, register_task, scan_refused, scan_result

from . import counts, replenish_steps, replenishment, scan_services
from .count_steps import CountState
from .models import CountTask, PickFace, ReplenishmentTask
from .replenish_steps import ReplenishState

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
    return render_template("tasks/replenish.html", ok=True, message="", **_replenish_panel(task, ReplenishState()))


def _replenish_panel(task: ReplenishmentTask | None, state: ReplenishState) -> dict:
    return dict(task=task, step=state.step if task else "from", hidden=state.hidden() if task else {})


def _replenish_says(step: replenish_steps.Step) -> str:
    n, bin_code = step.params.get("n"), step.params.get("bin")
    says = {"bin_ok": lambda: _("Bin OK. Scan the item."),
            "take": lambda: _("Take %(n)d, then scan the pick face %(bin)s.", n=n, bin=bin_code),
            "quantity": lambda: _("Quantity %(n)d. Scan the pick face %(bin)s.", n=n, bin=bin_code),
            "done": lambda: _("Done: %(n)d x %(sku)s moved to %(bin)s.", n=n, sku=step.params["sku"], bin=bin_code)}
    return says[step.say]()


@bp.route("/replenish/<int:task_id>/scan", methods=["POST"])
@requires("replenish.work")
@idempotent
def replenish_scan(task_id: int):
    """One scan of a replenishment task: the reserve bin, the item, then the pick face (or a quantity)."""
    task, state = _replenishment_task(task_id), ReplenishState.from_form(request.form)
    try:
        answer = scan_services.scan_replenishment(task.id, state, request.form.get("code", ""),
                                                  user_id=current_user.id, warehouse_ids=_allowed())
    except DomainError as error:
        still_open = task if task.status in replenishment.OPEN else None
        return scan_refused("tasks/_replenish_panel.html", error, **_replenish_panel(still_open, state))
    return scan_result("tasks/_replenish_panel.html", ok=True, message=_replenish_says(answer.step),
                       **_replenish_panel(answer.task, answer.step.state))


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


def _count_state(task: CountTask, location_id: int | None = None, sku_id: int | None = None) -> dict:
    """What the count panel shows: the bins (finished or not) or the bin being counted, never the books."""
    db.session.refresh(task)
    location = db.session.get(Location, location_id) if location_id and task.status == "open" else None
    return dict(task=task, bins=counts.bins_of(task), location=location, sku_id=sku_id if location else None,
                counted=counts.counted_in_bin(task, location.id) if location else [])


def _count_says(answer: scan_services.CountAnswer) -> str:
    says = {"start_bin": lambda: _("Bin %(bin)s: scan every item in it, then finish the bin.",
                                   bin=answer.location.code),
            "counted": lambda: _("%(sku)s: %(n)d counted", sku=answer.line.sku.code, n=answer.line.counted_quantity),
            "bin_finished": lambda: _("Bin %(bin)s counted. Scan the next bin.", bin=answer.location.code),
            "count_finished": lambda: _("Count complete. The office will review it.")}
    return says[answer.said]()


def _counted(answer: scan_services.CountAnswer):
    return scan_result("tasks/_count_panel.html", ok=True, message=_count_says(answer),
                       **_count_state(answer.task, answer.state.location_id, answer.state.sku_id))


@bp.route("/count/<int:task_id>")
@requires("counts.work")
def count(task_id: int):
    task = _count_task(task_id)
    return render_template("tasks/count.html", ok=True, message="", **_count_state(task))


@bp.route("/count/<int:task_id>/scan", methods=["POST"])
@requires("counts.work")
@idempotent
def count_scan(task_id: int):
    """One scan of a blind count: a bin; then items (+1 each), a typed quantity, or the bin again to finish."""
    task, state = _count_task(task_id), CountState.from_form(request.form)
    try:
        answer = scan_services.scan_count(task.id, state, request.form.get("code", ""), user_id=current_user.id)
    except DomainError as error:
        return scan_refused("tasks/_count_panel.html", error, **_count_state(task, state.location_id, state.sku_id))
    return _counted(answer)


@bp.route("/count/<int:task_id>/finish", methods=["POST"])
@requires("counts.work")
@idempotent
def count_finish(task_id: int):
    """The Finish bin button: what was not found in the bin counts 0."""
    task, location_id = _count_task(task_id), request.form.get("location_id", type=int) or abort(404)
    try:
        answer = scan_services.finish_count_bin(task.id, location_id, user_id=current_user.id)
    except DomainError as error:
        return scan_refused("tasks/_count_panel.html", error, **_count_state(task))
    return _counted(answer)


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
