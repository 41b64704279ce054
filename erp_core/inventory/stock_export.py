"""The stock export (CSV and XLSX): one row per SKU, bin and lot, with the lot's expiry date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..exports import csv_bytes, xlsx_bytes
from .stock_queries import BinStockRow

COLUMNS = ("sku", "name", "name_zh", "warehouse", "bin", "bin_type", "lot", "expiry_date", "lot_on_hold",
           "quantity", "reserved", "available")


def _values(row: BinStockRow) -> list[object]:
    s = row.stock
    return [row.sku_code, row.sku_name, row.sku_name_zh, s.warehouse_code, s.location_code, s.bin_type or "",
            s.lot_number or "", s.expiry_date.isoformat() if s.expiry_date else "", "yes" if s.on_hold else "",
            s.quantity, s.reserved, s.available]


def stock_csv(rows: Iterable[BinStockRow], headers: Sequence[str] = COLUMNS) -> bytes:
    """UTF-8 with a BOM (Excel opens Chinese names right), CRLF; formula-like text made inert."""
    return csv_bytes(headers, (_values(row) for row in rows))


def stock_xlsx(rows: Iterable[BinStockRow], headers: Sequence[str] = COLUMNS) -> bytes:
    """One sheet; text cells stored as text (never a formula), quantities as numbers."""
    return xlsx_bytes("Stock", headers, (_values(row) for row in rows))
