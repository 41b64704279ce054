"""The stock export (CSV and XLSX): one row per SKU, bin and lot, with the lot's expiry date."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence

from .stock_queries import BinStockRow

COLUMNS = ("sku", "name", "name_zh", "warehouse", "bin", "bin_type", "lot", "expiry_date", "lot_on_hold",
           "quantity", "reserved", "available")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _values(row: BinStockRow) -> list[object]:
    s = row.stock
    return [row.sku_code, row.sku_name, row.sku_name_zh, s.warehouse_code, s.location_code, s.bin_type or "",
            s.lot_number or "", s.expiry_date.isoformat() if s.expiry_date else "", "yes" if s.on_hold else "",
            s.quantity, s.reserved, s.available]


def _inert(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def stock_csv(rows: Iterable[BinStockRow], headers: Sequence[str] = COLUMNS) -> bytes:
    """UTF-8 with a BOM (Excel opens Chinese names right), CRLF; formula-like text made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_inert(v) for v in _values(row)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def stock_xlsx(rows: Iterable[BinStockRow], headers: Sequence[str] = COLUMNS) -> bytes:
    """One sheet; text cells stored as text (never a formula), quantities as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Stock")
    sheet.append(list(headers))
    for row in rows:
        cells = []
        for value in _values(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
