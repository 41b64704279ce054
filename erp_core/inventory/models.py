"""Warehouses, the location tree, quants and the immutable stock ledger (Odoo's vocabulary)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, event, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

LOCATION_USAGES = ("view", "internal", "supplier", "customer", "inventory", "transit")
LOCATION_KINDS = ("warehouse", "zone", "aisle", "bay", "level", "bin", "virtual")
BIN_TYPES = ("pick", "reserve", "staging", "put_wall", "packing", "returns", "damaged", "tote", "clearance")
MOVE_REASONS = (
    "receipt", "putaway", "adjustment", "count", "pick", "pack", "ship", "transfer_out", "transfer_in",
    "replenishment", "return", "scrap", "move",
    "opening",  # the balance of older moves, archived by the data cleanup (erp_core/ops/cleanup.py)
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Warehouse(db.Model):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    # The pack-out weight check: measured within expected ± max(tolerance_g, tolerance_pct % of expected).
    weight_tolerance_pct: Mapped[int] = mapped_column(default=10)
    weight_tolerance_g: Mapped[int] = mapped_column(default=50)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") and self.name_zh else self.name


class Location(db.Model):
    """A node of the location tree: a warehouse's zones down to bins, or a virtual location."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(_in("usage", LOCATION_USAGES), name="usage_known"),
        CheckConstraint(_in("kind", LOCATION_KINDS), name="kind_known"),
        CheckConstraint(f"bin_type IS NULL OR {_in('bin_type', BIN_TYPES)}", name="bin_type_known"),
        UniqueConstraint("warehouse_id", "code", name="uq_locations_warehouse_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    usage: Mapped[str] = mapped_column(String(12), default="internal")
    kind: Mapped[str] = mapped_column(String(12), default="bin")
    bin_type: Mapped[str | None] = mapped_column(String(12))
    # Floor coordinates in metres (the pick router's input) and the layout indices they came from.
    x: Mapped[float | None] = mapped_column()
    y: Mapped[float | None] = mapped_column()
    aisle_no: Mapped[int | None] = mapped_column()
    capacity: Mapped[int | None] = mapped_column()
    # False: the bin holds one lot of a SKU at a time (putaway keeps lots apart).
    mixed_lots: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    warehouse = relationship("Warehouse")
    parent = relationship("Location", remote_side=[id])


class Lot(db.Model):
    """A batch (批次) of a lot-tracked SKU: its number, production and expiry dates, and whether it
    is on hold (a recall or a quality block: held lots are never allocated)."""

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("sku_id", "lot_number", name="uq_lots_sku_number"),
        CheckConstraint("production_date IS NULL OR expiry_date IS NULL OR production_date <= expiry_date",
                        name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(40))
    production_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date, index=True)
    on_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str] = mapped_column(String(255), default="")
    # Set when the lot was received below the minimum remaining life and the setting flags, not refuses.
    short_dated_receipt: Mapped[bool] = mapped_column(default=False)
    # Marked for a discount sale (清仓) from the expiry list; a note for the office, not a price.
    clearance_note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sku = relationship("Sku")


class Quant(db.Model):
    """How many units of one SKU (and lot, for a lot-tracked SKU) lie in one location, and how many
    of them are reserved. One quant per SKU + location + lot: the unique index treats "no lot" as a
    value (COALESCE), so an untracked SKU has one quant per location as before."""

    __tablename__ = "quants"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("reserved_quantity >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved_quantity <= quantity", name="reserved_within_quantity"),
        Index("ix_quants_location", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    reserved_quantity: Mapped[int] = mapped_column(default=0)

    sku = relationship("Sku")
    location = relationship("Location")
    lot = relationship("Lot")

    @property
    def available(self) -> int:
        return self.quantity - self.reserved_quantity


Index("uq_quants_sku_location_lot", Quant.sku_id, Quant.location_id, func.coalesce(Quant.lot_id, 0), unique=True)


class StockMove(db.Model):
    """One immutable line of the stock ledger: qty units of a SKU from one location to another."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="locations_differ"),
        CheckConstraint(_in("reason", MOVE_REASONS), name="reason_known"),
        Index("ix_stock_moves_sku_created", "sku_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sku = relationship("Sku")
    from_location = relationship("Location", foreign_keys=[from_location_id])
    to_location = relationship("Location", foreign_keys=[to_location_id])
    lot = relationship("Lot")


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _moves_are_immutable(mapper, connection, target) -> None:  # noqa: ARG001
    raise ValueError("stock moves are immutable: post a correcting move instead")


class StockReservation(db.Model):
    """Units of a quant held for one order line (allocation); consumed by the pick, or released."""

    __tablename__ = "stock_reservations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location = relationship("Location")
    lot = relationship("Lot")


class ReorderRule(db.Model):
    """Low-stock alert (库存预警): below min_quantity available, reorder up to max_quantity."""

    __tablename__ = "reorder_rules"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id", name="uq_reorder_rules_sku_warehouse"),
        CheckConstraint("min_quantity >= 0 AND max_quantity >= min_quantity", name="min_max_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"))
    min_quantity: Mapped[int] = mapped_column()
    max_quantity: Mapped[int] = mapped_column()

    sku = relationship("Sku")
    warehouse = relationship("Warehouse")


TRANSFER_STATUSES = ("draft", "shipped", "received", "cancelled")


class StockTransfer(db.Model):
    """A transfer between warehouses (调拨): shipped into transit, received at the destination."""

    __tablename__ = "stock_transfers"
    __table_args__ = (
        CheckConstraint(_in("status", TRANSFER_STATUSES), name="status_known"),
        CheckConstraint("from_warehouse_id <> to_warehouse_id", name="warehouses_differ"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    from_warehouse = relationship("Warehouse", foreign_keys=[from_warehouse_id])
    to_warehouse = relationship("Warehouse", foreign_keys=[to_warehouse_id])
    lines = relationship("StockTransferLine", back_populates="transfer", cascade="all, delete-orphan",
                         order_by="StockTransferLine.id")


class StockTransferLine(db.Model):
    __tablename__ = "stock_transfer_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity", name="received_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("stock_transfers.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column()
    received_quantity: Mapped[int] = mapped_column(default=0)

    transfer = relationship("StockTransfer", back_populates="lines")
    sku = relationship("Sku")
