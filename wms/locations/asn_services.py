"""ASNs (advance shipping notices) of inbound (入库): creating them, blind receipts, the staging and
damaged bins they receive into, and reading them for the office and the dock.

Every service validates before it writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from erp_core.catalog.models import Sku
from erp_core.db import atomic, locked
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.inventory.services import required_bin

from ..scanning import bad_quantity
from .models import Asn, AsnLine

RECEIVABLE = ("open", "receiving")
MAX_ASN_QUANTITY = 10_000_000
# What the screens, and the refusals, call each status of an ASN.
ASN_STATUS_LABELS = {"open": _l("Awaiting receipt"), "receiving": _l("Receiving"), "closed": _l("Closed"),
                     "cancelled": _l("Cancelled")}


# --- ASNs -----------------------------------------------------------------------------------------

def create_asn(warehouse_id: int, lines: Iterable[tuple[int, int]], *, reference: str = "", supplier: str = "",
               expected_at: datetime | None = None, user_id: int | None = None,
               purchase_order_id: int | None = None) -> Asn:
    """An ASN with its expected lines (sku_id, quantity); lines of one SKU are added together; with
    `purchase_order_id`, its receipts count on that PO (see po_inbound).

    Without a reference one is given (ASN-000123). Raises asn_exists, no_lines, bad_quantity, unknown_sku.
    """
    reference = reference.strip()
    wanted: dict[int, int] = {}
    for sku_id, quantity in lines:
        if not isinstance(quantity, int) or not 0 < quantity <= MAX_ASN_QUANTITY:
            raise bad_quantity(1, MAX_ASN_QUANTITY)
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    if not wanted:
        raise ValidationFailed("Enter at least one line with a SKU and a quantity.", code="no_lines")
    if len(reference) > 40:
        raise ValidationFailed("a reference has at most 40 characters", code="bad_reference")
    with atomic():
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        if reference and db.session.scalar(select(Asn.id).filter_by(reference=reference)):
            raise Conflict(f"ASN {reference} already exists.", code="asn_exists", reference=reference)
        known = set(db.session.scalars(select(Sku.id).where(Sku.id.in_(wanted))))
        if known != set(wanted):
            raise NotFound("no such SKU", code="unknown_sku")
        asn = Asn(reference=reference or f"ASN-new-{uuid.uuid4().hex[:12]}", warehouse_id=warehouse_id,
                  supplier=supplier.strip()[:120], expected_at=expected_at, created_by_id=user_id, status="open",
                  purchase_order_id=purchase_order_id,
                  lines=[AsnLine(sku_id=s, expected_quantity=q) for s, q in wanted.items()])
        db.session.add(asn)
        db.session.flush()
        if not reference:
            asn.reference = f"ASN-{asn.id:06d}"
            db.session.flush()
    return asn


def start_blind_receipt(warehouse_id: int, *, supplier: str = "", user_id: int | None = None) -> Asn:
    """A blind receipt: an ASN with no expected lines (BLIND-000123); every scanned SKU becomes a line."""
    with atomic():
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        staging_bin(warehouse_id)  # say so now, not at the first scan
        asn = Asn(reference=f"BLIND-new-{uuid.uuid4().hex[:12]}", warehouse_id=warehouse_id, blind=True,
                  supplier=supplier.strip()[:120], created_by_id=user_id, status="open")
        db.session.add(asn)
        db.session.flush()
        asn.reference = f"BLIND-{asn.id:06d}"
        db.session.flush()
    return asn


def staging_bin(warehouse_id: int) -> Location:
    """The warehouse's receiving staging bin (the first active one). Raises no_staging_bin."""
    return required_bin(warehouse_id, "staging", code="no_staging_bin",
                        message="Warehouse {warehouse} has no staging bin: create a bin of type staging first.")


def damaged_bin(warehouse_id: int) -> Location:
    """The warehouse's bin for damaged goods. Raises no_damaged_bin."""
    return required_bin(warehouse_id, "damaged", code="no_damaged_bin",
                        message="Warehouse {warehouse} has no damaged-goods bin: create one to set units aside.")


def locked_asn(asn_id: int) -> Asn:
    asn = locked(Asn, asn_id)
    if asn is None:
        raise NotFound("No such ASN.", code="unknown_asn", scanned="–")
    return asn


def require_receivable(asn: Asn) -> None:
    """Refused (asn_not_receivable) when the ASN is closed or cancelled."""
    if asn.status not in RECEIVABLE:
        # status_label: the status in the reader's language; the English sentence uses the English one.
        raise Conflict(f"ASN {asn.reference} is {asn.status.capitalize()}: nothing more can be received on it.",
                       code="asn_not_receivable", reference=asn.reference, asn_status=asn.status,
                       status_label=ASN_STATUS_LABELS.get(asn.status, asn.status))


# --- Reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AsnTotals:
    expected: int = 0
    received: int = 0
    damaged: int = 0
    over_lines: int = 0   # lines received beyond what was expected
    short_lines: int = 0  # lines received less than expected


def asn_totals(asn_ids: Iterable[int]) -> dict[int, AsnTotals]:
    """Received / expected per ASN, with the number of over- and under-received lines."""
    ids = list(asn_ids)
    if not ids:
        return {}
    over = func.sum(case((AsnLine.received_quantity > AsnLine.expected_quantity, 1), else_=0))
    short = func.sum(case((AsnLine.received_quantity < AsnLine.expected_quantity, 1), else_=0))
    rows = db.session.execute(
        select(AsnLine.asn_id, func.sum(AsnLine.expected_quantity), func.sum(AsnLine.received_quantity),
               func.sum(AsnLine.damaged_quantity), over, short)
        .where(AsnLine.asn_id.in_(ids)).group_by(AsnLine.asn_id))
    blind = set(db.session.scalars(select(Asn.id).where(Asn.id.in_(ids), Asn.blind.is_(True))))
    return {a: AsnTotals(int(e or 0), int(r or 0), int(d or 0), 0 if a in blind else int(o or 0),
                         0 if a in blind else int(s or 0)) for a, e, r, d, o, s in rows}


def asn_page(warehouse_ids: set[int] | None, *, status: str = "", page: int = 1,
             per_page: int = 50) -> tuple[list[Asn], int]:
    """ASNs newest first, filtered by status, with the total count."""
    stmt = select(Asn)
    if warehouse_ids is not None:
        stmt = stmt.where(Asn.warehouse_id.in_(warehouse_ids))
    if status:
        stmt = stmt.where(Asn.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(stmt.order_by(Asn.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return list(items), int(total)


def receivable_asns(warehouse_ids: set[int] | None, limit: int = 30) -> list[Asn]:
    """Open and receiving ASNs, oldest expected first (the dock's to-do list)."""
    stmt = select(Asn).where(Asn.status.in_(RECEIVABLE))
    if warehouse_ids is not None:
        stmt = stmt.where(Asn.warehouse_id.in_(warehouse_ids))
    return list(db.session.scalars(stmt.order_by(Asn.expected_at.is_(None), Asn.expected_at, Asn.id).limit(limit)))


def asn_by_reference(reference: str) -> Asn | None:
    return db.session.scalar(select(Asn).filter_by(reference=reference.strip()))
