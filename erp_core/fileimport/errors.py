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
    "unreadable_file": "file cannot be read as CSV or XLSX",
    "empty_file": "file has no header row",
    "missing_column": "required column is missing",
    "missing_sku": "SKU is empty",
    "unknown_sku": "SKU does not exist in the catalogue",
    "bad_quantity": "quantity must be a whole number from 1 to 1000000",
    "bad_number": "not a valid non-negative amount",
    "bad_date": "not a valid date and time",
}


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
