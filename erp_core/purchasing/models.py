"""Suppliers (供应商), what they supply at which price, purchase orders (采购单) and their receipts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

SUPPLIER_LANGUAGES = ("en", "zh")
PO_STATUSES = ("draft", "sent", "confirmed", "partially_received", "received", "closed", "cancelled")

# Each status of a purchase order and the statuses it may move to (compare_and_set applies one edge).
# A supplier may ship before confirming: a sent PO can be received. A short-received PO is closed
# by the purchaser (short-close); a received one is closed when the books are done.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent", "cancelled"}),
    "sent": frozenset({"confirmed", "partially_received", "received", "cancelled"}),
    "confirmed": frozenset({"partially_received", "received", "cancelled"}),
    "partially_received": frozenset({"received", "closed"}),
    "received": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
RECEIVABLE = ("sent", "confirmed", "partially_received", "received")
OPEN_STATUSES = ("draft", "sent", "confirmed", "partially_received")  # on order: not yet all received


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Supplier(db.Model):
    __tablename__ = "suppliers"
    __table_args__ = (
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint(_in("language", SUPPLIER_LANGUAGES), name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    lead_time_days: Mapped[int] = mapped_column(default=7)
    payment_terms: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(2), default="zh")  # of the POs sent to it
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    skus = relationship("SupplierSku", back_populates="supplier", order_by="SupplierSku.id")
    contacts = relationship("SupplierContact", order_by="SupplierContact.id", cascade="all, delete-orphan")

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") and self.name_zh else self.name


class SupplierContact(db.Model):
    """One more person at a supplier (sales, the warehouse, accounts) besides its main contact."""

    __tablename__ = "supplier_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(60), default="")  # what they do for us: 销售, 仓库, 财务 ...
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupplierSku(db.Model):
    """A SKU a supplier supplies: its code for it, the pack it comes in, the minimum order, the price."""

    __tablename__ = "supplier_skus"
    __table_args__ = (
        UniqueConstraint("supplier_id", "sku_id", name="uq_supplier_skus_supplier_sku"),
        CheckConstraint("pack_size >= 1 AND moq >= 1", name="pack_and_moq_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    supplier_code: Mapped[str] = mapped_column(String(64), default="")
    pack_size: Mapped[int] = mapped_column(default=1)
    moq: Mapped[int] = mapped_column(default=1)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    preferred: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    supplier = relationship("Supplier", back_populates="skus")
    sku = relationship("Sku")


class SupplierPriceChange(db.Model):
    """One change of a supplier's price for a SKU: when, from what, to what, by whom."""

    __tablename__ = "supplier_price_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_sku_id: Mapped[int] = mapped_column(ForeignKey("supplier_skus.id", ondelete="CASCADE"), index=True)
    old_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # None: the first price
    new_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supplier_sku = relationship("SupplierSku")
    user = relationship("User")


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint(_in("status", PO_STATUSES), name="status_known"),
        CheckConstraint("freight >= 0", name="freight_not_negative"),
        CheckConstraint("over_receipt_pct >= 0 AND over_receipt_pct <= 100", name="tolerance_sane"),
        Index("ix_purchase_orders_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    expected_date: Mapped[date | None] = mapped_column(Date)
    promised_date: Mapped[date | None] = mapped_column(Date)  # the supplier's, on confirming
    freight: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    over_receipt_pct: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier = relationship("Supplier")
    warehouse = relationship("Warehouse")
    lines = relationship("PurchaseOrderLine", back_populates="order", cascade="all, delete-orphan",
                         order_by="PurchaseOrderLine.id")


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "sku_id", name="uq_purchase_order_lines_order_sku"),
        CheckConstraint("quantity > 0 AND received_quantity >= 0", name="quantities_sane"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    received_quantity: Mapped[int] = mapped_column(default=0)

    order = relationship("PurchaseOrder", back_populates="lines")
    sku = relationship("Sku")


class PurchaseReceipt(db.Model):
    """Units of a PO line received (one receiving scan), with the landed unit cost at that moment, so
    finance can compute a moving-average cost. `asn_id` names the floor's ASN: a plain number, not a
    foreign key, because the ASN belongs to the warehouse floor and the ERP core does not know it."""

    __tablename__ = "purchase_receipts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column()
    landed_unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    asn_id: Mapped[int | None] = mapped_column()
    asn_reference: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line = relationship("PurchaseOrderLine")
