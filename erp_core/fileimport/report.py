"""The downloadable error report of an import."""

from __future__ import annotations

from collections.abc import Iterable

from erp_core.exports import csv_bytes
from erp_core.fileimport.errors import RowError

REPORT_COLUMNS = ("file", "line", "column", "code", "reason", "value")


def errors_to_csv(errors: Iterable[RowError]) -> bytes:
    """Errors as CSV bytes: UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, one row each.

    Every cell goes through ``erp_core.exports.safe_cell``: the values (and reasons quoting them) come
    from uploaded files and must not run as a formula on the reader's machine.
    """
    return csv_bytes(REPORT_COLUMNS, ([e.file, "" if e.line is None else e.line, e.column, e.code, e.reason, e.value]
                                      for e in errors))
