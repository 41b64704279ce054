"""Inbound: ASNs (office), receiving and putaway (handheld). Thin: parse, call a service, render."""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, Form, FormField, IntegerField, SelectField, StringField
from wtforms.fields import FieldList
from wtforms.validators import Length, NumberRange, Optional

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import in_my_warehouses, requires
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.fileimport import RowError, errors_to_csv
from erp_core.inventory.models import Location, Warehouse

from ..handheld import HandheldTask, register_task, scan_result
from . import inbound
from .asn_io import import_asn_file
from .models import ASN_STATUSES, Asn, PutawayTask
from .putaway import suggest_putaway_bin

bp = Blueprint("inbound", __name__)

register_task(HandheldTask("inbound.receive_start", _l("Receiving"), "inbound.work", "📦"))
register_task(HandheldTask("inbound.putaway_list", _l("Putaway"), "inbound.work", "📥"))

ASN_STATUS_LABELS = {"open": _l("Awaiting receipt"), "receiving": _l("Receiving"), "closed": _l("Closed"),
                     "cancelled": _l("Cancelled")}
RULE_LABELS = {"holds_sku": _l("already holds this SKU"), "empty_bin": _l("empty bin in the SKU's velocity band"),
               "shared_bin": _l("holds other SKUs but has room"), "partial_fit": _l("room for part of the units"),
               "no_room": _l("no storage bin has room"), "no_bins": _l("the warehouse has no storage bins")}
PER_PAGE = 50


@bp.context_processor
def _helpers():
    return {"asn_status_label": lambda s: str(ASN_STATUS_LABELS.get(s, s)), "rule_label": RULE_LABELS}


def _say(error: DomainError, code: str = "") -> str:
    """The translated sentence for a refusal; unknown codes say their own (English) message."""
    d = error.details
    messages = {
        "not_on_asn": lambda: _("%(sku)s is not on ASN %(reference)s. It expects: %(skus)s.", sku=d.get("sku"),
                                reference=d.get("reference"), skus=", ".join(d.get("expected", [])) or "–"),
        "asn_not_receivable": lambda: _("ASN %(reference)s is %(status)s: nothing more can be received on it.",
                                        reference=d.get("reference"),
                                        status=ASN_STATUS_LABELS.get(d.get("asn_status"), d.get("asn_status"))),
        "no_staging_bin": lambda: _("Warehouse %(code)s has no staging bin: create a bin of type staging first.",
                                    code=d.get("warehouse")),
        "no_damaged_bin": lambda: _("Warehouse %(code)s has no damaged-goods bin: create one to set units aside.",
                                    code=d.get("warehouse")),
        "bad_quantity": lambda: _("The quantity must be a whole number from 1 to %(max)d.",
                                  max=inbound.MAX_SCAN_QUANTITY),
        "wrong_warehouse": lambda: _("Bin %(bin)s is in warehouse %(warehouse)s, not in this task's warehouse.",
                                     bin=d.get("bin"), warehouse=d.get("warehouse")),
        "not_storage_bin": lambda: _("%(bin)s is not a storage bin (pick face or reserve): scan another bin.",
                                     bin=d.get("bin")),
        "no_room": lambda: _("Bin %(bin)s has room for %(room)d, the task has %(quantity)d: scan another bin.",
                             bin=d.get("bin"), room=d.get("room", 0), quantity=d.get("quantity", 0)),
        "task_not_open": lambda: _("This putaway task is already done."),
        "staging_short": lambda: _("Staging holds only %(available)d of these units: nothing was moved.",
                                   available=d.get("available", 0)),
        "asn_exists": lambda: _("ASN %(reference)s already exists.", reference=d.get("reference")),
        "no_lines": lambda: _("Enter at least one line with a SKU and a quantity."),
    }
    found = messages.get(code or error.code)
    return found() if found else error.message


def _refuse(template: str, error: DomainError, **context):
    # The refusing service rolled back its own savepoint: nothing of the scan is left to commit.
    return scan_result(template, ok=False, message=_say(error), **context)


def _allowed() -> set[int] | None:
    return current_user.warehouse_ids()


def _warehouses() -> list[Warehouse]:
    stmt = select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)
    if _allowed() is not None:
        stmt = stmt.where(Warehouse.id.in_(_allowed()))
    return list(db.session.scalars(stmt))


def _asn(asn_id: int) -> Asn:
    return in_my_warehouses(Asn, asn_id)


def _task(task_id: int) -> PutawayTask:
    return in_my_warehouses(PutawayTask, task_id)


def _redirect_scan(message: str, url: str):
    """A scan that opens another screen: the ok sound, a link (kept when replayed), and HX-Redirect."""
    response = scan_result("inbound/_opened.html", ok=True, message=message, url=url)
    response.headers["HX-Redirect"] = url
    return response


# --- ASNs (office) --------------------------------------------------------------------------------

class AsnLineForm(Form):
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])


class AsnForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    reference = StringField(_l("Reference (empty: numbered automatically)"), validators=[Optional(), Length(max=40)])
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=120)])
    expected_at = DateField(_l("Expected on"), validators=[Optional()])
    lines = FieldList(FormField(AsnLineForm), min_entries=8, max_entries=100)


class AsnImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


@bp.route("/asns")
@requires("inbound.work")
def asn_list():
    status = request.args.get("status", "")
    status = status if status in ASN_STATUSES else ""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total = inbound.asn_page(_allowed(), status=status, page=page, per_page=PER_PAGE)
    return render_template("inbound/asns.html", asns=items, totals=inbound.asn_totals(a.id for a in items),
                           status=status, statuses=ASN_STATUSES, page=page, pages=max(1, -(-total // PER_PAGE)))


@bp.route("/asns/new", methods=["GET", "POST"])
@requires("locations.manage")
def asn_new():
    form = AsnForm()
    form.warehouse_id.choices = [(w.id, f"{w.code} · {w.display_name(str(get_locale()))}") for w in _warehouses()]
    line_errors: dict[int, str] = {}
    if form.validate_on_submit():
        lines = []
        for index, entry in enumerate(form.lines.entries):
            code, qty = (entry.form.sku.data or "").strip(), entry.form.quantity.data
            if not code and not qty:
                continue
            sku = find_sku_by_scan(code) if code else None
            if sku is None or not qty:
                line_errors[index] = (_("Nothing is known by this code: %(code)s", code=code) if code and not sku
                                      else _("Enter a SKU and a quantity."))
                continue
            lines.append((sku.id, qty))
        if not line_errors:
            try:
                asn = inbound.create_asn(form.warehouse_id.data, lines, reference=form.reference.data or "",
                                         supplier=form.supplier.data or "", expected_at=_local_midnight(
                                             form.expected_at.data), user_id=current_user.id)
            except DomainError as error:
                flash(_say(error), "error")
            else:
                flash(_("ASN %(reference)s created.", reference=asn.reference), "success")
                return redirect(url_for("inbound.asn_detail", asn_id=asn.id))
    return render_template("inbound/asn_new.html", form=form, line_errors=line_errors)


def _local_midnight(day) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(0), ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"]))


@bp.route("/asns/<int:asn_id>")
@requires("inbound.work")
def asn_detail(asn_id: int):
    asn = _asn(asn_id)
    return render_template("inbound/asn.html", asn=asn, totals=inbound.asn_totals([asn.id]).get(asn.id),
                           tasks=inbound.asn_tasks(asn.id))


@bp.route("/asns/<int:asn_id>/close", methods=["POST"])
@requires("locations.manage")
def asn_close(asn_id: int):
    _asn(asn_id)
    try:
        done = inbound.close_asn(asn_id, user_id=current_user.id)
    except DomainError as error:
        flash(_say(error), "error")
    else:
        if done.open_lines:
            flash(_("ASN closed with %(n)d under-received lines.", n=len(done.open_lines)), "error")
        else:
            flash(_("ASN closed."), "success")
    return redirect(url_for("inbound.asn_detail", asn_id=asn_id))


@bp.route("/asns/import", methods=["GET", "POST"])
@requires("locations.manage")
def asn_import():
    form = AsnImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        result = import_asn_file(upload.filename or "upload.csv", upload.read(), user_id=current_user.id,
                                 allowed_warehouses=_allowed(),
                                 local_tz=ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"]))
    report = json.dumps([[e.file, e.line, e.column, e.code, e.reason, e.value] for e in result.errors]) \
        if result and result.errors else ""
    return render_template("inbound/asn_import.html", form=form, result=result, report=report)


@bp.route("/asns/import/errors.csv", methods=["POST"])
@requires("locations.manage")
def asn_import_errors():
    """The error report of an import just shown, rebuilt as CSV (cells made inert by errors_to_csv)."""
    try:
        rows = json.loads(request.form.get("report", "[]"))
        errors = [RowError(str(f), int(n) if n is not None else None, str(c), str(k), str(r), str(v))
                  for f, n, c, k, r, v in rows]
    except (ValueError, TypeError):
        abort(400)
    response = make_response(errors_to_csv(errors))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=asn-import-errors.csv"
    return response


# --- Receiving (handheld) -------------------------------------------------------------------------

@bp.route("/receive")
@requires("inbound.work")
def receive_start():
    return render_template("inbound/receive_start.html", asns=inbound.receivable_asns(_allowed()),
                           warehouses=_warehouses())


@bp.route("/receive/open", methods=["POST"])
@requires("inbound.work")
@idempotent
def receive_open():
    """Scan an ASN's reference to start receiving it."""
    code = request.form.get("code", "").strip()
    asn = inbound.asn_by_reference(code) if code else None
    if asn is None or not current_user.may_access_warehouse(asn.warehouse_id):
        return scan_result("handheld/_scan_error.html", ok=False,
                           message=_("No ASN has this reference: %(code)s", code=code or "–"))
    if asn.status not in inbound.RECEIVABLE:
        return scan_result("handheld/_scan_error.html", ok=False, message=_say(DomainError(
            "", code="asn_not_receivable", reference=asn.reference, asn_status=asn.status)))
    return _redirect_scan(asn.reference, url_for("inbound.receive_screen", asn_id=asn.id))


@bp.route("/receive/blind", methods=["POST"])
@requires("inbound.work")
def receive_blind():
    warehouse_id = request.form.get("warehouse_id", type=int)
    if warehouse_id is None or not current_user.may_access_warehouse(warehouse_id):
        abort(403)
    try:
        asn = inbound.start_blind_receipt(warehouse_id, user_id=current_user.id)
    except DomainError as error:
        flash(_say(error), "error")
        return redirect(url_for("inbound.receive_start"))
    return redirect(url_for("inbound.receive_screen", asn_id=asn.id))


@bp.route("/receive/<int:asn_id>")
@requires("inbound.work")
def receive_screen(asn_id: int):
    asn = _asn(asn_id)
    return render_template("inbound/receive.html", asn=asn, lines=asn.lines, ok=True, message="", last_sku=None)


def _split_quantity(code: str, typed: str | None) -> tuple[int | None, str]:
    """'12*6901234567892' (typed before the scan in the scan field) or the quantity field; else 1."""
    head, star, tail = code.partition("*")
    if star and head.strip().isdigit():
        return int(head), tail.strip()
    typed = (typed or "").strip()
    if not typed:
        return 1, code
    return (int(typed), code) if typed.isdigit() else (None, code)


@bp.route("/receive/<int:asn_id>/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
def receive_scan(asn_id: int):
    """One receiving scan: a unit (or the typed quantity) into staging, or aside when damaged."""
    asn = _asn(asn_id)
    quantity, code = _split_quantity(request.form.get("code", "").strip(), request.form.get("quantity"))
    damaged = request.form.get("damaged") == "1"
    context = {"asn": asn, "lines": asn.lines, "last_sku": None}
    sku = find_sku_by_scan(code) if code else None
    if sku is None:
        return scan_result("inbound/_receipt.html", ok=False, **context,
                           message=_("Nothing is known by this code: %(code)s", code=code or "–"))
    try:
        scan = inbound.receive_scan(asn.id, sku.id, quantity or 0, damaged=damaged, user_id=current_user.id)
    except DomainError as error:
        return _refuse("inbound/_receipt.html", error, **context)
    line = scan.line
    if damaged:
        message = _("%(n)d × %(sku)s set aside as damaged in %(bin)s.", n=scan.quantity, sku=sku.code,
                    bin=scan.location.code)
    elif scan.over:
        message = _("Over-receipt: %(sku)s received %(received)d, expected %(expected)d. Allowed, and flagged.",
                    sku=sku.code, received=line.received_quantity, expected=line.expected_quantity)
    else:
        message = _("+%(n)d %(sku)s: %(received)d of %(expected)d received.", n=scan.quantity, sku=sku.code,
                    received=line.received_quantity, expected=line.expected_quantity)
    db.session.refresh(asn)
    return scan_result("inbound/_receipt.html", ok=not scan.went_over, message=message, asn=asn, lines=asn.lines,
                       last_sku=sku.id, reset=True)


@bp.route("/receive/<int:asn_id>/finish", methods=["POST"])
@requires("inbound.work")
def receive_finish(asn_id: int):
    asn = _asn(asn_id)
    try:
        done = inbound.finish_receipt(asn.id, user_id=current_user.id)
    except DomainError as error:
        flash(_say(error), "error")
        return redirect(url_for("inbound.receive_screen", asn_id=asn_id))
    flash(_("Receipt finished: %(n)d putaway tasks.", n=len(done.putaways)), "success")
    if done.open_lines:
        flash(_("%(n)d lines are short of what was expected: the ASN stays open for receiving.",
                n=len(done.open_lines)), "error")
    return redirect(url_for("inbound.receive_done", asn_id=asn_id))


@bp.route("/receive/<int:asn_id>/done")
@requires("inbound.work")
def receive_done(asn_id: int):
    asn = _asn(asn_id)
    return render_template("inbound/receive_done.html", asn=asn, tasks=inbound.asn_tasks(asn.id))


# --- Putaway (handheld) ---------------------------------------------------------------------------

@bp.route("/putaway")
@requires("inbound.work")
def putaway_list():
    return render_template("inbound/putaway_list.html", tasks=inbound.open_tasks(_allowed()))


@bp.route("/putaway/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
def putaway_find():
    """Scan an item waiting in staging to open its (oldest) putaway task."""
    code = request.form.get("code", "").strip()
    sku = find_sku_by_scan(code) if code else None
    tasks = inbound.open_tasks(_allowed(), sku_id=sku.id) if sku else []
    if not tasks:
        message = (_("No open putaway task for %(sku)s.", sku=sku.code) if sku
                   else _("Nothing is known by this code: %(code)s", code=code or "–"))
        return scan_result("handheld/_scan_error.html", ok=False, message=message)
    return _redirect_scan(sku.code, url_for("inbound.putaway_task", task_id=tasks[0].id))


@bp.route("/putaway/<int:task_id>")
@requires("inbound.work")
def putaway_task(task_id: int):
    task = _task(task_id)
    why = None
    if task.status in inbound.OPEN_TASK and task.suggested_location_id is None:
        why = suggest_putaway_bin(task.warehouse_id, task.sku_id, task.quantity, exclude_task_id=task.id).rule
    return render_template("inbound/putaway_task.html", task=task, why=why, ok=True, message="")


@bp.route("/putaway/<int:task_id>/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
def putaway_confirm(task_id: int):
    """Scan the bin the units went into: the suggested one, or another storage bin with room."""
    task = _task(task_id)
    code = request.form.get("code", "").strip()
    loc = db.session.scalar(select(Location).where(Location.barcode == code, Location.kind == "bin")) if code else None
    if loc is None:
        return scan_result("inbound/_putaway_result.html", ok=False, task=task,
                           message=_("No bin has this barcode: %(code)s", code=code or "–"))
    try:
        done = inbound.confirm_putaway(task.id, loc.id, user_id=current_user.id)
    except DomainError as error:
        return _refuse("inbound/_putaway_result.html", error, task=task)
    if done.remainder is not None:
        message = _("%(n)d × %(sku)s put in %(bin)s; %(rest)d more need another bin.", n=done.quantity,
                    sku=done.task.sku.code, bin=loc.code, rest=done.remainder.quantity)
    elif done.as_suggested:
        message = _("%(n)d × %(sku)s put in %(bin)s.", n=done.quantity, sku=done.task.sku.code, bin=loc.code)
    else:
        message = _("%(n)d × %(sku)s put in %(bin)s instead of the suggested bin (noted).", n=done.quantity,
                    sku=done.task.sku.code, bin=loc.code)
    return scan_result("inbound/_putaway_result.html", ok=True, message=message, task=done.task, done=done,
                       next_tasks=inbound.open_tasks(_allowed())[:1])


@bp.route("/putaway/<int:task_id>/suggest", methods=["POST"])
@requires("inbound.work")
def putaway_resuggest(task_id: int):
    _task(task_id)
    try:
        inbound.suggest_again(task_id)
    except DomainError as error:
        flash(_say(error), "error")
    return redirect(url_for("inbound.putaway_task", task_id=task_id))
