"""Read an uploaded CSV or XLSX file into a header and numbered rows of text cells.

Line numbers are what a person sees: for CSV the physical line in the file where the record starts
(a quoted cell may span several lines), for XLSX the sheet row number. XLSX cells are turned into the
text a CSV export would have held, so every format parser deals with strings only.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from erp_core.fileimport.errors import UnreadableFile
from erp_core.fileimport.limits import (
    UploadLimits,
    check_archive,
    check_cells,
    count_csv_rows,
    current_limits,
    guarded_rows,
)
from erp_core.fileimport.values import clean

XLSX_MAGIC = b"PK\x03\x04"
# What openpyxl raises for damaged archives and sheets (zip, XML and value errors, missing parts).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, IndexError, OSError, ValueError, TypeError, SyntaxError)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(slots=True)
class Table:
    """A file's header (as written, trimmed) and an iterator of ``(line, cells)`` data rows."""

    file: str
    header: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[str]]]


def is_xlsx(name: str, data: bytes) -> bool:
    """XLSX files are zip archives; trust the bytes first and the name second."""
    return data.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm"))


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030 (a superset of GBK).

    Raises ``UnreadableFile("bad_encoding")`` when none fits or the text holds NUL characters.
    """
    if data.startswith(_UTF16_BOMS):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableFile("bad_encoding")


def read_table(name: str, data: bytes, limits: UploadLimits | None = None) -> Table:
    """Read a CSV or XLSX upload within the upload limits (``current_limits()`` when not given).
    Raises ``UnreadableFile`` with the code to report, at once or while its rows are read."""
    limits = limits or current_limits()
    if not data.strip():
        raise UnreadableFile("empty_file")
    if is_xlsx(name, data):
        check_archive(data, limits)
        table = _read_xlsx(name, data)
    else:
        table = _read_csv(name, decode_text(data))
    check_cells(table.header, table.header, table.header_line, limits)
    table.rows = guarded_rows(table.rows, table.header, limits)
    return table


def check_upload(name: str, data: bytes, limits: UploadLimits | None = None) -> None:
    """What an upload route can check at once, before it queues the work: not empty, an XLSX within
    its unzipped size and ratio, a CSV in a known encoding and within the row limit. Raises
    ``UnreadableFile``; the rest (cell lengths, an XLSX's rows) is checked as the rows are read."""
    limits = limits or current_limits()
    if not data.strip():
        raise UnreadableFile("empty_file")
    if is_xlsx(name, data):
        check_archive(data, limits)
        return
    text = decode_text(data)
    if count_csv_rows(text) > limits.max_rows + 1:  # only then count the records themselves
        table = _read_csv(name, text)
        for _ in guarded_rows(table.rows, table.header, limits):
            pass


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    if "," in first_line:
        return ","
    if "\t" in first_line:
        return "\t"
    if ";" in first_line:
        return ";"
    return ","


def _read_csv(name: str, text: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in record):
                header = [clean(cell).strip('"') for cell in record]
                return Table(name, header, start, _csv_rows(reader, previous_end))
    except csv.Error as exc:
        raise UnreadableFile("unreadable_file") from exc
    raise UnreadableFile("empty_file")


def _csv_rows(reader: Iterator[list[str]], previous_end: int) -> Iterator[tuple[int, list[str]]]:
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num  # type: ignore[attr-defined]
            yield start, record
    except csv.Error as exc:
        raise UnreadableFile("unreadable_file") from exc


def _read_xlsx(name: str, data: bytes) -> Table:
    from openpyxl import load_workbook  # imported lazily: CSV-only imports should not pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read what is really there
        rows = sheet.iter_rows(values_only=True)
        for number, values in enumerate(rows, start=1):
            cells = [cell_text(value) for value in values]
            if any(cells):
                header = [clean(cell) for cell in cells]
                return Table(name, header, number, _xlsx_rows(rows, number, workbook))
    except _XLSX_ERRORS as exc:
        raise UnreadableFile("unreadable_file") from exc
    workbook.close()
    raise UnreadableFile("empty_file")


def _xlsx_rows(rows: Iterator[tuple[object, ...]], header_row: int, workbook: object
               ) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(rows, start=header_row + 1):
            yield number, [cell_text(value) for value in values]
    except _XLSX_ERRORS as exc:
        raise UnreadableFile("unreadable_file") from exc
    finally:
        workbook.close()  # type: ignore[attr-defined]


def cell_text(value: object) -> str:
    """The text an XLSX cell would have in a CSV export.

    Floats that cannot be exact integers come out in scientific notation (``2.3456789012345e+18``),
    so a long order number Excel stored as a number is recognised as mangled downstream.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}" if abs(value) < 1e15 else f"{value:.14e}"
    return str(value)
