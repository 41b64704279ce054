"""The downloadable error report of an import."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable

from erp_core.fileimport.errors import RowError

REPORT_COLUMNS = ("file", "line", "column", "code", "reason", "value")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def errors_to_csv(errors: Iterable[RowError]) -> bytes:
    """Errors as CSV bytes: UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, one row each.

    Cells that Excel would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) get a leading
    apostrophe: the values come from uploaded files and must not execute on the reader's machine.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for error in errors:
        writer.writerow([
            _inert(error.file),
            "" if error.line is None else error.line,
            _inert(error.column),
            error.code,
            error.reason,
            _inert(error.value),
        ])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _inert(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
