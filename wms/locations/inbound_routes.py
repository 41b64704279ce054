"""Inbound: ASNs (office), receiving and putaway (handheld). Thin: parse, call a service, render."""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import exists, select
from wtforms import DateField, Form, FormField, IntegerField, SelectField, StringField
from wtforms.fields import FieldList
from wtforms.validators import Length, NumberRange, Optional

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import in_my_warehouses, requires
from erp_core.auth.object_access import require_warehouse_of
from erp_core.catalog.models import Sku
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.exports import CSV_MIMETYPE, download
from erp_core.extensions import db
from erp_core.fileimport import RowError, errors_to_csv
from erp_core.inventory.models import Warehouse
from erp_core.messages import describe
from erp_core.settings import put_setting

from ..handheld import HandheldTask, handheld_commands, register_task, scan_refused, scan_result
from . import asn_services, putaway_tasks, receiving, scan_services
from .asn_io import import_asn_file
from .asn_services import ASN_STATUS_LABELS
from .inbound_steps import ReceiveState
from .models import ASN_STATUSES, Asn, PutawayTask
from .putaway import suggest_putaway_bin

bp = Blueprint("inbound", __name__)

register_task(HandheldTask("inbound.receive_start", _l("Receiving"), "inbound.work", "truck"))
register_task(HandheldTask("inbound.putaway_list", _l("Putaway"), "inbound.work", "shelf-in"))

RULE_LABELS = {"holds_sku": _l("already holds this SKU"), "empty_bin": _l("empty bin in the SKU's velocity band"),
               "shared_bin": _l("holds other SKUs but has room"), "partial_fit": _l("room for part of the units"),
               "no_room": _l("no storage bin has room"), "no_bins": _l("the warehouse has no storage bins")}
PER_PAGE = 50


@bp.context_processor
def _helpers():
    return {"asn_status_label": lambda s: str(ASN_STATUS_LABELS.get(s, s)), "rule_label": RULE_LABELS}


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
    items, total = asn_services.asn_page(_allowed(), status=status, page=page, per_page=PER_PAGE)
    return render_template("inbound/asns.html", asns=items, totals=asn_services.asn_totals(a.id for a in items),
                           status=status, statuses=ASN_STATUSES, page=page, pages=max(1, -(-total // PER_PAGE)))


@bp.route("/asns/new", methods=["GET", "POST"])
@requires("inbound.asn_create")
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
                asn = asn_services.create_asn(form.warehouse_id.data, lines, reference=form.reference.data or "",
                                              supplier=form.supplier.data or "", expected_at=_local_midnight(
                                                  form.expected_at.data), user_id=current_user.id)
            except DomainError as error:
                flash(describe(error), "error")
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
    return render_template("inbound/asn.html", asn=asn, totals=asn_services.asn_totals([asn.id]).get(asn.id),
                           tasks=putaway_tasks.asn_tasks(asn.id))


@bp.route("/asns/<int:asn_id>/close", methods=["POST"])
@requires("locations.manage")
def asn_close(asn_id: int):
    _asn(asn_id)
    try:
        done = receiving.close_asn(asn_id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        if done.open_lines:
            flash(_("ASN closed with %(n)d under-received lines.", n=len(done.open_lines)), "error")
        else:
            flash(_("ASN closed."), "success")
    return redirect(url_for("inbound.asn_detail", asn_id=asn_id))


@bp.route("/asns/import", methods=["GET", "POST"])
@requires("inbound.asn_create")
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
@requires("inbound.asn_create")
def asn_import_errors():
    """The error report of an import just shown, rebuilt as CSV (cells made inert by errors_to_csv)."""
    try:
        rows = json.loads(request.form.get("report", "[]"))
        errors = [RowError(str(f), int(n) if n is not None else None, str(c), str(k), str(r), str(v))
                  for f, n, c, k, r, v in rows]
    except (ValueError, TypeError):
        abort(400)
    return download(errors_to_csv(errors), "asn-import-errors.csv", CSV_MIMETYPE)


# --- Receiving (handheld) -------------------------------------------------------------------------

@bp.route("/receive")
@requires("inbound.work")
def receive_start():
    return render_template("inbound/receive_start.html", asns=asn_services.receivable_asns(_allowed()),
                           warehouses=_warehouses())


@bp.route("/receive/open", methods=["POST"])
@requires("inbound.work")
@idempotent
@handheld_commands("receive")
def receive_open():
    """Scan an ASN's reference to start receiving it."""
    try:
        asn = scan_services.open_receipt(request.form.get("code", ""), warehouse_ids=_allowed())
    except DomainError as error:
        return scan_refused("handheld/_scan_error.html", error)
    return _redirect_scan(asn.reference, url_for("inbound.receive_screen", asn_id=asn.id))


@bp.route("/receive/blind", methods=["POST"])
@requires("inbound.work")
def receive_blind():
    warehouse_id = request.form.get("warehouse_id", type=int)
    require_warehouse_of("warehouse", warehouse_id)
    try:
        asn = asn_services.start_blind_receipt(warehouse_id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("inbound.receive_start"))
    return redirect(url_for("inbound.receive_screen", asn_id=asn.id))


@bp.route("/receive/<int:asn_id>")
@requires("inbound.work")
def receive_screen(asn_id: int):
    asn = _asn(asn_id)
    # The lot fields only where they can matter: some SKU of the catalog is tracked by lot.
    lot_tracked = bool(db.session.scalar(select(exists().where(Sku.lot_tracked.is_(True)))))
    return render_template("inbound/receive.html", asn=asn, lines=asn.lines, ok=True, message="", last_sku=None,
                           lot_tracked=lot_tracked, short_dated_mode=receiving.short_dated_mode())


def _received(scan: receiving.ReceiptScan) -> str:
    text = _received_units(scan)
    if scan.short_days is not None and scan.lot is not None:
        text += " " + _("Short-dated: lot %(lot)s is %(days)d days short of the minimum life at receipt; accepted "
                        "and flagged.", lot=scan.lot.lot_number, days=scan.short_days)
    return text


def _received_units(scan: receiving.ReceiptScan) -> str:
    line, sku = scan.line, scan.sku.code
    if scan.damaged:
        return _("%(n)d × %(sku)s set aside as damaged in %(bin)s.", n=scan.quantity, sku=sku, bin=scan.location.code)
    if scan.over:
        return _("Over-receipt: %(sku)s received %(received)d, expected %(expected)d. Allowed, and flagged.",
                 sku=sku, received=line.received_quantity, expected=line.expected_quantity)
    return _("+%(n)d %(sku)s: %(received)d of %(expected)d received.", n=scan.quantity, sku=sku,
             received=line.received_quantity, expected=line.expected_quantity)


@bp.route("/receive/<int:asn_id>/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
@handheld_commands("receive")
def receive_scan(asn_id: int):
    """One receiving scan: a unit (or the typed quantity) into staging, or aside when damaged."""
    asn = _asn(asn_id)
    try:
        scan = scan_services.scan_receipt(asn.id, ReceiveState.from_form(request.form), user_id=current_user.id)
    except DomainError as error:
        return scan_refused("inbound/_receipt.html", error, asn=asn, lines=asn.lines, last_sku=None)
    db.session.refresh(asn)
    return scan_result("inbound/_receipt.html", ok=not scan.went_over and scan.short_days is None,
                       message=_received(scan), asn=asn, lines=asn.lines, last_sku=scan.sku.id, last_lot=scan.lot,
                       reset=True)


@bp.route("/receive/<int:asn_id>/finish", methods=["POST"])
@requires("inbound.work")
def receive_finish(asn_id: int):
    asn = _asn(asn_id)
    try:
        done = receiving.finish_receipt(asn.id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
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
    return render_template("inbound/receive_done.html", asn=asn, tasks=putaway_tasks.asn_tasks(asn.id))


# --- Receiving settings (office) -----------------------------------------------------------------

SHORT_DATED_LABELS = {"refuse": _l("Refuse them (nothing is received)"),
                      "flag": _l("Accept them and flag the lot as a short-dated receipt")}


@bp.route("/settings", methods=["GET", "POST"])
@requires("locations.manage")
def receiving_settings():
    """What receiving does with goods below a SKU's minimum shelf life left at receipt."""
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        mode = request.form.get("short_dated", "")
        if mode not in receiving.SHORT_DATED_MODES:
            abort(400)
        put_setting(receiving.SHORT_DATED_SETTING, mode, user_id=current_user.id)
        flash(_("Receiving settings saved."), "success")
        return redirect(url_for("inbound.receiving_settings"))
    return render_template("inbound/settings.html", mode=receiving.short_dated_mode(), labels=SHORT_DATED_LABELS)


# --- Putaway (handheld) ---------------------------------------------------------------------------

@bp.route("/putaway")
@requires("inbound.work")
def putaway_list():
    return render_template("inbound/putaway_list.html", tasks=putaway_tasks.open_tasks(_allowed()))


@bp.route("/putaway/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
@handheld_commands("putaway")
def putaway_find():
    """Scan an item waiting in staging to open its (oldest) putaway task."""
    try:
        task = scan_services.find_putaway(request.form.get("code", ""), warehouse_ids=_allowed())
    except DomainError as error:
        return scan_refused("handheld/_scan_error.html", error)
    return _redirect_scan(task.sku.code, url_for("inbound.putaway_task", task_id=task.id))


@bp.route("/putaway/<int:task_id>")
@requires("inbound.work")
def putaway_task(task_id: int):
    task = _task(task_id)
    why = None
    if task.status in putaway_tasks.OPEN_TASK and task.suggested_location_id is None:
        why = suggest_putaway_bin(task.warehouse_id, task.sku_id, task.quantity, exclude_task_id=task.id,
                                  lot_id=task.lot_id).rule
    return render_template("inbound/putaway_task.html", task=task, why=why, ok=True, message="")


@bp.route("/putaway/<int:task_id>/scan", methods=["POST"])
@requires("inbound.work")
@idempotent
@handheld_commands("putaway")
def putaway_confirm(task_id: int):
    """Scan the bin the units went into: the suggested one, or another storage bin with room."""
    task = _task(task_id)
    try:
        done = scan_services.scan_putaway(task.id, request.form.get("code", ""), user_id=current_user.id)
    except DomainError as error:
        return scan_refused("inbound/_putaway_result.html", error, task=task)
    return scan_result("inbound/_putaway_result.html", ok=True, message=_put_away(done), task=done.task, done=done,
                       next_tasks=putaway_tasks.open_tasks(_allowed())[:1])


def _put_away(done: putaway_tasks.PutawayDone) -> str:
    n, sku, bin_code = done.quantity, done.task.sku.code, done.location.code
    if done.remainder is not None:
        return _("%(n)d × %(sku)s put in %(bin)s; %(rest)d more need another bin.", n=n, sku=sku, bin=bin_code,
                 rest=done.remainder.quantity)
    if done.as_suggested:
        return _("%(n)d × %(sku)s put in %(bin)s.", n=n, sku=sku, bin=bin_code)
    return _("%(n)d × %(sku)s put in %(bin)s instead of the suggested bin (noted).", n=n, sku=sku, bin=bin_code)


@bp.route("/putaway/<int:task_id>/suggest", methods=["POST"])
@requires("inbound.work")
def putaway_resuggest(task_id: int):
    _task(task_id)
    try:
        putaway_tasks.suggest_again(task_id)
    except DomainError as error:
        flash(describe(error), "error")
    return redirect(url_for("inbound.putaway_task", task_id=task_id))
