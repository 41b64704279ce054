"""Upload limits every file import applies: rows per file, the unzipped size of an XLSX (and its
compression ratio: a decompression bomb), and the length of one cell.

Pure code; the limits come from the app's settings when an app is running (``current_limits``,
``IMPORT_MAX_ROWS``, ``IMPORT_MAX_UNZIPPED_MB``, ``IMPORT_MAX_ZIP_RATIO``, ``IMPORT_MAX_CELL_CHARS``),
else the safe defaults below. A file over a limit raises ``UnreadableFile`` with the code to report
(``too_many_rows``, ``file_too_large``, ``zip_bomb``, ``cell_too_long``), so every import refuses it
the way it refuses an unreadable file: nothing of the file is stored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from erp_core.fileimport.errors import UnreadableFile

MB = 1024 * 1024
#: An archive this small is never refused for its compression ratio (tiny XML compresses very well).
_RATIO_FLOOR_BYTES = 1 * MB


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_rows: int = 200_000
    max_unzipped_bytes: int = 200 * MB
    max_zip_ratio: int = 100
    max_cell_chars: int = 10_000

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> UploadLimits:
        default = cls()
        return cls(max_rows=int(config.get("IMPORT_MAX_ROWS") or default.max_rows),
                   max_unzipped_bytes=int(float(config.get("IMPORT_MAX_UNZIPPED_MB") or 200) * MB),
                   max_zip_ratio=int(config.get("IMPORT_MAX_ZIP_RATIO") or default.max_zip_ratio),
                   max_cell_chars=int(config.get("IMPORT_MAX_CELL_CHARS") or default.max_cell_chars))


DEFAULT_LIMITS = UploadLimits()


def current_limits() -> UploadLimits:
    """The running app's limits (its settings), or the defaults outside an app."""
    try:
        from flask import current_app, has_app_context  # only to read the settings
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        return DEFAULT_LIMITS
    return UploadLimits.from_config(current_app.config) if has_app_context() else DEFAULT_LIMITS


def check_archive(data: bytes, limits: UploadLimits) -> None:
    """Refuse an XLSX (zip) whose entries would unzip to more than the limit, or whose compression
    ratio is that of a decompression bomb; read from the zip's directory before anything is
    inflated (``zipfile`` never yields more than an entry's declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile("unreadable_file") from exc
    unzipped = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if unzipped > limits.max_unzipped_bytes:
        raise UnreadableFile("file_too_large")
    if unzipped > _RATIO_FLOOR_BYTES and unzipped > limits.max_zip_ratio * max(packed, 1):
        raise UnreadableFile("zip_bomb")


def count_csv_rows(text: str) -> int:
    """An upper bound of a CSV's records (its line breaks), cheap enough to ask before parsing."""
    return text.count("\n") + 1


def guarded_rows(rows: Iterator[tuple[int, list[str]]], header: Sequence[str], limits: UploadLimits
                 ) -> Iterator[tuple[int, list[str]]]:
    """Pass ``(line, cells)`` rows on, refusing the file at the first row past ``max_rows`` or the
    first cell longer than ``max_cell_chars`` (told with its line and column)."""
    max_rows, max_chars = limits.max_rows, limits.max_cell_chars
    for count, (line, cells) in enumerate(rows, start=1):
        if count > max_rows:
            raise UnreadableFile("too_many_rows", line=line)
        if cells and max(map(len, cells)) > max_chars:
            check_cells(cells, header, line, limits)
        yield line, cells


def check_cells(cells: Sequence[str], header: Sequence[str], line: int, limits: UploadLimits) -> None:
    """Refuse a row with a cell longer than ``max_cell_chars``, pointing at its column."""
    for index, cell in enumerate(cells):
        if len(cell) > limits.max_cell_chars:
            column = header[index] if index < len(header) else f"#{index + 1}"
            raise UnreadableFile("cell_too_long", line=line, column=column, value=cell[:50])
