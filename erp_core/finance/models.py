"""Finance tables: the chart of accounts, the journal, periods, currency rates, the moving-average cost
of each SKU per warehouse with its history, COGS per shipped line, fees and supplier payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PERIOD_STATUSES = ("open", "closed")
# A period moves open <-> closed (finance.post closes and reopens it).
PERIOD_TRANSITIONS = {"open": frozenset({"closed"}), "closed": frozenset({"open"})}


class Account(db.Model):
    """An account of the chart (会计科目), named in both languages."""

    __tablename__ = "finance_accounts"
    __table_args__ = (
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    type: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def display_name(self, locale: str) -> str:
        return self.name_zh if str(locale).startswith("zh") and self.name_zh else self.name


class JournalEntry(db.Model):
    """One balanced entry (凭证). (source, source_key) names what it books: posting it again is a no-op."""

    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("source", "source_key", name="uq_journal_entries_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str] = mapped_column(String(120))
    reference: Mapped[str] = mapped_column(String(60), default="", index=True)  # order:<id>, po:<number>
    memo: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), default=Decimal("1"))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    lines = relationship("JournalLine", back_populates="entry", order_by="JournalLine.id",
                         cascade="all, delete-orphan")


class JournalLine(db.Model):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0 AND base_debit >= 0 AND base_credit >= 0",
                        name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"), index=True)
    debit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    credit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    base_debit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    base_credit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    memo: Mapped[str] = mapped_column(String(255), default="")

    entry = relationship("JournalEntry", back_populates="lines")
    account = relationship("Account")


class FinancePeriod(db.Model):
    """A month of the books; a month without a row is open."""

    __tablename__ = "finance_periods"
    __table_args__ = (
        UniqueConstraint("year", "month", name="uq_finance_periods_year_month"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("month >= 1 AND month <= 12", name="month_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column()
    month: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default="open")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CurrencyRate(db.Model):
    """Base-currency units for one unit of `currency` on a day."""

    __tablename__ = "currency_rates"
    __table_args__ = (
        UniqueConstraint("currency", "day", name="uq_currency_rates_currency_day"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkuCost(db.Model):
    """The moving-average unit cost of a SKU in a warehouse now (locked while it changes)."""

    __tablename__ = "sku_costs"
    __table_args__ = (UniqueConstraint("sku_id", "warehouse_id", name="uq_sku_costs_sku_warehouse"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"))
    average_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CostHistory(db.Model):
    """Each change of a moving average: from `effective_at` on, a unit costs `average_cost`."""

    __tablename__ = "cost_history"
    __table_args__ = (Index("ix_cost_history_sku_warehouse_at", "sku_id", "warehouse_id", "effective_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    average_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    quantity_after: Mapped[int] = mapped_column()
    quantity_in: Mapped[int] = mapped_column()
    cost_in: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    source: Mapped[str] = mapped_column(String(20))  # receipt | return | adjustment
    source_key: Mapped[str] = mapped_column(String(120), unique=True)


class CostOfSale(db.Model):
    """COGS of one shipped order line at the moving-average cost of the moment it shipped."""

    __tablename__ = "cost_of_sales"
    __table_args__ = (
        UniqueConstraint("message_key", "order_line_id", "lot_key", name="uq_cost_of_sales_key_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(120), index=True)
    shipment: Mapped[str] = mapped_column(String(40), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    lot_key: Mapped[int] = mapped_column(default=0)  # the lot id, 0 without one (a NULL never clashes)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")


class ShipmentCharge(db.Model):
    """What one shipment brought and cost beyond the goods: the share of the order's discount, the
    shipping charged to the buyer (on the order's first shipment) and the carrier's price."""

    __tablename__ = "shipment_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(120), unique=True)
    shipment: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    shipping_charged: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    shipping_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class PlatformFee(db.Model):
    """A platform's fee (topic finance.fee), kept for the margins."""

    __tablename__ = "platform_fees"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")


class SupplierPayment(db.Model):
    """Money paid to a supplier (recorded here, or matched on the bank statement by reconciliation)."""

    __tablename__ = "supplier_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # the outbox key it was posted with
    supplier_code: Mapped[str] = mapped_column(String(20), index=True)
    purchase_order: Mapped[str] = mapped_column(String(40), default="")
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    note: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
