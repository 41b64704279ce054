"""Catalog use-cases."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select

from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from .barcodes import classify_barcode
from .models import Sku, SkuBarcode


def create_sku(code: str, name: str, *, name_zh: str = "", barcodes: Iterable[str] = (), unit: str = "pcs",
               weight_g: int = 0, dims_mm: tuple[int, int, int] = (0, 0, 0), cost: Decimal = Decimal("0"),
               price: Decimal = Decimal("0"), image_url: str = "") -> Sku:
    """A new SKU with its barcodes. Raises Conflict when the code or a barcode is taken."""
    code = code.strip()
    if not code or not name.strip():
        raise ValidationFailed("a SKU needs a code and a name", code="sku_incomplete")
    if cost < 0 or price < 0 or weight_g < 0:
        raise ValidationFailed("cost, price and weight cannot be negative", code="negative_value")
    with atomic():
        if db.session.scalar(select(Sku.id).filter_by(code=code)):
            raise Conflict(f"SKU {code} exists", code="sku_exists")
        sku = Sku(code=code, name=name.strip(), name_zh=name_zh.strip(), unit=unit, weight_g=weight_g,
                  length_mm=dims_mm[0], width_mm=dims_mm[1], height_mm=dims_mm[2], cost=cost, price=price,
                  image_url=image_url)
        db.session.add(sku)
        for raw in barcodes:
            add_barcode(sku, raw)
        db.session.flush()
    return sku


def add_barcode(sku: Sku, raw: str) -> SkuBarcode:
    """Attach a barcode; EAN/UPC/GTIN check digits are verified, other codes count as internal."""
    code = raw.strip()
    symbology = classify_barcode(code)  # raises InvalidBarcode (a ValidationFailed) with the reason
    if db.session.scalar(select(SkuBarcode.id).filter_by(code=code)):
        raise Conflict(f"barcode {code} belongs to another SKU", code="barcode_taken")
    barcode = SkuBarcode(code=code, symbology=symbology)
    sku.barcodes.append(barcode)
    return barcode


def sku_by_code(code: str) -> Sku:
    sku = db.session.scalar(select(Sku).filter_by(code=code))
    if sku is None:
        raise NotFound(f"no SKU {code}", code="unknown_sku")
    return sku


def find_sku_by_scan(scanned: str) -> Sku | None:
    """The SKU whose barcode or code was scanned."""
    scanned = scanned.strip()
    sku = db.session.scalar(select(Sku).join(SkuBarcode).where(SkuBarcode.code == scanned))
    return sku or db.session.scalar(select(Sku).filter_by(code=scanned))
