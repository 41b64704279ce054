"""Sales orders, their lines and their history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

ORDER_STATUSES = (
    "pending", "held", "approved", "backordered", "released", "picking", "picked", "sorted", "packed", "shipped",
    "cancelled", "rejected", "intercepted",
)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id", name="uq_orders_channel_external"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in ORDER_STATUSES)})", name="status_known"),
        Index("ix_orders_status_warehouse", "status", "warehouse_id"),
        # The audit's duplicate check (a buyer's open orders by phone or buyer id, within a window) and
        # the 'audit pending' list (oldest first): without them both read every past order.
        Index("ix_orders_ship_phone_ordered", "ship_phone", "ordered_at"),
        Index("ix_orders_buyer_ordered", "buyer_id", "ordered_at"),
        Index("ix_orders_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    hold_reason: Mapped[str] = mapped_column(String(255), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    ship_name: Mapped[str] = mapped_column(String(120), default="")
    ship_phone: Mapped[str] = mapped_column(String(40), default="")
    ship_country: Mapped[str] = mapped_column(String(2), default="CN")
    ship_province: Mapped[str] = mapped_column(String(40), default="")
    ship_city: Mapped[str] = mapped_column(String(60), default="")
    ship_district: Mapped[str] = mapped_column(String(60), default="")
    ship_address: Mapped[str] = mapped_column(String(255), default="")
    ship_postcode: Mapped[str] = mapped_column(String(20), default="")
    buyer_note: Mapped[str] = mapped_column(Text, default="")
    seller_note: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    shipping_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Split (拆单) and merge (合单) keep the link to where the lines came from / went to.
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(80), default="")
    # What wave planning groups by: the carrier, how urgent, and the time it must leave by.
    carrier: Mapped[str] = mapped_column(String(20), default="")
    priority: Mapped[int] = mapped_column(default=0)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel = relationship("Channel")
    customer = relationship("Customer")
    warehouse = relationship("Warehouse")
    lines = relationship("OrderLine", back_populates="order", cascade="all, delete-orphan",
                         order_by="OrderLine.id")
    events = relationship("OrderEvent", back_populates="order", cascade="all, delete-orphan",
                          order_by="OrderEvent.id")

    @property
    def total(self) -> Decimal:
        return (self.goods_total or Decimal("0")) + (self.shipping_fee or Decimal("0"))


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    # A kit line is sold and invoiced; its component lines (parent_line_id set) are what is picked.
    parent_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    # Units the pick could not find (缺货): the line ships short or is re-allocated.
    short_quantity: Mapped[int] = mapped_column(default=0)
    # The office cancelled the line on the exceptions desk (nothing of it ships; it keeps its history).
    cancelled: Mapped[bool] = mapped_column(default=False)

    order = relationship("Order", back_populates="lines")
    sku = relationship("Sku")
    reservations = relationship("StockReservation", cascade="all, delete-orphan")

    @property
    def is_kit_parent(self) -> bool:
        return self.sku.is_kit


class OrderEvent(db.Model):
    """The order's history: every status change and action, with who and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship("Order", back_populates="events")
