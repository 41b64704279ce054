"""What an item scan on the handheld names: a SKU, and its lot data when the scan was a GS1 code
(GS1-128 / DataMatrix with AI 01 GTIN, 10 lot, 17 expiry, 11 production date)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from erp_core.catalog.models import Sku, SkuBarcode
from erp_core.catalog.services import find_sku_by_scan
from erp_core.extensions import db
from erp_core.inventory.lot_rules import Gs1Data, gtin_codes, parse_gs1

from ..scanning import unknown_code


@dataclass(frozen=True)
class ItemScan:
    sku: Sku
    gs1: Gs1Data | None = None  # the GS1 element string's data (lot, expiry), when it was one


def sku_by_gtin(gtin: str) -> Sku | None:
    """The SKU whose barcode is this GTIN (as GTIN-14, EAN-13 or UPC-A)."""
    return db.session.scalar(select(Sku).join(SkuBarcode).where(SkuBarcode.code.in_(gtin_codes(gtin))).limit(1))


def read_item(code: str) -> ItemScan:
    """The item a scan names: a GS1 code (its GTIN's SKU, with the lot data), else a barcode or SKU code."""
    code = code.strip()
    gs1 = parse_gs1(code) if code else None
    if gs1 is not None and gs1.gtin:
        sku = sku_by_gtin(gs1.gtin)
        if sku is not None:
            return ItemScan(sku, gs1)
    sku = find_sku_by_scan(code) if code else None
    if sku is None:
        raise unknown_code(code)
    return ItemScan(sku)
