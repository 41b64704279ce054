"""Sales channels (shops) on a platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PLATFORMS = ("taobao", "tmall", "jd", "pinduoduo", "shopify", "manual", "api")


class Channel(db.Model):
    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint(f"platform IN ({', '.join(repr(p) for p in PLATFORMS)})", name="platform_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
