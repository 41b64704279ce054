"""Purchase orders (采购单): create, edit while draft, send, confirm, cancel, close; and the receipts the
warehouse floor reports against them.

Each service is one unit of work; a status moves only through `compare_and_set` over TRANSITIONS, so
of two people sending (or confirming) one PO at once one wins and the other gets a clean 409.
The floor (wms) calls `receive_against_po` inside its receiving transaction: the PO line, the
receipt row with its landed cost, the PO's status and the outbox message commit with the stock move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from ..catalog.models import Sku
from ..db import atomic, locked
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from ..models_base import utcnow
from ..outbox import publish
from ..sequences import next_number
from ..settings import get_setting
from ..statemachine import compare_and_set
from . import domain
from .models import RECEIVABLE, TRANSITIONS, PurchaseOrder, PurchaseOrderLine, PurchaseReceipt, Supplier
from .suppliers import MAX_PRICE, check_currency, supplier_sku

TOLERANCE_SETTING = "purchasing.over_receipt_pct"
MAX_LINE_QUANTITY = 10_000_000
RECEIPT_TOPIC = "purchasing.receipt"


def default_tolerance() -> int:
    """The over-receipt tolerance (percent) a new PO starts with; the setting, else 0 (none)."""
    value = get_setting(TOLERANCE_SETTING, 0)
    return value if isinstance(value, int) and 0 <= value <= 100 else 0


@dataclass(frozen=True)
class NewPoLine:
    sku_id: int
    quantity: int
    unit_price: Decimal | None = None  # None: the supplier's price for the SKU


@dataclass(frozen=True)
class NewPo:
    supplier_id: int
    warehouse_id: int
    lines: Sequence[NewPoLine] = field(default_factory=tuple)
    expected_date: date | None = None
    freight: Decimal = Decimal("0")
    notes: str = ""
    over_receipt_pct: int | None = None  # None: the setting's default
    currency: str = ""                   # empty: the supplier's


def get_po(po_id: int) -> PurchaseOrder:
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        raise NotFound("no such purchase order", code="unknown_po")
    return po


def _locked_po(po_id: int) -> PurchaseOrder:
    po = locked(PurchaseOrder, po_id)
    if po is None:
        raise NotFound("no such purchase order", code="unknown_po")
    return po


def _check_money(amount: Decimal, what: str) -> Decimal:
    if not isinstance(amount, Decimal) or not Decimal("0") <= amount <= MAX_PRICE:
        raise ValidationFailed(f"{what} must be a non-negative amount", code="bad_price", value=str(amount))
    return amount.quantize(Decimal("0.01"))


def _check_tolerance(pct: int) -> int:
    if not isinstance(pct, int) or not 0 <= pct <= 100:
        raise ValidationFailed("the over-receipt tolerance is 0 to 100 percent", code="bad_tolerance", value=pct)
    return pct


def _lines(supplier_id: int, lines: Iterable[NewPoLine]) -> list[PurchaseOrderLine]:
    """PO lines checked (SKU known, quantity 1.., a price given or the supplier's); one line a SKU."""
    made: dict[int, PurchaseOrderLine] = {}
    for line in lines:
        if not isinstance(line.quantity, int) or not 0 < line.quantity <= MAX_LINE_QUANTITY:
            raise ValidationFailed("a quantity is a whole number from 1", code="bad_po_quantity", value=line.quantity)
        sku = db.session.get(Sku, line.sku_id)
        if sku is None:
            raise NotFound("no such SKU", code="unknown_sku")
        price = line.unit_price
        if price is None:
            listed = supplier_sku(supplier_id, sku.id)
            if listed is None:
                raise ValidationFailed(f"{sku.code} has no price from this supplier: give one", code="po_line_no_price",
                                       sku=sku.code)
            price = listed.price
        if sku.id in made:
            made[sku.id].quantity += line.quantity
        else:
            made[sku.id] = PurchaseOrderLine(sku_id=sku.id, quantity=line.quantity,
                                             unit_price=_check_money(price, "a unit price"))
    if not made:
        raise ValidationFailed("a purchase order needs at least one line", code="po_no_lines")
    return list(made.values())


def create_po(new: NewPo, *, user_id: int | None = None) -> PurchaseOrder:
    """A draft PO numbered PO-000001 (a counter row: never two alike). Raises unknown_supplier,
    supplier_inactive, unknown_warehouse, po_no_lines, bad_po_quantity, po_line_no_price, bad_price."""
    freight = _check_money(new.freight, "freight")
    tolerance = _check_tolerance(default_tolerance() if new.over_receipt_pct is None else new.over_receipt_pct)
    with atomic():
        supplier = db.session.get(Supplier, new.supplier_id)
        if supplier is None:
            raise NotFound("no such supplier", code="unknown_supplier")
        if not supplier.active:
            raise Conflict(f"supplier {supplier.code} is inactive", code="supplier_inactive", supplier=supplier.code)
        if db.session.get(Warehouse, new.warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        lines = _lines(supplier.id, new.lines)
        po = PurchaseOrder(number=f"PO-{next_number('PO'):06d}", supplier_id=supplier.id,
                           warehouse_id=new.warehouse_id, status="draft",
                           currency=check_currency(new.currency) if new.currency else supplier.currency,
                           expected_date=new.expected_date, freight=freight, notes=new.notes.strip(),
                           over_receipt_pct=tolerance, created_by_id=user_id, lines=lines)
        db.session.add(po)
        db.session.flush()
    return po


_UNSET = object()


def update_draft(po_id: int, *, lines: Sequence[NewPoLine] | None = None, expected_date=_UNSET,
                 freight: Decimal | None = None, notes: str | None = None,
                 over_receipt_pct: int | None = None) -> PurchaseOrder:
    """Change a draft PO (lines replaced whole when given). Locks the PO row: a PO sent meanwhile is
    refused (po_not_editable), never edited after the supplier has it."""
    with atomic():
        po = _locked_po(po_id)
        if po.status != "draft":
            raise Conflict(f"purchase order {po.number} is {po.status}: only a draft can be changed",
                           code="po_not_editable", number=po.number, po_status=po.status)
        if lines is not None:
            fresh = _lines(po.supplier_id, lines)
            po.lines.clear()
            db.session.flush()
            po.lines.extend(fresh)
        if expected_date is not _UNSET:
            po.expected_date = expected_date
        if freight is not None:
            po.freight = _check_money(freight, "freight")
        if notes is not None:
            po.notes = notes.strip()
        if over_receipt_pct is not None:
            po.over_receipt_pct = _check_tolerance(over_receipt_pct)
        po.updated_at = utcnow()
        db.session.flush()
    return po


def send_po(po_id: int, *, user_id: int | None = None) -> PurchaseOrder:
    """draft -> sent (compare-and-set): from now on the PO is the supplier's to confirm."""
    with atomic():
        po = get_po(po_id)
        _require_lines(po)
        compare_and_set_po(po, "sent", sent_at=utcnow())
    return po


def _require_lines(po: PurchaseOrder) -> None:
    if not po.lines:
        raise ValidationFailed("a purchase order needs at least one line", code="po_no_lines")


def compare_and_set_po(po: PurchaseOrder, to: str, **values: object) -> None:
    """Move the PO along one edge of TRANSITIONS (refused: po_status_conflict or changed_meanwhile)."""
    compare_and_set(po, to, TRANSITIONS, what=f"purchase order {po.number}", code="po_status_conflict",
                    details={"number": po.number, "po_status": po.status}, **values)


def confirm_po(po_id: int, *, quantities: Mapping[int, int] | None = None, promised_date: date | None = None,
               user_id: int | None = None) -> PurchaseOrder:
    """sent -> confirmed: the supplier (or the purchaser for it) confirms, lowering line quantities
    ({line_id: quantity}, 1 up to what was ordered) and giving a promised date. Locks the PO row;
    the status moves by compare-and-set, so a confirmation racing a cancellation gets one winner."""
    with atomic():
        po = _locked_po(po_id)
        by_id = {line.id: line for line in po.lines}
        for line_id, quantity in (quantities or {}).items():
            line = by_id.get(line_id)
            if line is None:
                raise NotFound("no such line on this purchase order", code="unknown_po_line")
            if not isinstance(quantity, int) or not 0 < quantity <= line.quantity:
                raise ValidationFailed(f"{line.sku.code}: a supplier may lower a quantity (1 to {line.quantity}), "
                                       "not raise it", code="confirm_raises_quantity", sku=line.sku.code,
                                       ordered=line.quantity, value=quantity)
        compare_and_set_po(po, "confirmed", confirmed_at=utcnow(), promised_date=promised_date or po.expected_date)
        for line_id, quantity in (quantities or {}).items():
            by_id[line_id].quantity = quantity
        db.session.flush()
    return po


def cancel_po(po_id: int, *, user_id: int | None = None) -> PurchaseOrder:
    """draft, sent or confirmed -> cancelled (nothing received yet)."""
    with atomic():
        po = get_po(po_id)
        compare_and_set_po(po, "cancelled", closed_at=utcnow())
    return po


def close_po(po_id: int, *, user_id: int | None = None) -> PurchaseOrder:
    """partially_received -> closed (a short-close: the rest will not come) or received -> closed."""
    with atomic():
        po = get_po(po_id)
        compare_and_set_po(po, "closed", closed_at=utcnow())
    return po


def landed_costs(po: PurchaseOrder) -> dict[int, Decimal]:
    """Landed unit cost per line id: the freight spread by line value (domain.landed_unit_costs)."""
    return domain.landed_unit_costs([domain.CostLine(line.id, line.quantity, line.unit_price) for line in po.lines],
                                    po.freight)


def remaining_by_sku(po: PurchaseOrder) -> dict[int, int]:
    """Units of each SKU still to come (ordered - received), for the lines not yet complete."""
    return {line.sku_id: line.quantity - line.received_quantity for line in po.lines
            if line.quantity > line.received_quantity}


def require_may_ship(po: PurchaseOrder, *, by_supplier: bool) -> None:
    """An ASN may be made for a PO the supplier has (sent; a supplier's own only once confirmed)."""
    allowed = ("confirmed", "partially_received") if by_supplier else ("sent", "confirmed", "partially_received")
    if po.status not in allowed:
        raise Conflict(f"purchase order {po.number} is {po.status}: no shipment can be announced for it",
                       code="po_not_shippable", number=po.number, po_status=po.status)


def lock_for_shipment(po_id: int, *, by_supplier: bool) -> PurchaseOrder:
    """The PO under its row lock, checked shippable (the floor makes an ASN for it next)."""
    po = _locked_po(po_id)
    require_may_ship(po, by_supplier=by_supplier)
    return po


def receive_against_po(po_id: int, sku_id: int, quantity: int, *, asn_id: int | None = None,
                       asn_reference: str = "", user_id: int | None = None) -> PurchaseReceipt:
    """Count `quantity` units of a SKU received on a PO: the line's received quantity, a receipt row
    with the landed unit cost, the PO's status (partially_received / received) and the outbox
    message `purchasing.receipt`, in the caller's transaction (the floor's receiving scan).

    Locks: the PO row (FOR UPDATE), so receipts of one PO apply one after another, whichever ASN
    they come through. Guarantees: a receipt past ordered x (1 + tolerance) is refused
    (po_over_receipt) before anything is written; so are a SKU not on the PO and a PO not receivable.
    """
    with atomic():
        po = _locked_po(po_id)
        if po.status not in RECEIVABLE:
            raise Conflict(f"purchase order {po.number} is {po.status}: nothing can be received on it",
                           code="po_not_receivable", number=po.number, po_status=po.status)
        line = db.session.scalar(select(PurchaseOrderLine).filter_by(order_id=po.id, sku_id=sku_id)
                                 .execution_options(populate_existing=True))
        sku_code = db.session.scalar(select(Sku.code).filter_by(id=sku_id)) or "?"
        if line is None:
            raise ValidationFailed(f"{sku_code} is not on purchase order {po.number}", code="not_on_po",
                                   sku=sku_code, number=po.number)
        limit = domain.receipt_limit(line.quantity, po.over_receipt_pct)
        if line.received_quantity + quantity > limit:
            raise Conflict(f"Over-receipt refused: {sku_code} on {po.number} ordered {line.quantity}, received "
                           f"{line.received_quantity}, at most {limit} may be received. Nothing was received.",
                           code="po_over_receipt", sku=sku_code, number=po.number, ordered=line.quantity,
                           received=line.received_quantity, limit=limit, quantity=quantity)
        db.session.execute(update(PurchaseOrderLine).where(PurchaseOrderLine.id == line.id)
                           .values(received_quantity=PurchaseOrderLine.received_quantity + quantity)
                           .execution_options(synchronize_session=False))
        db.session.refresh(line)
        receipt = PurchaseReceipt(order_id=po.id, line_id=line.id, quantity=quantity,
                                  landed_unit_cost=landed_costs(po)[line.id], asn_id=asn_id,
                                  asn_reference=asn_reference[:40], user_id=user_id)
        db.session.add(receipt)
        db.session.flush()
        for other in po.lines:
            db.session.refresh(other)
        status = domain.status_after_receipt([(x.quantity, x.received_quantity) for x in po.lines])
        if status != po.status and not (po.status == "received" and status == "partially_received"):
            compare_and_set_po(po, status)
        publish(RECEIPT_TOPIC, receipt_payload(po, line, receipt), key=f"purchase-receipt-{receipt.id}")
    return receipt


def receipt_payload(po: PurchaseOrder, line: PurchaseOrderLine, receipt: PurchaseReceipt) -> dict:
    """What finance reads of a receipt (the key `purchase-receipt-<id>` makes a re-send harmless)."""
    return {"receipt_id": receipt.id, "purchase_order": po.number, "supplier": po.supplier.code,
            "warehouse": po.warehouse.code, "sku": line.sku.code, "line_id": line.id, "quantity": receipt.quantity,
            "unit_price": str(line.unit_price), "landed_unit_cost": str(receipt.landed_unit_cost),
            "currency": po.currency, "asn": receipt.asn_reference, "received_at": receipt.received_at.isoformat()}
