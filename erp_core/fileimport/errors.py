"""Row errors: one problem found in an imported file, pointing at the cell a person must fix.

Every import (orders, catalog, ASNs, bins) reports its problems as ``RowError``s with a stable code and
a short English reason from its own reasons table; ``COMMON_REASONS`` holds the codes they share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Codes every file import may report: the file itself (``read_table``) and the cells ``values`` parses.
#: The reason text is part of the contract (it is shown in the downloadable error report), so change it
#: only together with the docs.
COMMON_REASONS: dict[str, str] = {
    "bad_encoding": "file is not UTF-8 or GBK/GB18030 text",
    "too_many_rows": "file has more rows than one import may hold; split it",
    "file_too_large": "file unpacks to more than one import may hold; split it",
    "zip_bomb": "file unpacks to far more than its size (a compressed bomb); not read",
    "cell_too_long": "cell is longer than one import cell may be",
    "unreadable_file": "file cannot be read as CSV or XLSX",
    "empty_file": "file has no header row",
    "missing_column": "required column is missing",
    "missing_sku": "SKU is empty",
    "unknown_sku": "SKU does not exist in the catalogue",
    "bad_quantity": "quantity must be a whole number from 1 to 1000000",
    "bad_number": "not a valid non-negative amount",
    "bad_date": "not a valid date and time",
}


#: The codes a file over an upload limit is refused with (``erp_core.fileimport.limits``).
LIMIT_CODES = ("too_many_rows", "file_too_large", "zip_bomb", "cell_too_long")


class UnreadableFile(Exception):
    """The file as a whole cannot be read; ``code`` is the RowError code to report, with the line,
    column and value to blame when one cell is (``cell_too_long``)."""

    def __init__(self, code: str, *, line: int | None = None, column: str = "", value: str = "") -> None:
        super().__init__(code)
        self.code, self.line, self.column, self.value = code, line, column, value


@dataclass(slots=True)
class RowError:
    """One problem found in an imported file, pointing at the cell a person must fix.

    ``line`` is 1-based and counts physical lines of the file (the header is line 1; for XLSX, the
    sheet's row number); it is ``None`` for problems with the whole file. ``column`` is the header as
    written in the file, or the expected column name when the column is missing.
    """

    file: str
    line: int | None
    column: str
    code: str
    reason: str
    value: str = ""


def row_error(file: str, line: int | None, column: str, code: str, value: str = "", *,
              reasons: Mapping[str, str]) -> RowError:
    """Build a ``RowError`` whose reason is the stable text for ``code`` in the import's ``reasons``."""
    return RowError(file=file, line=line, column=column, code=code, reason=reasons[code], value=value)
