"""How a supplier performs: on-time receipts, fill rate, lead time seen, and its price history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..extensions import db
from .models import PurchaseOrder, PurchaseOrderLine, PurchaseReceipt, Supplier

PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Performance:
    supplier: Supplier
    receipts: int             # receipt rows with a promised or expected date to compare with
    on_time: int              # of them, received on or before that date (the warehouse's local day)
    ordered_closed: int       # units ordered on closed (and fully received) POs
    received_closed: int      # units received on them
    lead_times: list[Decimal]  # days from sending to the first receipt, per PO

    @property
    def on_time_rate(self) -> Decimal | None:
        return _pct(self.on_time, self.receipts)

    @property
    def fill_rate(self) -> Decimal | None:
        return _pct(self.received_closed, self.ordered_closed)

    @property
    def average_lead_time(self) -> Decimal | None:
        if not self.lead_times:
            return None
        return (sum(self.lead_times, Decimal("0")) / len(self.lead_times)).quantize(PERCENT, ROUND_HALF_UP)


def _pct(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part * 100) / whole).quantize(PERCENT, ROUND_HALF_UP)


def supplier_performance(supplier_id: int) -> Performance:
    supplier = db.session.get(Supplier, supplier_id)
    orders = list(db.session.scalars(select(PurchaseOrder).filter_by(supplier_id=supplier_id)))
    receipts_total = on_time = 0
    lead_times: list[Decimal] = []
    for po in orders:
        due = po.promised_date or po.expected_date
        tz = ZoneInfo(po.warehouse.timezone or "Asia/Shanghai")
        rows = list(db.session.scalars(select(PurchaseReceipt).filter_by(order_id=po.id)
                                       .order_by(PurchaseReceipt.received_at)))
        if due is not None:
            receipts_total += len(rows)
            on_time += sum(1 for r in rows if r.received_at.astimezone(tz).date() <= due)
        if rows and po.sent_at is not None:
            seconds = (rows[0].received_at - po.sent_at).total_seconds()
            lead_times.append((Decimal(seconds) / 86400).quantize(PERCENT, ROUND_HALF_UP))
    ordered, received = db.session.execute(
        select(func.coalesce(func.sum(PurchaseOrderLine.quantity), 0),
               func.coalesce(func.sum(PurchaseOrderLine.received_quantity), 0))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.supplier_id == supplier_id, PurchaseOrder.status.in_(("closed", "received")))).one()
    return Performance(supplier, receipts_total, on_time, int(ordered), int(received), lead_times)
