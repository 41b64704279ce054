"""The returns station (退货 / 售后收货): desktop with a USB scanner, or the 360-px handheld, one scan form.

Scan the return waybill, the outbound waybill of the order's shipment, the order number or the case
number: the open case shows (or, for the office, an offer to open one). Then scan each returned item:
it is received (CUSTOMER -> the warehouse's returns bin, of the lot shipped on that order; asked when
several could be it); a wrong item is refused with the error sound and nothing changes. Received
units are inspected on the same screen: back to stock, to the damaged bin, or scrapped.

Thin: the services are erp_core.aftersales; scans carry an Idempotency-Key (static/js/scanner.js), so
a retried scan is applied once. Every route taking a case checks the user's warehouses.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from erp_core.aftersales import services as cases
from erp_core.aftersales.domain import OUTCOMES
from erp_core.aftersales.models import AfterSalesCase
from erp_core.aftersales.receiving import INSPECTING, RECEIVING, inspect_return, lot_options, receive_return
from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.auth.object_access import require_warehouse_of
from erp_core.db import atomic
from erp_core.errors import DomainError, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.lots import find_lot
from erp_core.orders.models import Order
from wms.handheld import HandheldTask, register_task, scan_refused, scan_result
from wms.picking.pick_lots import read_item_scan
from wms.scanning import ScanRefused, unknown_code, wrong_item

from .returns_lookup import bin_by_scan, find_by_scan

bp = Blueprint("returns_station", __name__)
register_task(HandheldTask("returns_station.station", _l("Returns"), "returns.work", "undo"))

PANEL = "returns/_station_panel.html"


def _case(case_id: int | None) -> AfterSalesCase | None:
    """The case the form carries: 404 when there is none, 403 in another warehouse."""
    if not case_id:
        return None
    case = db.session.get(AfterSalesCase, case_id)
    if case is None:
        abort(404)
    if not current_user.may_access_warehouse(case.warehouse_id):
        abort(403)
    return case


def _panel(case: AfterSalesCase | None = None, order: Order | None = None, *, lots=None, lot_line=None,
           code: str = "") -> dict:
    return {"case": case, "order": order or (case.order if case else None), "lots": lots or [],
            "lot_line": lot_line, "pending_code": code, "outcomes": OUTCOMES,
            "may_open": current_user.can("aftersales.manage"),
            "receiving": case is not None and case.status in RECEIVING,
            "inspecting": case is not None and case.status in INSPECTING
            and any(line.to_inspect for line in case.lines)}


def _quantity() -> int:
    typed = request.form.get("qty", "").strip() or "1"
    if not typed.isdigit() or not 0 < int(typed) <= 10_000:
        raise ValidationFailed("The quantity must be a whole number from 1 to 10000.", code="bad_quantity",
                               minimum=1, maximum=10_000)
    return int(typed)


@bp.route("/")
@requires("returns.work")
def station():
    case = _case(request.args.get("case_id", type=int))
    return render_template("returns/station.html", ok=True, message="", **_panel(case))


@bp.route("/scan", methods=["POST"])
@requires("returns.work")
@idempotent
def scan():
    """One scan: a waybill, order or case number opens the case; an item is received into it."""
    case = _case(request.form.get("case_id", type=int))
    code = request.form.get("code", "").strip()
    try:
        if case is None or case.status not in RECEIVING:
            return _open(code)
        return _receive(case, code)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel(case))


def _open(code: str):
    case, order = find_by_scan(code, current_user.warehouse_ids())
    if case is None and order is None:
        raise unknown_code(code)
    if case is None:
        error = ScanRefused(f"Order {order.external_id} has no open after-sales case.", code="no_open_case",
                            order=order.external_id)
        return scan_refused(PANEL, error, **_panel(order=order))
    if case.status in RECEIVING:
        message = _("Case %(case)s: scan each returned item.", case=case.number)
    else:
        message = _("Case %(case)s is %(status)s.", case=case.number, status=_case_status(case.status))
    return scan_result(PANEL, ok=True, message=message, **_panel(case))


def _case_status(code: str) -> str:
    from erp_core.aftersales.labels import CASE_STATUS_LABELS

    return str(CASE_STATUS_LABELS.get(code, code))


def _receive(case: AfterSalesCase, code: str):
    item = read_item_scan(code, request.form.get("lot", ""))
    if item.sku is None:
        other, order = find_by_scan(code, current_user.warehouse_ids())
        if other is not None or order is not None:
            return _open(code)
        raise unknown_code(code)
    lines = [line for line in case.lines if line.sku_id == item.sku.id]
    line = next((line for line in lines if line.to_receive > 0), None)
    if line is None:
        if lines:
            raise ScanRefused(f"{item.sku.code}: every unit of case {case.number} is received already",
                              code="return_fully_received", sku=item.sku.code, case=case.number)
        left = ", ".join(f"{line.sku.code} ×{line.to_receive}" for line in case.lines if line.to_receive)
        raise wrong_item(code, left)
    lot_id = request.form.get("lot_id", type=int)
    if item.lot and lot_id is None:
        lot = find_lot(item.sku.id, item.lot)
        lot_id = lot.id if lot else -1  # a lot not shipped on the order: refused by the service
    try:
        receipt = receive_return(case.id, line.id, _quantity(), lot_id=lot_id, user_id=current_user.id)
    except ValidationFailed as error:
        if error.code != "lot_choice_needed":
            raise
        return scan_refused(PANEL, error, **_panel(case, lots=lot_options(case, line), lot_line=line, code=code))
    db.session.refresh(case)
    lot = f" ({receipt.lot.lot_number})" if receipt.lot else ""
    return scan_result(PANEL, ok=True, message=_("Received %(sku)s ×%(n)d%(lot)s into %(bin)s.", sku=line.sku.code,
                                                 n=receipt.quantity, lot=lot, bin=receipt.location.code),
                       **_panel(case))


@bp.route("/inspect", methods=["POST"])
@requires("returns.work")
@idempotent
def inspect():
    """The inspection of received units of one line: sellable (to the bin scanned), damaged or scrap."""
    case = _case(request.form.get("case_id", type=int) or 0)
    if case is None:
        abort(404)
    outcome = request.form.get("outcome", "")
    try:
        target = None
        bin_code = request.form.get("bin", "").strip()
        if bin_code:
            found = bin_by_scan(bin_code, case.warehouse_id)
            if found is None:
                raise ScanRefused(f"No bin {bin_code} in this warehouse.", code="unknown_bin", scanned=bin_code)
            target = found.id
        elif outcome == "sellable":
            raise ScanRefused("Scan the bin the sellable units go to.", code="bin_required")
        quantity = _quantity()
        line_id = request.form.get("line_id", type=int) or 0
        inspect_return(case.id, line_id, quantity, outcome, to_location_id=target,
                       note=request.form.get("note", "").strip(), user_id=current_user.id)
    except DomainError as error:
        db.session.refresh(case)
        return scan_refused(PANEL, error, **_panel(case))
    db.session.refresh(case)
    return scan_result(PANEL, ok=True, message=_("Inspected: %(n)d × %(outcome)s.", n=quantity,
                                                 outcome=_outcome(outcome)), **_panel(case))


def _outcome(code: str) -> str:
    from erp_core.aftersales.labels import OUTCOME_LABELS

    return str(OUTCOME_LABELS.get(code, code))


@bp.route("/open-case", methods=["POST"])
@requires("returns.work")
@idempotent
def open_case():
    """The office at the station opens (and approves) a return of everything still returnable."""
    if not current_user.can("aftersales.manage"):
        abort(403)
    order_id = request.form.get("order_id", type=int) or 0
    require_warehouse_of("order", order_id)
    order = db.session.get(Order, order_id)
    try:
        with atomic():
            lines = [cases.NewCaseLine(line.id, left, "other") for line, left in cases.returnable_lines(order)
                     if left > 0]
            case = cases.create_case(cases.NewCase(order_id=order.id, kind="return_refund", lines=lines,
                                                   note="opened at the returns station"), user_id=current_user.id)
            cases.approve_case(case.id, user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel(order=order))
    db.session.refresh(case)
    return scan_result(PANEL, ok=True, message=_("Case %(case)s opened: scan each returned item.",
                                                 case=case.number), **_panel(case))

