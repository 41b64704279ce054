"""Tables of the physical warehouse: pick-face assignments, inbound (ASN, putaway), replenishment, counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_core.extensions import db
from erp_core.models_base import UTCDateTime, utcnow


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WarehouseLayout(db.Model):
    """The parameters a warehouse's bins were generated from, and the router's geometry (JSON)."""

    __tablename__ = "warehouse_layouts"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True)
    params: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PickFace(db.Model):
    """A pick-face bin assigned to one SKU with a min/max: below min, replenish from reserve up to max."""

    __tablename__ = "pick_faces"
    __table_args__ = (
        UniqueConstraint("location_id", "sku_id", name="uq_pick_faces_location_sku"),
        CheckConstraint("min_quantity >= 0 AND max_quantity > min_quantity", name="min_max_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column()
    max_quantity: Mapped[int] = mapped_column()

    location = relationship("Location")
    sku = relationship("Sku")


ASN_STATUSES = ("open", "receiving", "closed", "cancelled")


class Asn(db.Model):
    """An advance shipping notice (or a blind receipt, with no expected lines)."""

    __tablename__ = "asns"
    __table_args__ = (CheckConstraint(_in("status", ASN_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    blind: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The purchase order (采购单) this ASN delivers against: its receipts count on the PO's lines.
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)

    warehouse = relationship("Warehouse")
    lines = relationship("AsnLine", back_populates="asn", cascade="all, delete-orphan", order_by="AsnLine.id")


class AsnLine(db.Model):
    __tablename__ = "asn_lines"
    __table_args__ = (
        UniqueConstraint("asn_id", "sku_id", name="uq_asn_lines_asn_sku"),
        CheckConstraint("expected_quantity >= 0 AND received_quantity >= 0 AND damaged_quantity >= 0",
                        name="quantities_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    expected_quantity: Mapped[int] = mapped_column(default=0)
    received_quantity: Mapped[int] = mapped_column(default=0)
    damaged_quantity: Mapped[int] = mapped_column(default=0)

    asn = relationship("Asn", back_populates="lines")
    sku = relationship("Sku")


TASK_STATUSES = ("open", "in_progress", "done", "cancelled")


class PutawayTask(db.Model):
    """Received units waiting in staging to be put away; suggested bin, and the bin actually used."""

    __tablename__ = "putaway_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    asn_id: Mapped[int | None] = mapped_column(ForeignKey("asns.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column()
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    suggested_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    done_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sku = relationship("Sku")
    lot = relationship("Lot")
    from_location = relationship("Location", foreign_keys=[from_location_id])
    suggested_location = relationship("Location", foreign_keys=[suggested_location_id])
    done_location = relationship("Location", foreign_keys=[done_location_id])


class ReplenishmentTask(db.Model):
    """Move stock from a reserve bin to a pick face (补货): below its minimum, or for a released wave."""

    __tablename__ = "replenishment_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("trigger IN ('min', 'wave', 'manual')", name="trigger_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(8), default="min")
    reference: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sku = relationship("Sku")
    lot = relationship("Lot")
    from_location = relationship("Location", foreign_keys=[from_location_id])
    to_location = relationship("Location", foreign_keys=[to_location_id])


COUNT_STATUSES = ("open", "counted", "approved", "cancelled")
COUNT_KINDS = ("bin", "zone", "sku", "abc", "short_pick")


class CountTask(db.Model):
    """A cycle count (盘点): lines per bin and SKU, counted blind, approved by a supervisor."""

    __tablename__ = "count_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", COUNT_STATUSES), name="status_known"),
        CheckConstraint(_in("kind", COUNT_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="bin")
    status: Mapped[str] = mapped_column(String(12), default="open")
    note: Mapped[str] = mapped_column(String(255), default="")
    recount_of_id: Mapped[int | None] = mapped_column(ForeignKey("count_tasks.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines = relationship("CountLine", back_populates="task", cascade="all, delete-orphan", order_by="CountLine.id")


class CountLine(db.Model):
    __tablename__ = "count_lines"
    __table_args__ = (CheckConstraint("counted_quantity IS NULL OR counted_quantity >= 0", name="counted_sane"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("count_tasks.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    # What the system held when the count was created; never shown to the counter (blind count).
    expected_quantity: Mapped[int] = mapped_column(default=0)
    counted_quantity: Mapped[int | None] = mapped_column()
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task = relationship("CountTask", back_populates="lines")
    location = relationship("Location")
    sku = relationship("Sku")
    lot = relationship("Lot")
