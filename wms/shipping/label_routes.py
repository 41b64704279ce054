"""Printing labels (waybills, packing slips, SSCC pallet labels) as PDF or ZPL, and the label template
editor with its live preview. Printing needs packing.work; editing templates needs shipping.manage.

Every document is rendered fresh and sent with ``Cache-Control: no-store``: a waybill carries a
recipient's name and address, and a reprint after a change must never come from a cache.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from erp_core.auth.guard import in_my_warehouses, requires
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from erp_core.messages import describe
from wms.documents import StaticOnlyURLFetcher

from . import document_jobs, labels, template_store, zpl
from .label_data import packing_slip_data, sample_waybill, sender_of, wave_shipments, waybill_data
from .models import LABEL_FORMATS, Manifest, Shipment
from .sscc import DEFAULT_COMPANY_PREFIX, PalletLabel, make_sscc

bp = Blueprint("labels", __name__)

MANIFEST_EXTENSION = 1  # SSCC extension digit of manifest pallets; typed serials use 0, so the two never meet
FORM_EXTENSION = 0


def _lang() -> str:
    lang = request.args.get("lang") or ("zh" if str(get_locale()).startswith("zh") else "en")
    if lang not in ("en", "zh"):
        abort(400)
    return lang


def _dpi() -> int:
    dpi = request.args.get("dpi", 203, type=int)
    if dpi not in (203, 300):
        abort(400)
    return dpi


def _document(payload: bytes | str, mimetype: str, filename: str) -> Response:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response = Response(payload, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: DomainError):
    response = Response(render_template("_error.html", message=describe(error)), status=error.status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _shipment(shipment_id: int) -> Shipment:
    return in_my_warehouses(Shipment, shipment_id)


@bp.route("/shipments/<int:shipment_id>/waybill.pdf")
@requires("packing.work")
def waybill_pdf(shipment_id: int):
    """The shipment's waybills (one a parcel), in ?format= or the carrier's label format."""
    shipment = _shipment(shipment_id)
    fmt = request.args.get("format") or None
    if fmt is not None and fmt not in LABEL_FORMATS:
        abort(400)
    lang = _lang()
    try:
        pdf = labels.waybills_pdf(waybill_data(shipment, lang=lang), label_format=fmt, lang=lang,
                                  body=template_store.override_body("waybill.html"))
    except DomainError as error:
        return _refused(error)
    return _document(pdf, "application/pdf", f"waybill-{shipment.reference}.pdf")


@bp.route("/shipments/<int:shipment_id>/waybill.zpl")
@requires("packing.work")
def waybill_zpl(shipment_id: int):
    shipment = _shipment(shipment_id)
    fmt = request.args.get("format") or None
    if fmt is not None and fmt not in LABEL_FORMATS:
        abort(400)
    try:
        text = zpl.waybill_zpl(waybill_data(shipment, lang=_lang()), dpi=_dpi(), label_format=fmt)
    except DomainError as error:
        return _refused(error)
    return _document(text, "application/zpl", f"waybill-{shipment.reference}.zpl")


@bp.route("/shipments/<int:shipment_id>/packing-slip.pdf")
@requires("packing.work")
def packing_slip_pdf(shipment_id: int):
    shipment = _shipment(shipment_id)
    size = request.args.get("size", "a4")
    if size not in labels.SLIP_FORMATS:
        abort(400)
    lang = _lang()
    try:
        pdf = labels.packing_slips_pdf([packing_slip_data(shipment, lang=lang)], size=size, lang=lang,
                                       body=template_store.override_body("packing_slip.html"))
    except DomainError as error:
        return _refused(error)
    return _document(pdf, "application/pdf", f"packing-slip-{shipment.reference}.pdf")


@bp.route("/shipments/<int:shipment_id>/packing-slip.zpl")
@requires("packing.work")
def packing_slip_zpl(shipment_id: int):
    shipment = _shipment(shipment_id)
    try:
        text = zpl.packing_slip_zpl([packing_slip_data(shipment, lang=_lang())], dpi=_dpi())
    except DomainError as error:
        return _refused(error)
    return _document(text, "application/zpl", f"packing-slip-{shipment.reference}.zpl")


@bp.route("/waves/<int:wave_id>/waybills.pdf")
@requires("packing.work")
def wave_waybills_pdf(wave_id: int):
    """Every waybill of a wave's shipments in pick order, as ONE document (one print job, one start-up)."""
    return _wave_documents(wave_id, "waybills")


@bp.route("/waves/<int:wave_id>/packing-slips.pdf")
@requires("packing.work")
def wave_packing_slips_pdf(wave_id: int):
    """Every packing slip of a wave's shipments in pick order, as ONE document (?size=a4|100x150)."""
    return _wave_documents(wave_id, "packing_slips")


def _wave_documents(wave_id: int, document: str):
    """A small wave's batch at once; a large one (over JOBS_DOCUMENTS_IMMEDIATE_MAX shipments) as a
    background job: the page goes to the job, whose page offers the file when it is done."""
    from wms.picking.models import Wave

    wave = in_my_warehouses(Wave, wave_id)
    lang = _lang()
    size = request.args.get("size", "a4")
    if size not in labels.SLIP_FORMATS:
        abort(400)
    shipments = wave_shipments(wave.id)
    if not shipments:
        flash(_("Wave %(wave)s has no packed shipments yet: nothing to print.", wave=wave.reference), "error")
        return redirect(url_for("picking.wave", wave_id=wave.id))
    if len(shipments) > document_jobs.immediate_limit():
        job = document_jobs.start_wave_documents_job(wave, document, shipments, lang=lang, size=size,
                                                     user_id=current_user.id)
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        pdf = document_jobs.render_documents(document, shipments, lang=lang, size=size)
    except DomainError as error:
        return _refused(error)
    return _document(pdf, "application/pdf", document_jobs.document_name(document, wave.reference))


def _company_prefix() -> str:
    return str(current_app.config.get("WMS_GS1_COMPANY_PREFIX")
               or os.environ.get("WMS_GS1_COMPANY_PREFIX", DEFAULT_COMPANY_PREFIX))


def _pallet_label(lang: str) -> PalletLabel:
    """The pallet label a manifest (?manifest_id=) or the form (serial, postcode, consignment, ship_to) asks for."""
    args = request.args
    manifest_id = args.get("manifest_id", type=int)
    if manifest_id:
        manifest = in_my_warehouses(Manifest, manifest_id)
        warehouse = db.session.get(Warehouse, manifest.warehouse_id)
        return PalletLabel(sscc=make_sscc(_company_prefix(), manifest.id, MANIFEST_EXTENSION),
                           postcode=args.get("postcode", "").strip(), consignment=manifest.reference,
                           ship_to=manifest.carrier.display_name(lang), ship_from=sender_of(warehouse, lang).name,
                           carrier=manifest.carrier.display_name(lang), parcels=len(manifest.shipments))
    serial = args.get("serial", "").strip()
    if not serial.isdigit():
        abort(400)
    return PalletLabel(sscc=make_sscc(_company_prefix(), int(serial), FORM_EXTENSION),
                       postcode=args.get("postcode", "").strip(), consignment=args.get("consignment", "").strip(),
                       ship_to=args.get("ship_to", "").strip(), ship_from=args.get("ship_from", "").strip(),
                       carrier=args.get("carrier", "").strip())


@bp.route("/sscc")
@requires("packing.work")
def sscc_form():
    return render_template("shipping/label_sscc.html")


@bp.route("/sscc.pdf")
@requires("packing.work")
def sscc_pdf():
    lang = _lang()
    try:
        label = _pallet_label(lang)
        pdf = labels.sscc_pdf([label], lang=lang, body=template_store.override_body("sscc.html"))
    except DomainError as error:
        return _refused(error)
    return _document(pdf, "application/pdf", f"sscc-{label.sscc}.pdf")


@bp.route("/sscc.zpl")
@requires("packing.work")
def sscc_zpl():
    try:
        label = _pallet_label(_lang())
        text = zpl.sscc_zpl([label], dpi=_dpi())
    except DomainError as error:
        return _refused(error)
    return _document(text, "application/zpl", f"sscc-{label.sscc}.zpl")


# --- the template editor -----------------------------------------------------------------------------


@bp.route("/label-templates")
@requires("shipping.manage")
def templates():
    return render_template("shipping/label_templates.html", names=template_store.EDITABLE,
                           overrides=template_store.overrides())


@bp.route("/label-templates/<name>")
@requires("shipping.manage")
def edit_template(name: str):
    body, overridden = _body_or_404(name)
    return render_template("shipping/label_edit.html", name=name, body=body, overridden=overridden,
                           formats=LABEL_FORMATS)


def _body_or_404(name: str) -> tuple[str, bool]:
    if name not in template_store.EDITABLE:
        abort(404)
    return template_store.template_body(name)


def sample_context(name: str, label_format: str = "100x150") -> dict:
    """The sample shipment (or pallet) the editor previews ``name`` with."""
    if name == "waybill.html":
        return labels.waybill_context([sample_waybill(label_format)])
    if name == "packing_slip.html":
        return labels.slip_context([sample_waybill()], "100x150" if label_format == "100x150" else "a4")
    return labels.sscc_context([PalletLabel(make_sscc(DEFAULT_COMPANY_PREFIX, 1), "200120", "MF-20261120-0001",
                                            ship_to="中通快递 上海分拨中心", ship_from="上海一号仓", carrier="中通快递",
                                            parcels=42)])


@bp.route("/label-templates/<name>/preview", methods=["POST"])
@requires("shipping.manage")
def preview_template(name: str):
    """HTMX: render the textarea's template with the sample shipment and answer the preview fragment."""
    _body_or_404(name)
    body = request.form.get("body", "")
    fmt = request.form.get("format", "100x150")
    if fmt not in LABEL_FORMATS:
        fmt = "100x150"
    fetcher = StaticOnlyURLFetcher()
    try:
        pdf = template_store.render_document(name, sample_context(name, fmt), lang=_lang(), body=body,
                                             url_fetcher=fetcher)
    except DomainError as error:
        return render_template("shipping/_label_preview.html", error=describe(error), refused=fetcher.refused)
    png = preview_png(pdf)
    return render_template("shipping/_label_preview.html", error=None, refused=fetcher.refused,
                           png=base64.b64encode(png).decode("ascii") if png else None,
                           pdf=None if png else base64.b64encode(pdf).decode("ascii"))


def preview_png(pdf: bytes) -> bytes | None:
    """The first page as PNG through poppler's pdftoppm (installed with poppler-utils); None without it."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    done = subprocess.run([tool, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", "-"], input=pdf,  # noqa: S603
                          capture_output=True, timeout=60, check=False)
    return done.stdout if done.returncode == 0 and done.stdout else None


@bp.route("/label-templates/<name>", methods=["POST"])
@requires("shipping.manage")
def save_template(name: str):
    _body_or_404(name)
    body = request.form.get("body", "")
    try:
        # Render it once with the sample first: a template the sandbox refuses is never saved.
        template_store.render_html(name, sample_context(name), lang="en", body=body)
        template_store.save_override(name, body, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return render_template("shipping/label_edit.html", name=name, body=body, overridden=True,
                               formats=LABEL_FORMATS), error.status
    flash(_("Template %(name)s saved: labels print with it from now on.", name=name), "success")
    return redirect(url_for(".edit_template", name=name))


@bp.route("/label-templates/<name>/reset", methods=["POST"])
@requires("shipping.manage")
def reset_template(name: str):
    _body_or_404(name)
    template_store.reset_override(name)
    flash(_("Template %(name)s is back to the default.", name=name), "success")
    return redirect(url_for(".edit_template", name=name))
