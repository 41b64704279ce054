"""The downloadable error report of an import."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from erp_core.exports import csv_bytes
from erp_core.fileimport.errors import RowError

#: Errors written per ``csv_bytes`` call when a report goes to a file (memory stays bounded).
_WRITE_EVERY = 10_000

REPORT_COLUMNS = ("file", "line", "column", "code", "reason", "value")


def errors_to_csv(errors: Iterable[RowError]) -> bytes:
    """Errors as CSV bytes: UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, one row each.

    Every cell goes through ``erp_core.exports.safe_cell``: the values (and reasons quoting them) come
    from uploaded files and must not run as a formula on the reader's machine.
    """
    return csv_bytes(REPORT_COLUMNS, _cells(errors))


def _cells(errors: Iterable[RowError]) -> Iterable[list]:
    return ([e.file, "" if e.line is None else e.line, e.column, e.code, e.reason, e.value] for e in errors)


def write_errors_csv(errors: Sequence[RowError], path: Path) -> None:
    """The report ``errors_to_csv`` makes, written to ``path`` a slice at a time (through a temporary
    file, so a reader never sees half a report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with partial.open("wb") as out:
        out.write(csv_bytes(REPORT_COLUMNS, ()))
        for start in range(0, len(errors), _WRITE_EVERY):
            out.write(csv_bytes(None, _cells(errors[start:start + _WRITE_EVERY]))[len(codecs.BOM_UTF8):])
    partial.replace(path)
