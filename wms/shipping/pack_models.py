"""The pack station's own table: the scan progress of each order being packed (kept server-side)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_core.extensions import db
from erp_core.models_base import UTCDateTime, utcnow


class PackProgress(db.Model):
    """What the pack station has counted of an order so far (pack_steps.PackState as JSON).

    Written in the same transaction as the scan (and its idempotency record), so a reload or a lost
    answer loses nothing; deleted when the order is packed out. One row per order: a second station
    that scans the order takes the progress over.
    """

    __tablename__ = "pack_progress"
    __table_args__ = (UniqueConstraint("order_id", name="uq_pack_progress_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    station_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order = relationship("Order")
