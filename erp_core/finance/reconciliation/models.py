"""Imported settlement statements (对账单) and their lines, as matched against orders, refunds and POs.

A statement's states are `TRANSITIONS`, applied by `erp_core.statemachine.compare_and_set` (see
services): `open` while lines wait to be explained, `reconciled` when every line is matched or marked,
`confirmed` once its fees (and supplier payments) are posted to the outbox. Only
erp_core.finance.reconciliation assigns `Statement.status`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...models_base import UTCDateTime, utcnow

FORMATS = ("alipay", "shopify", "generic", "bank")
STATEMENT_STATUSES = ("open", "reconciled", "confirmed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"reconciled"}),
    "reconciled": frozenset({"open", "confirmed"}),
    "confirmed": frozenset(),
}
LINE_KINDS = ("sale", "refund", "fee", "withdrawal", "payment", "other")
# matched / difference / unexpected come from the file; missing = an order the file should have had;
# info = a fee or withdrawal line, nothing to match (fees are posted on confirming).
LINE_STATUSES = ("matched", "difference", "missing", "unexpected", "info")
FEE_KINDS = ("platform_fee", "commission", "payment_fee", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Statement(db.Model):
    __tablename__ = "recon_statements"
    __table_args__ = (
        CheckConstraint(_in("format", FORMATS), name="format_known"),
        CheckConstraint(_in("status", STATEMENT_STATUSES), name="status_known"),
        UniqueConstraint("format", "file_sha256", name="uq_recon_statements_format_file"),
        Index("ix_recon_statements_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)  # None: a bank statement
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)  # exclusive
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel = relationship("Channel")
    lines = relationship("StatementLine", back_populates="statement", cascade="all, delete-orphan",
                         order_by="StatementLine.id")


class StatementLine(db.Model):
    """One line of the file (or a missing order): what it says, what it matched, what was expected."""

    __tablename__ = "recon_statement_lines"
    __table_args__ = (
        CheckConstraint(_in("kind", LINE_KINDS), name="kind_known"),
        CheckConstraint(_in("status", LINE_STATUSES), name="status_known"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        Index("ix_recon_statement_lines_statement_status", "statement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("recon_statements.id", ondelete="CASCADE"))
    line_no: Mapped[int | None] = mapped_column()  # the file's line; None for a missing order
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(12))
    fee_kind: Mapped[str] = mapped_column(String(16), default="")
    external_ref: Mapped[str] = mapped_column(String(120), default="")  # 账务流水号, a transaction or bank ref
    reference: Mapped[str] = mapped_column(String(120), default="")  # the order / PO number it names
    description: Mapped[str] = mapped_column(String(255), default="")
    counterparty: Mapped[str] = mapped_column(String(120), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))  # signed: + money in
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))  # a fee column (Shopify)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(12))
    expected_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_cases.id"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    reconciled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reconcile_note: Mapped[str] = mapped_column(String(500), default="")

    statement = relationship("Statement", back_populates="lines")
    order = relationship("Order")
    case = relationship("AfterSalesCase")
    purchase_order = relationship("PurchaseOrder")

    @property
    def resolved(self) -> bool:
        return self.status in ("matched", "info") or self.reconciled_at is not None

    @property
    def difference(self) -> Decimal | None:
        if self.expected_amount is None:
            return None
        return self.amount - self.expected_amount
