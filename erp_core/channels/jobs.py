"""Background order imports: an ``ImportJob`` row follows one upload from queued to done or failed.

The upload request only records the job and starts a daemon thread; the thread (with its own app
context and database session) parses the files, stores the orders and writes its counters in short
transactions of their own, so the page polling the job sees them move while the orders are stored.
The error report is kept on the job, so a user can leave and come back for it.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import threading
from collections.abc import Sequence
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from ..db import atomic, end_transaction, on_commit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..fileimport import errors_to_csv
from ..fileimport.uploads import check_uploads
from ..models_base import utcnow
from .models import Channel, ImportJob
from .services import ImportReport, cyclic_gc_paused, parse_order_files, store_parsed_orders

log = logging.getLogger(__name__)

FINISHED = frozenset({"done", "failed"})
#: A job still queued or running after this long lost its thread (the server restarted meanwhile).
STALE_AFTER = timedelta(hours=2)


def start_import_job(channel_id: int, files: Sequence[tuple[str, bytes]], *,
                     user_id: int | None = None) -> ImportJob:
    """Queue the import of uploaded files ``(name, bytes)`` into a channel and start it in the
    background once the job is committed. Returns the queued job."""
    if not files:
        raise ValidationFailed("choose at least one file", code="no_files")
    check_uploads(files)  # over a limit, unreadable or empty: refused now, nothing queued
    app = current_app._get_current_object()
    with atomic():
        channel = db.session.get(Channel, channel_id)
        if channel is None or not channel.active:
            raise NotFound("no such channel", code="unknown_channel")
        job = ImportJob(channel_id=channel.id, user_id=user_id, status="queued",
                        file_names=", ".join(name for name, _ in files)[:1000])
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        on_commit(lambda: _launch(app, job_id, list(files)))
    return job


def _launch(app: Flask, job_id: int, files: list[tuple[str, bytes]]) -> None:
    threading.Thread(target=run_import_job, args=(app, job_id, files), name=f"import-job-{job_id}",
                     daemon=True).start()


def run_import_job(app: Flask, job_id: int, files: Sequence[tuple[str, bytes]]) -> None:
    """Do the job's work in the current thread: parse, store with progress, keep the error report.

    Anything unexpected marks the job failed with the reason; the orders already stored stay (each
    one was committed whole)."""
    with app.app_context():
        try:
            _run(job_id, files)
        except Exception as error:  # noqa: BLE001 (a background job must end in a state, whatever happened)
            log.exception("import job %s failed", job_id)
            end_transaction()
            _record(job_id, status="failed", finished_at=utcnow(),
                    message=f"{type(error).__name__}: {error}"[:500])
        finally:
            db.session.remove()


def _record(job_id: int, **values: object) -> None:
    """Write job fields in a short transaction of their own."""
    with atomic():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


def _counters(report: ImportReport, processed: int) -> dict[str, int]:
    return {"processed_orders": processed, "created_orders": len(report.created),
            "duplicate_orders": len(report.already_imported) + len(report.updated),
            "error_rows": len(report.errors)}


def _run(job_id: int, files: Sequence[tuple[str, bytes]]) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}")
    channel, user_id = job.channel, job.user_id
    _record(job_id, status="running")
    with cyclic_gc_paused():  # the parsed orders stay alive until stored (see cyclic_gc_paused)
        result = parse_order_files(files)
        _record(job_id, format=result.format, total_orders=len(result.orders), error_rows=len(result.errors))
        report = ImportReport(format=result.format, skipped=list(result.skipped), errors=list(result.errors))
        store_parsed_orders(channel, result.orders, report, user_id=user_id,
                            progress=lambda so_far, handled: _record(job_id, **_counters(so_far, handled)))
    summary = (f"{len(report.created)} created, {len(report.already_imported)} already imported, "
               f"{len(report.updated)} updated, {len(report.skipped)} skipped, {len(report.errors)} rows rejected")
    _record(job_id, **_counters(report, len(result.orders)), status="done", finished_at=utcnow(),
            errors_csv=errors_to_csv(report.errors).decode("utf-8-sig"), message=summary)
    log.info("import job %s into %s: %s", job_id, channel.code, summary)


def get_job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("no such import job", code="unknown_import_job")
    return job


def is_stalled(job: ImportJob) -> bool:
    """Whether an unfinished job is too old to be still running (its progress will not move again)."""
    return job.status not in FINISHED and utcnow() - job.created_at > STALE_AFTER


def recent_jobs(limit: int = 20) -> list[ImportJob]:
    return list(db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)))


def first_errors(job: ImportJob, limit: int = 50) -> list[dict[str, str]]:
    """The first rows of the job's error report, as the download has them."""
    if not job.errors_csv:
        return []
    reader = csv.DictReader(io.StringIO(job.errors_csv, newline=""))
    return [row for row, _ in zip(reader, range(limit), strict=False)]


def error_report_bytes(job: ImportJob) -> bytes:
    """The downloadable error report: UTF-8 with a BOM (for Excel), as ``errors_to_csv`` writes it."""
    return codecs.BOM_UTF8 + (job.errors_csv or errors_to_csv([]).decode("utf-8-sig")).encode("utf-8")
