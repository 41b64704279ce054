"""Every CSV and XLSX the application hands out, written one way.

Cells come from uploads, channels and users. A spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@``, a TAB or a CR as a formula (CSV injection), so such text gets a leading
apostrophe, which Excel and LibreOffice show as text. In XLSX the cell is also typed as a string:
openpyxl would otherwise store a text starting with ``=`` as a formula.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# openpyxl refuses sheet titles longer than 31 characters or holding any of these.
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

Row = Sequence[object]


def safe_cell(value: object) -> object:
    """The value to write: formula-like text prefixed with ``'``; numbers, dates and None unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Row | None, rows: Iterable[Row]) -> bytes:
    """UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, every cell through ``safe_cell``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header is not None:
        writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheet_title: str, header: Row | None, rows: Iterable[Row]) -> bytes:
    """One sheet; text cells are stored as text (never a formula), numbers and dates as themselves."""
    return xlsx_sheets_bytes([(sheet_title, header, rows)])


def xlsx_sheets_bytes(sheets: Iterable[tuple[str, Row | None, Iterable[Row]]]) -> bytes:
    """A workbook of several sheets (title, header, rows), each written as `xlsx_bytes` writes one."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for sheet_title, header, rows in sheets:
        sheet = workbook.create_sheet((sheet_title.translate(_SHEET_TITLE_FORBIDDEN) or "Sheet")[:31])

        def cells(values: Row, sheet=sheet) -> list:
            out = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if isinstance(value, str):
                    cell.data_type = "s"
                out.append(cell)
            return out

        if header is not None:
            sheet.append(cells(header))
        for row in rows:
            sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(body: bytes, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A file response; the name is quoted (and never carries a quote or a line break itself)."""
    clean = "".join(c for c in filename if c not in '"\r\n\\')
    value = f'{"inline" if inline else "attachment"}; filename="{clean}"'
    if not clean.isascii():  # RFC 6266: an ASCII fallback and the UTF-8 name
        fallback = clean.encode("ascii", "replace").decode().replace("?", "_")
        value = f'{value.split(";")[0]}; filename="{fallback}"; filename*=UTF-8\'\'{quote(clean)}'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": value})


def csv_response(filename: str, header: Row | None, rows: Iterable[Row]) -> Response:
    return download(csv_bytes(header, rows), filename, CSV_MIMETYPE)


def xlsx_response(filename: str, sheet_title: str, header: Row | None, rows: Iterable[Row]) -> Response:
    return download(xlsx_bytes(sheet_title, header, rows), filename, XLSX_MIMETYPE)
