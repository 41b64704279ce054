"""The handover desk (交接单, shipping.work): open a handover per carrier, scan parcels onto it (the
scan of its own barcode closes it), take one off, close it as the courier signs, its PDF, its
printing, and the bulk-ship CSV export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.errors import DomainError, ValidationFailed
from erp_core.exports import CSV_MIMETYPE, download
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from wms.handheld import handheld_commands, scan_refused, scan_result

from . import bulk_ship, manifests, printing
from .models import Carrier, Manifest, Printer

bp = Blueprint("manifests", __name__)


def _warehouses() -> list[Warehouse]:
    allowed = current_user.warehouse_ids()
    rows = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)).all()
    return [w for w in rows if allowed is None or w.id in allowed]


def _mine(manifest_id: int) -> Manifest:
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None:
        abort(404)
    if not current_user.may_access_warehouse(manifest.warehouse_id):
        abort(403)
    return manifest


def _lang() -> str:
    wanted = request.args.get("lang") or str(get_locale())
    return "zh" if wanted.startswith("zh") else "en"


@bp.route("/")
@requires("shipping.work")
def index():
    warehouses = _warehouses()
    rows = db.session.scalars(select(Manifest).where(Manifest.warehouse_id.in_([w.id for w in warehouses]))
                              .order_by(Manifest.id.desc()).limit(50)).all()
    carriers = db.session.scalars(select(Carrier).where(Carrier.active.is_(True)).order_by(Carrier.code)).all()
    return render_template("shipping/manifest_list.html", manifests=rows, warehouses=warehouses, carriers=carriers,
                           formats=bulk_ship.FORMATS)


@bp.route("/", methods=["POST"])
@requires("shipping.work")
@idempotent
def open_new():
    warehouse_id = request.form.get("warehouse_id", type=int) or 0
    if not current_user.may_access_warehouse(warehouse_id):
        abort(403)
    manifest = manifests.open_manifest(request.form.get("carrier_id", type=int) or 0, warehouse_id,
                                       user_id=current_user.id)
    return redirect(url_for("manifests.show", manifest_id=manifest.id))


def _panel(manifest: Manifest) -> dict:
    printers = db.session.scalars(select(Printer).where(
        Printer.warehouse_id == manifest.warehouse_id, Printer.active.is_(True),
        (Printer.language == "pdf") | (Printer.kind == "browser")).order_by(Printer.name)).all()
    return {"manifest": manifest, "progress": manifests.progress(manifest), "printers": printers}


@bp.route("/<int:manifest_id>")
@requires("shipping.work")
def show(manifest_id: int):
    return render_template("shipping/manifest_show.html", **_panel(_mine(manifest_id)))


@bp.route("/<int:manifest_id>/scan", methods=["POST"])
@requires("shipping.work")
@idempotent
@handheld_commands("handover")
def scan(manifest_id: int):
    """One scan at the handover desk: a parcel's tracking number, or the handover's own barcode to close it."""
    manifest = _mine(manifest_id)
    code = request.form.get("code", "").strip()
    try:
        if code and code.upper() == manifest.reference.upper():
            manifests.close_manifest(manifest.id, courier_name=request.form.get("courier_name", ""),
                                     user_id=current_user.id)
            message = _("Handover %(reference)s closed: its parcels have shipped.", reference=manifest.reference)
        else:
            shipment = manifests.scan_parcel(manifest.id, code, user_id=current_user.id)
            message = _("Parcel %(number)s is on the handover.", number=shipment.tracking_number)
    except DomainError as error:
        db.session.expire_all()
        return scan_refused("shipping/_manifest_panel.html", error, code=error.code, **_panel(manifest))
    db.session.expire_all()
    return scan_result("shipping/_manifest_panel.html", ok=True, message=message, code="", **_panel(manifest))


@bp.route("/<int:manifest_id>/remove/<int:shipment_id>", methods=["POST"])
@requires("shipping.work")
def remove(manifest_id: int, shipment_id: int):
    shipment = manifests.remove_parcel(_mine(manifest_id).id, shipment_id, user_id=current_user.id)
    flash(_("Parcel %(number)s taken off the handover.", number=shipment.tracking_number), "success")
    return redirect(url_for("manifests.show", manifest_id=manifest_id))


@bp.route("/<int:manifest_id>/close", methods=["POST"])
@requires("shipping.work")
def close(manifest_id: int):
    manifest = manifests.close_manifest(_mine(manifest_id).id, courier_name=request.form.get("courier_name", ""),
                                        user_id=current_user.id)
    flash(_("Handover %(reference)s closed: its parcels have shipped.", reference=manifest.reference), "success")
    return redirect(url_for("manifests.show", manifest_id=manifest_id))


@bp.route("/<int:manifest_id>/pdf")
@requires("shipping.work")
def pdf(manifest_id: int):
    manifest = _mine(manifest_id)
    response = make_response(manifests.manifest_pdf(manifest.id, lang=_lang()))
    response.headers["Content-Type"] = printing.PDF
    response.headers["Content-Disposition"] = f'inline; filename="{manifest.reference}.pdf"'
    return response


@bp.route("/<int:manifest_id>/print", methods=["POST"])
@requires("shipping.work")
def print_sheet(manifest_id: int):
    """Send the handover sheet to a PDF (or browser) printer of its warehouse, through the print queue."""
    manifest = _mine(manifest_id)
    printer = db.session.get(Printer, request.form.get("printer_id", type=int) or 0)
    if printer is None or printer.warehouse_id != manifest.warehouse_id:
        abort(404)
    sheet = manifests.manifest_pdf(manifest.id, lang=_lang())
    printing.enqueue_print(printer.id, "manifest", manifest.reference, sheet, printing.PDF, current_user.id)
    flash(_("Handover %(reference)s sent to %(printer)s.", reference=manifest.reference, printer=printer.name),
          "success")
    return redirect(url_for("manifests.show", manifest_id=manifest_id))


def _csv_response(rows, fmt: str, name: str):
    return download(bulk_ship.bulk_ship_csv(rows, fmt), f"{name}-{fmt}.csv", CSV_MIMETYPE)


def _format() -> str:
    fmt = request.args.get("format", "taobao")
    if fmt not in bulk_ship.FORMATS:
        raise ValidationFailed("choose a bulk-ship format", code="bulk_ship_format_unknown", format=fmt)
    return fmt


@bp.route("/<int:manifest_id>/export")
@requires("shipping.work")
def export_manifest(manifest_id: int):
    """The bulk-ship file of the parcels a closed handover shipped."""
    manifest, fmt = _mine(manifest_id), _format()
    rows = bulk_ship.shipped_rows(fmt=fmt, warehouse_ids={manifest.warehouse_id}, manifest_id=manifest.id)
    return _csv_response(rows, fmt, manifest.reference)


@bp.route("/export")
@requires("shipping.work")
def export_dates():
    """The bulk-ship file of the parcels shipped between two dates (local time, both included)."""
    fmt = _format()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
        end = date.fromisoformat(request.args.get("to", "")) if request.args.get("to") else start
    except ValueError as error:
        raise ValidationFailed("give the dates as YYYY-MM-DD", code="bulk_ship_dates_invalid") from error
    if end < start:
        raise ValidationFailed("the end date is before the start date", code="bulk_ship_dates_invalid")
    rows = bulk_ship.shipped_rows(fmt=fmt, warehouse_ids=current_user.warehouse_ids(), date_from=start, date_to=end,
                                  timezone=current_app.config["WMS_DISPLAY_TIMEZONE"])
    return _csv_response(rows, fmt, f"shipped-{start.isoformat()}-{end.isoformat()}")
