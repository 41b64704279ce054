"""Customers (buyers), matched by platform buyer id, else phone + name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("platform", "buyer_id", name="uq_customers_platform_buyer"),
        Index("ix_customers_phone_name", "phone", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str | None] = mapped_column(String(20))
    buyer_id: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    blacklisted: Mapped[bool] = mapped_column(default=False)
    first_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
