"""Replenishment screens of the `floor_tasks` blueprint: pick faces and replenishment (office), and
replenishment tasks done by scan (handheld)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.inventory.stock_queries import find_bin, warehouses_for
from erp_core.messages import describe
from wms.handheld import handheld_commands, scan_refused, scan_result

from . import replenish_steps, replenishment, scan_services
from .models import PickFace, ReplenishmentTask
from .replenish_steps import ReplenishState
from .task_routes import TASK_STATUS, allowed_warehouses, bp, require_warehouse


def _number(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


# --- Pick faces (office) ---------------------------------------------------------------------------

@bp.route("/pick-faces")
@requires("locations.manage")
def pick_faces():
    warehouses = warehouses_for(allowed_warehouses())
    chosen = request.args.get("warehouse", type=int) or (warehouses[0].id if warehouses else None)
    faces, on_hand = [], {}
    if chosen:
        require_warehouse(chosen)
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
    require_warehouse(warehouse_id)
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
            "pick_face_exists": _("This SKU is already assigned to this bin.")}.get(error.code) or describe(error)


def _face(face_id: int) -> PickFace:
    face = db.session.get(PickFace, face_id) or abort(404)
    require_warehouse(face.location.warehouse_id)
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
    warehouses = warehouses_for(allowed_warehouses())
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
    require_warehouse(warehouse_id)
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
    require_warehouse(task.warehouse_id)
    return task


@bp.route("/replenish")
@requires("replenish.work")
def replenish_list():
    return render_template("tasks/replenish_list.html", tasks=replenishment.open_tasks(allowed_warehouses()))


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
@handheld_commands("replenish")
def replenish_scan(task_id: int):
    """One scan of a replenishment task: the reserve bin, the item, then the pick face (or a quantity)."""
    task, state = _replenishment_task(task_id), ReplenishState.from_form(request.form)
    try:
        answer = scan_services.scan_replenishment(task.id, state, request.form.get("code", ""),
                                                  user_id=current_user.id, warehouse_ids=allowed_warehouses())
    except DomainError as error:
        still_open = task if task.status in replenishment.OPEN else None
        return scan_refused("tasks/_replenish_panel.html", error, **_replenish_panel(still_open, state))
    return scan_result("tasks/_replenish_panel.html", ok=True, message=_replenish_says(answer.step),
                       **_replenish_panel(answer.task, answer.step.state))
