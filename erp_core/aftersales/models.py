"""After-sales cases (售后单): the case, its lines, and the units received back per lot.

The case's states are `domain.TRANSITIONS`, applied by `erp_core.statemachine.compare_and_set`
(see services.set_status); only erp_core.aftersales assigns `AfterSalesCase.status`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from .domain import CASE_STATUSES, KINDS, TRANSITIONS  # noqa: F401  (TRANSITIONS lives beside the model)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AfterSalesCase(db.Model):
    __tablename__ = "aftersales_cases"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind_known"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status_known"),
        CheckConstraint("refund_amount >= 0", name="refund_not_negative"),
        UniqueConstraint("channel_id", "platform_case_id", name="uq_aftersales_cases_channel_platform_case"),
        Index("ix_aftersales_cases_status_warehouse", "status", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # RT-000001
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    platform_case_id: Mapped[str | None] = mapped_column(String(64))  # the platform's 售后 id, when it came from one
    reason_code: Mapped[str] = mapped_column(String(24), default="other")
    note: Mapped[str] = mapped_column(String(500), default="")
    refund_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    return_tracking_number: Mapped[str] = mapped_column(String(40), default="", index=True)
    new_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # the exchange / resend order
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order = relationship("Order", foreign_keys=[order_id])
    new_order = relationship("Order", foreign_keys=[new_order_id])
    customer = relationship("Customer")
    warehouse = relationship("Warehouse")
    lines = relationship("AfterSalesLine", back_populates="case", cascade="all, delete-orphan",
                         order_by="AfterSalesLine.id")


class AfterSalesLine(db.Model):
    """Units of one order line the case is about, and what became of those received back."""

    __tablename__ = "aftersales_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity", name="received_within_quantity"),
        CheckConstraint("restocked_quantity >= 0 AND damaged_quantity >= 0 AND scrapped_quantity >= 0 AND "
                        "restocked_quantity + damaged_quantity + scrapped_quantity <= received_quantity",
                        name="inspected_within_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersales_cases.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    exchange_sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))  # the replacement, for an exchange
    quantity: Mapped[int] = mapped_column()
    reason_code: Mapped[str] = mapped_column(String(24), default="other")
    note: Mapped[str] = mapped_column(String(255), default="")
    received_quantity: Mapped[int] = mapped_column(default=0)
    restocked_quantity: Mapped[int] = mapped_column(default=0)
    damaged_quantity: Mapped[int] = mapped_column(default=0)
    scrapped_quantity: Mapped[int] = mapped_column(default=0)

    case = relationship("AfterSalesCase", back_populates="lines")
    order_line = relationship("OrderLine")
    sku = relationship("Sku", foreign_keys=[sku_id])
    exchange_sku = relationship("Sku", foreign_keys=[exchange_sku_id])
    receipts = relationship("AfterSalesReceipt", back_populates="line", cascade="all, delete-orphan",
                            order_by="AfterSalesReceipt.id")

    @property
    def inspected_quantity(self) -> int:
        return self.restocked_quantity + self.damaged_quantity + self.scrapped_quantity

    @property
    def to_receive(self) -> int:
        return self.quantity - self.received_quantity

    @property
    def to_inspect(self) -> int:
        return self.received_quantity - self.inspected_quantity


class AfterSalesReceipt(db.Model):
    """Units of a case line received into a returns bin, of one lot; inspection takes them out."""

    __tablename__ = "aftersales_receipts"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("inspected_quantity >= 0 AND inspected_quantity <= quantity", name="inspected_within"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("aftersales_lines.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    inspected_quantity: Mapped[int] = mapped_column(default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line = relationship("AfterSalesLine", back_populates="receipts")
    location = relationship("Location")
    lot = relationship("Lot")
