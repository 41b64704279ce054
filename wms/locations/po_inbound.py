"""The floor's side of purchase orders (采购单): an ASN for what a PO still has to deliver.

The ERP core owns the PO (erp_core.purchasing); the floor owns ASNs. Receiving scans on an ASN of a
PO count on the PO's lines inside the receiving transaction (`receiving.receive_scan` calls
`erp_core.purchasing.services.receive_against_po`). Routes: `POST /inbound/po/<id>/asn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from erp_core.auth.guard import requires
from erp_core.db import atomic
from erp_core.errors import DomainError, ValidationFailed
from erp_core.extensions import db
from erp_core.messages import describe
from erp_core.purchasing.access import order_for
from erp_core.purchasing.services import lock_for_shipment, remaining_by_sku

from .asn_services import RECEIVABLE, create_asn
from .models import Asn, AsnLine

bp = Blueprint("po_inbound", __name__)


def announced(po_id: int) -> dict[int, int]:
    """{sku_id: units on the PO's open ASNs not yet received} (announced, still to arrive)."""
    stmt = (select(AsnLine.sku_id, func.sum(AsnLine.expected_quantity - AsnLine.received_quantity))
            .join(Asn, Asn.id == AsnLine.asn_id)
            .where(Asn.purchase_order_id == po_id, Asn.status.in_(RECEIVABLE),
                   AsnLine.expected_quantity > AsnLine.received_quantity)
            .group_by(AsnLine.sku_id))
    return {s: int(q) for s, q in db.session.execute(stmt)}


def po_asns(po_id: int) -> list[Asn]:
    return list(db.session.scalars(select(Asn).where(Asn.purchase_order_id == po_id).order_by(Asn.id)))


def create_asn_for_po(po_id: int, *, by_supplier: bool, quantities: Mapping[int, int] | None = None,
                      user_id: int | None = None) -> Asn:
    """An ASN for a PO's shipment: the given units per SKU (each at most what is still to come), or
    everything still to come: ordered - received - already announced on open ASNs.

    Locks: the PO row, so two ASNs made at once never announce the same units twice. Raises
    po_not_shippable, po_nothing_to_ship, asn_exceeds_po."""
    with atomic():
        po = lock_for_shipment(po_id, by_supplier=by_supplier)
        open_units = announced(po.id)
        left = {s: q - open_units.get(s, 0) for s, q in remaining_by_sku(po).items()}
        left = {s: q for s, q in left.items() if q > 0}
        wanted = {s: q for s, q in (quantities or left).items() if q > 0}
        for sku_id, quantity in wanted.items():
            if quantity > left.get(sku_id, 0):
                code = next((line.sku.code for line in po.lines if line.sku_id == sku_id), "?")
                raise ValidationFailed(f"{code}: {quantity} is more than the {left.get(sku_id, 0)} still to come on "
                                       f"{po.number}", code="asn_exceeds_po", sku=code, number=po.number,
                                       quantity=quantity, left=left.get(sku_id, 0))
        if not wanted:
            raise ValidationFailed(f"everything on {po.number} is received or announced already",
                                   code="po_nothing_to_ship", number=po.number)
        expected = po.promised_date or po.expected_date
        expected_at = datetime.combine(expected, time(0), ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"])) \
            if expected else None
        return create_asn(po.warehouse_id, sorted(wanted.items()), supplier=po.supplier.name, expected_at=expected_at,
                          user_id=user_id, purchase_order_id=po.id)


@bp.route("/po/<int:po_id>/asn", methods=["POST"])
@requires("purchasing.asn")
def create_asn_route(po_id: int):
    """Create ASN: the office for all that is still to come; a supplier for its shipment (qty-<sku_id>)."""
    po = order_for(po_id)  # 404 for another supplier's PO, 403 outside the user's warehouses
    by_supplier = current_user.supplier_id is not None
    quantities = None
    if by_supplier:
        try:
            quantities = {line.sku_id: int(request.form.get(f"qty-{line.sku_id}") or 0) for line in po.lines}
        except ValueError:
            abort(400)
    try:
        asn = create_asn_for_po(po.id, by_supplier=by_supplier, quantities=quantities, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("purchasing.order_detail", po_id=po.id))
    flash(_("ASN %(reference)s created.", reference=asn.reference), "success")
    if by_supplier or not current_user.can("inbound.work"):
        return redirect(url_for("purchasing.order_detail", po_id=po.id))
    return redirect(url_for("inbound.asn_detail", asn_id=asn.id))
