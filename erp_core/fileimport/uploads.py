"""Refuse an upload at once, in the request, when a file is over the upload limits or unreadable:
the person is told which file and which limit, and nothing is queued or stored."""

from __future__ import annotations

from collections.abc import Sequence

from erp_core.errors import ValidationFailed
from erp_core.fileimport.errors import COMMON_REASONS, LIMIT_CODES, UnreadableFile
from erp_core.fileimport.limits import MB, UploadLimits, current_limits
from erp_core.fileimport.tables import check_upload


def _limit(code: str, limits: UploadLimits) -> int | None:
    return {"too_many_rows": limits.max_rows, "file_too_large": limits.max_unzipped_bytes // MB,
            "zip_bomb": limits.max_zip_ratio, "cell_too_long": limits.max_cell_chars}.get(code)


def refusal(name: str, problem: UnreadableFile, limits: UploadLimits | None = None) -> ValidationFailed:
    """The domain refusal (code ``import_<code>``, registered in erp_core.messages) of one file."""
    limits = limits or current_limits()
    reason = COMMON_REASONS.get(problem.code, problem.code)
    return ValidationFailed(f"{name}: {reason}", code=f"import_{problem.code}", file=name,
                            limit=_limit(problem.code, limits), line=problem.line, column=problem.column)


def check_uploads(files: Sequence[tuple[str, bytes]], limits: UploadLimits | None = None) -> None:
    """``check_upload`` of every ``(name, bytes)``; raises ``ValidationFailed`` for the first file over
    a limit. An unreadable or empty file is not refused here: the import reports it as the file's error
    and goes on with the other files."""
    limits = limits or current_limits()
    for name, data in files:
        try:
            check_upload(name, data, limits)
        except UnreadableFile as problem:
            if problem.code in LIMIT_CODES:
                raise refusal(name, problem, limits) from problem
