"""SKUs and their barcodes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Sku(db.Model):
    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("weight_g >= 0", name="weight_not_negative"),
        CheckConstraint("cost >= 0 AND price >= 0", name="money_not_negative"),
        CheckConstraint("(shelf_life_days IS NULL OR shelf_life_days > 0) AND (min_receipt_life_days IS NULL OR "
                        "min_receipt_life_days >= 0) AND (min_ship_life_days IS NULL OR min_ship_life_days >= 0)",
                        name="life_days_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(12), default="pcs")
    weight_g: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    image_url: Mapped[str] = mapped_column(String(500), default="")
    is_kit: Mapped[bool] = mapped_column(default=False)
    # Lots and expiry (批次/保质期): a tracked SKU's stock is kept per lot and allocated FEFO.
    lot_tracked: Mapped[bool] = mapped_column(default=False)
    shelf_life_days: Mapped[int | None] = mapped_column()
    min_receipt_life_days: Mapped[int | None] = mapped_column()  # refused (or flagged) below this at receipt
    min_ship_life_days: Mapped[int | None] = mapped_column()  # never allocated with less left than this
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    barcodes = relationship("SkuBarcode", back_populates="sku", cascade="all, delete-orphan",
                            lazy="selectin")

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") and self.name_zh else self.name


class SkuBarcode(db.Model):
    """A scannable code of a SKU: EAN-13/UPC/GTIN (check digit validated) or an internal code."""

    __tablename__ = "sku_barcodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    symbology: Mapped[str] = mapped_column(String(12), default="internal")

    sku = relationship("Sku", back_populates="barcodes")


class KitComponent(db.Model):
    """A kit (组合装) SKU is sold as one item and picked as its components."""

    __tablename__ = "kit_components"
    __table_args__ = (
        UniqueConstraint("kit_sku_id", "component_sku_id", name="uq_kit_components_kit_component"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("kit_sku_id <> component_sku_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    component_sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column()

    component = relationship("Sku", foreign_keys=[component_sku_id])
