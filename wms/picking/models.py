"""Waves, pick lists (one cart or one picker's batch) and pick tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_core.extensions import db
from erp_core.models_base import UTCDateTime, utcnow

WAVE_KINDS = ("single", "single_sku", "cluster", "batch_sort", "zone")
WAVE_STATUSES = ("planned", "released", "picking", "picked", "cancelled")
LIST_STATUSES = ("open", "in_progress", "paused", "done", "cancelled")
TASK_STATUSES = ("open", "done", "short", "cancelled")

# Each aggregate's transition table (applied by erp_core.statemachine.compare_and_set).
WAVE_TRANSITIONS = {
    "planned": frozenset({"released", "cancelled"}),
    "released": frozenset({"picking", "picked", "cancelled"}),
    "picking": frozenset({"picked", "cancelled"}),
    "picked": frozenset(),
    "cancelled": frozenset(),
}
LIST_TRANSITIONS = {
    "open": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"paused", "open", "done", "cancelled"}),
    "paused": frozenset({"in_progress", "open", "done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Wave(db.Model):
    """A group of released orders picked together (波次)."""

    __tablename__ = "waves"
    __table_args__ = (
        CheckConstraint(_in("kind", WAVE_KINDS), name="kind_known"),
        CheckConstraint(_in("status", WAVE_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="planned")
    rules: Mapped[str] = mapped_column(Text, default="{}")
    estimated_distance_m: Mapped[float] = mapped_column(default=0.0)
    estimated_minutes: Mapped[float] = mapped_column(default=0.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    warehouse = relationship("Warehouse")
    orders = relationship("WaveOrder", back_populates="wave", cascade="all, delete-orphan",
                          order_by="WaveOrder.sequence")
    pick_lists = relationship("PickList", back_populates="wave", cascade="all, delete-orphan",
                              order_by="PickList.sequence")


class WaveOrder(db.Model):
    """An order in a wave, with its place: cart slot (cluster), put-wall slot (batch) or print sequence."""

    __tablename__ = "wave_orders"
    __table_args__ = (UniqueConstraint("order_id", name="uq_wave_orders_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    pick_list_id: Mapped[int | None] = mapped_column(ForeignKey("pick_lists.id"))
    sequence: Mapped[int] = mapped_column(default=0)
    slot: Mapped[int | None] = mapped_column()

    wave = relationship("Wave", back_populates="orders")
    order = relationship("Order")


class PickList(db.Model):
    """One cart's (or one zone's) picks in route order, done by one picker at a time."""

    __tablename__ = "pick_lists"
    __table_args__ = (CheckConstraint(_in("status", LIST_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="open")
    zone: Mapped[str] = mapped_column(String(40), default="")
    picker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    route_length_m: Mapped[float] = mapped_column(default=0.0)
    route_method: Mapped[str] = mapped_column(String(20), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    wave = relationship("Wave", back_populates="pick_lists")
    picker = relationship("User")
    tasks = relationship("PickTask", back_populates="pick_list", cascade="all, delete-orphan",
                         order_by="PickTask.sequence")


class PickTask(db.Model):
    """Pick `quantity` of a SKU from a bin for one order line, into the order's tote slot."""

    __tablename__ = "pick_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("picked_quantity >= 0 AND short_quantity >= 0 AND picked_quantity + short_quantity <= quantity",
                        name="progress_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_lists.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(default=0)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    tote_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    slot: Mapped[int | None] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    picked_quantity: Mapped[int] = mapped_column(default=0)
    short_quantity: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # board rates (0027)

    pick_list = relationship("PickList", back_populates="tasks")
    sku = relationship("Sku")
    location = relationship("Location", foreign_keys=[location_id])
    tote = relationship("Location", foreign_keys=[tote_location_id])
    lot = relationship("Lot")
    order = relationship("Order")
