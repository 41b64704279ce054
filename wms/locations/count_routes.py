"""Cycle-count screens of the `floor_tasks` blueprint: blind counting (handheld), and the counts,
the variance report with approval (office)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.catalog.models import Sku
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Location
from erp_core.inventory.stock_queries import find_bin, warehouses_for
from erp_core.messages import describe
from wms.handheld import handheld_commands, scan_refused, scan_result

from . import count_approval, count_planning, counting, scan_services
from .count_steps import CountState
from .models import CountTask
from .task_routes import COUNT_STATUS, allowed_warehouses, bp, require_warehouse

# --- Cycle counts (handheld, blind) ----------------------------------------------------------------

def _count_task(task_id: int) -> CountTask:
    task = db.session.get(CountTask, task_id) or abort(404)
    require_warehouse(task.warehouse_id)
    return task


@bp.route("/count")
@requires("counts.work")
def count_list():
    allowed = allowed_warehouses()
    stmt = select(CountTask).where(CountTask.status == "open").order_by(CountTask.id)
    if allowed is not None:
        stmt = stmt.where(CountTask.warehouse_id.in_(allowed))
    tasks = db.session.scalars(stmt).all()
    return render_template("tasks/count_list.html", tasks=[(t, counting.bins_of(t)) for t in tasks])


def _count_state(task: CountTask, state: CountState | None = None) -> dict:
    """What the count panel shows: the bins (finished or not) or the bin being counted, never the books
    (for a tracked item waiting for its lot, the lots to choose from, without their quantities)."""
    state = state or CountState()
    db.session.refresh(task)
    location = db.session.get(Location, state.location_id) if state.location_id and task.status == "open" else None
    if location is None:
        state = CountState()
    lot_sku = db.session.get(Sku, state.sku_id) if state.lot_wanted and state.sku_id else None
    return dict(task=task, bins=counting.bins_of(task), location=location, sku_id=state.sku_id, state=state,
                counted=counting.counted_in_bin(task, location.id) if location else [], lot_sku=lot_sku,
                lots=counting.lots_to_choose(task, location.id, lot_sku.id) if lot_sku else [])


def _expiry(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if (raw or "").strip() else None
    except ValueError:
        return None


def _counted_line(line) -> str:
    if line.lot is not None:
        return _("%(sku)s lot %(lot)s: %(n)d counted", sku=line.sku.code, lot=line.lot.lot_number,
                 n=line.counted_quantity)
    return _("%(sku)s: %(n)d counted", sku=line.sku.code, n=line.counted_quantity)


def _count_says(answer: scan_services.CountAnswer) -> str:
    says = {"start_bin": lambda: _("Bin %(bin)s: scan every item in it, then finish the bin.",
                                   bin=answer.location.code),
            "counted": lambda: _counted_line(answer.line),
            "lot_wanted": lambda: _("%(sku)s is tracked by lot: scan its lot label, choose the lot or type its "
                                    "number.", sku=answer.sku.code),
            "bin_finished": lambda: _("Bin %(bin)s counted. Scan the next bin.", bin=answer.location.code),
            "count_finished": lambda: _("Count complete. The office will review it.")}
    return says[answer.said]()


def _counted(answer: scan_services.CountAnswer):
    return scan_result("tasks/_count_panel.html", ok=True, message=_count_says(answer),
                       **_count_state(answer.task, answer.state))


@bp.route("/count/<int:task_id>")
@requires("counts.work")
def count(task_id: int):
    """The count screen. After a replay the scan queue fetches it with the bin being counted (its
    hidden fields as query arguments), kept when that bin is one of the task's."""
    task = _count_task(task_id)
    state = CountState.from_form(request.args)
    if state.location_id not in {b.location.id for b in counting.bins_of(task)}:
        state = CountState()
    return render_template("tasks/count.html", ok=True, message="", **_count_state(task, state))


@bp.route("/count/<int:task_id>/scan", methods=["POST"])
@requires("counts.work")
@idempotent
@handheld_commands("count")
def count_scan(task_id: int):
    """One scan of a blind count: a bin; then items (+1 each), a typed quantity, or the bin again to finish."""
    task, state = _count_task(task_id), CountState.from_form(request.form)
    try:
        answer = scan_services.scan_count(task.id, state, request.form.get("code", ""), user_id=current_user.id,
                                          expiry_date=_expiry(request.form.get("expiry")))
    except DomainError as error:
        return scan_refused("tasks/_count_panel.html", error, **_count_state(task, state))
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
    warehouses = warehouses_for(allowed_warehouses())
    status = request.args.get("status", "")
    stmt = (select(CountTask).where(CountTask.warehouse_id.in_([w.id for w in warehouses]))
            .order_by(CountTask.id.desc()).limit(200))
    if status in COUNT_STATUS:
        stmt = stmt.where(CountTask.status == status)
    zones = db.session.scalars(select(Location).where(Location.kind == "zone",
                                                      Location.warehouse_id.in_([w.id for w in warehouses]))
                               .order_by(Location.warehouse_id, Location.code)).all()
    return render_template("tasks/counts.html", tasks=db.session.scalars(stmt).all(), warehouses=warehouses,
                           zones=zones, status=status, threshold=count_approval.recount_threshold(),
                           codes={w.id: w.code for w in warehouses})


@bp.route("/counts", methods=["POST"])
@requires("counts.approve")
def create_count():
    form, mode = request.form, request.form.get("mode", "")
    warehouse_id = form.get("warehouse_id", type=int)
    zone = None
    if mode == "zone":  # the warehouse first: its refusal (other_warehouse) is not a flashed form error
        zone = db.session.get(Location, form.get("zone_id", type=int) or 0) or abort(404)
        require_warehouse(zone.warehouse_id)
    else:
        require_warehouse(warehouse_id)
    try:
        if zone is not None:
            task = count_planning.create_zone_count(zone.id, user_id=current_user.id)
        else:
            task = _create_in_warehouse(mode, warehouse_id, form)
            if task is None:
                return redirect(url_for(".counts_list"))
    except DomainError as error:
        flash({"no_bins": _("This zone has no bins."), "sku_not_in_stock": _("No bin of this warehouse holds the SKU."),
               "nothing_due": _("No SKU is due for counting."),
               "not_a_bin": _("Every counted location must be an active bin of the warehouse.")}
              .get(error.code) or describe(error), "error")
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
        return count_planning.create_count(warehouse_id, list({loc.id for loc in found.values()}),
                                           user_id=current_user.id)
    if mode == "sku":
        sku = find_sku_by_scan(form.get("sku", "")) if form.get("sku", "").strip() else None
        if sku is None:
            flash(_("No SKU with this code or barcode."), "error")
            return None
        return count_planning.create_sku_count(warehouse_id, sku.id, user_id=current_user.id)
    if mode == "abc":
        return count_planning.create_abc_count(warehouse_id, max(1, form.get("how_many", type=int) or 10),
                                               user_id=current_user.id)
    abort(400)


@bp.route("/counts/threshold", methods=["POST"])
@requires("counts.approve")
def save_threshold():
    try:
        units = int(request.form.get("units", ""))
        percent = Decimal(request.form.get("percent", "").strip())
        count_approval.save_recount_threshold(units, percent, user_id=current_user.id)
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
    return render_template("tasks/count_report.html", task=task, report=count_approval.variance_report(task),
                           threshold=count_approval.recount_threshold(), recounts=recounts,
                           original=db.session.get(CountTask, task.recount_of_id) if task.recount_of_id else None)


@bp.route("/counts/<int:task_id>/approve", methods=["POST"])
@requires("counts.approve")
def approve_count(task_id: int):
    task = _count_task(task_id)
    try:
        approval = count_approval.approve_count(task.id, user_id=current_user.id)
    except DomainError as error:
        flash({"count_incomplete": _("%(n)d lines are not counted yet: the count cannot be approved.",
                                     n=error.details.get("uncounted", 0)),
               "count_closed": _("This count is approved or cancelled already."),
               "insufficient_stock": _("Cannot post %(sku)s in %(bin)s: fewer were counted than are reserved "
                                       "there for orders. Nothing was posted.", sku=_sku_code(error),
                                       bin=error.details.get("location", ""))}
              .get(error.code) or describe(error), "error")
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
        count_approval.cancel_count(task.id)
    except DomainError:
        flash(_("This count is approved or cancelled already."), "error")
    else:
        flash(_("Count %(ref)s cancelled.", ref=task.reference), "success")
    return redirect(url_for(".count_report", task_id=task.id))
