"""Background order imports: an ``ImportJob`` row follows one upload from queued to done or failed.

The upload request checks the files against the upload limits, records the job, keeps the files under
<instance>/jobs/imports/<id>/ and queues a background job (erp_core.jobs, kind ``orders.import``); the
worker parses the files, stores the orders and writes its counters in short transactions of their own,
so the page polling the job sees them move while the orders are stored. A worker killed mid-import is
resumed after the last recorded chunk (the orders already stored are skipped, none is stored twice).
The error report is written to a file (``<instance>/import-reports/<job id>.csv``); the job keeps its
name, the count and the first rows, so a user can leave and come back for it. Deleting a job removes
its file; ``run_import_report_purge`` (a periodic task) removes the files of old jobs.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..config import instance_dir
from ..db import atomic, end_transaction, on_commit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..fileimport import RowError, errors_to_csv
from ..fileimport.report import write_errors_csv
from ..fileimport.uploads import check_uploads
from ..jobs.runner import JobRun
from ..jobs.services import enqueue, job_kind
from ..models_base import utcnow
from .models import Channel, ImportJob
from .services import ImportReport, gc_threshold_raised, parse_order_files, store_parsed_orders

log = logging.getLogger(__name__)

FINISHED = frozenset({"done", "failed"})
#: A job still queued or running after this long lost its thread (the server restarted meanwhile).
STALE_AFTER = timedelta(hours=2)


def start_import_job(channel_id: int, files: Sequence[tuple[str, bytes]], *,
                     user_id: int | None = None) -> ImportJob:
    """Queue the import of uploaded files ``(name, bytes)`` into a channel; a worker starts it once
    the job is committed. Returns the queued job."""
    if not files:
        raise ValidationFailed("choose at least one file", code="no_files")
    check_uploads(files)  # over a limit, unreadable or empty: refused now, nothing queued
    with atomic():
        channel = db.session.get(Channel, channel_id)
        if channel is None or not channel.active:
            raise NotFound("no such channel", code="unknown_channel")
        job = ImportJob(channel_id=channel.id, user_id=user_id, status="queued",
                        file_names=", ".join(name for name, _ in files)[:1000])
        db.session.add(job)
        db.session.flush()
        enqueue(IMPORT_KIND, {"import_job_id": job.id, "files": _keep_files(job.id, files)}, user_id=user_id,
                permission="orders.create", key=f"{IMPORT_KIND}:{job.id}")
    return job


IMPORT_KIND = "orders.import"


def _upload_dir(job_id: int) -> Path:
    return instance_dir() / "jobs" / "imports" / str(job_id)


def _keep_files(job_id: int, files: Sequence[tuple[str, bytes]]) -> list[list[str]]:
    """Write the uploads where the worker (and a resumed worker) reads them: ``[name, path]`` pairs."""
    folder = _upload_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for number, (name, payload) in enumerate(files):
        path = folder / f"{number:03d}.upload"
        path.write_bytes(payload)
        kept.append([name, str(path)])
    return kept


def import_job_title(args: dict) -> str:
    return _("Import of %(files)s", files=", ".join(name for name, _path in args["files"])[:200])


@job_kind(IMPORT_KIND, title=import_job_title, on_failed=lambda job_id, args, error: _record(
    args["import_job_id"], status="failed", finished_at=utcnow(), message=error[:500]))
def run_import_kind(job: JobRun) -> dict:
    """The queued import: the same work as ``run_import_job``, resumable, failures left to the runner."""
    import_job_id = job.args["import_job_id"]
    finished = db.session.get(ImportJob, import_job_id)
    # A worker killed after the import was done (its uploads perhaps removed already) but before the
    # job was closed: nothing is left to do, and the files must not be read again.
    if finished is None or finished.status != "done":
        files = [(name, Path(path).read_bytes()) for name, path in job.args["files"]]
        _run(import_job_id, files, tell=job.progress)
    end_transaction()
    shutil.rmtree(_upload_dir(import_job_id), ignore_errors=True)
    return {"import_job_id": import_job_id}


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


def _counters(report: ImportReport, processed: int, before: ImportJob | None = None) -> dict[str, int]:
    """The job's counters; ``before``: the counts a killed worker had recorded (a resumed import)."""
    created, duplicates = (before.created_orders, before.duplicate_orders) if before else (0, 0)
    return {"processed_orders": processed, "created_orders": created + len(report.created),
            "duplicate_orders": duplicates + len(report.already_imported) + len(report.updated),
            "error_rows": len(report.errors)}


def _run(job_id: int, files: Sequence[tuple[str, bytes]], tell: Callable[[int, int], None] | None = None) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}")
    channel, user_id = job.channel, job.user_id
    # A job found running was started by a worker that died: resume after its last recorded chunk.
    resume_at = job.processed_orders if job.status == "running" else 0
    before = ImportJob(created_orders=job.created_orders, duplicate_orders=job.duplicate_orders) if resume_at else None
    _record(job_id, status="running")

    def progress(so_far: ImportReport, handled: int) -> None:
        with atomic():
            _record(job_id, **_counters(so_far, resume_at + handled, before))
            if tell is not None:
                tell(resume_at + handled, len(result.orders))

    with gc_threshold_raised():  # the parsed orders stay alive until stored (see gc_threshold_raised)
        result = parse_order_files(files)
        _record(job_id, format=result.format, total_orders=len(result.orders), error_rows=len(result.errors))
        report = ImportReport(format=result.format, skipped=list(result.skipped), errors=list(result.errors))
        store_parsed_orders(channel, result.orders[resume_at:], report, user_id=user_id, progress=progress)
    summary = (f"{_counters(report, 0, before)['created_orders']} created, {len(report.already_imported)} already "
               f"imported, {len(report.updated)} updated, {len(report.skipped)} skipped, "
               f"{len(report.errors)} rows rejected")
    _record(job_id, **_counters(report, len(result.orders), before), status="done", finished_at=utcnow(),
            **_write_report(job_id, report.errors), message=summary)
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


#: Error rows kept on the job itself, for the job's page (the whole report is the file).
PREVIEW_ROWS = 50


def reports_dir() -> Path:
    """Where the error reports are written: IMPORT_REPORT_DIR, else <instance>/import-reports."""
    configured = current_app.config.get("IMPORT_REPORT_DIR")
    return Path(configured) if configured else instance_dir() / "import-reports"


def _write_report(job_id: int, errors: Sequence[RowError]) -> dict[str, str]:
    """Write the job's error report file (none when there are no errors); the job's report fields."""
    preview = errors_to_csv(errors[:PREVIEW_ROWS]).decode("utf-8-sig")
    if not errors:
        return {"report_path": "", "report_preview": preview}
    name = f"{job_id}.csv"
    write_errors_csv(errors, reports_dir() / name)
    return {"report_path": name, "report_preview": preview}


def report_file(job: ImportJob) -> Path | None:
    """The job's error report file, when it has one that is still there."""
    if not job.report_path:
        return None
    path = reports_dir() / Path(job.report_path).name  # only a name: never outside the directory
    return path if path.is_file() else None


def first_errors(job: ImportJob, limit: int = PREVIEW_ROWS) -> list[dict[str, str]]:
    """The first rows of the job's error report, as the download has them."""
    if not job.report_preview:
        return []
    reader = csv.DictReader(io.StringIO(job.report_preview, newline=""))
    return [row for row, _ in zip(reader, range(limit), strict=False)]


def error_report_bytes(job: ImportJob) -> bytes:
    """The report when its file is gone (purged): the preview kept on the job, UTF-8 with a BOM."""
    return codecs.BOM_UTF8 + (job.report_preview or errors_to_csv([]).decode("utf-8-sig")).encode("utf-8")


def _remove_file(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def delete_job(job_id: int) -> None:
    """Remove a finished import job and its error report file (the orders it stored stay)."""
    with atomic():
        job = db.session.get(ImportJob, job_id)
        if job is None:
            raise NotFound("no such import job", code="unknown_import_job")
        if job.status not in FINISHED and not is_stalled(job):
            raise Conflict("the import is still running", code="import_job_running")
        path = report_file(job)
        db.session.delete(job)
        on_commit(lambda: _remove_file(path))


def run_import_report_purge(now: datetime | None = None, *, batch: int = 200) -> int:
    """Remove the error report files of jobs finished more than IMPORT_REPORT_DAYS ago (the job and
    its preview stay). Idempotent, short transactions; returns how many files went."""
    days = int(current_app.config.get("IMPORT_REPORT_DAYS") or 30)
    cutoff = (now or utcnow()) - timedelta(days=days)
    removed = 0
    while True:
        with atomic():
            jobs = list(db.session.scalars(select(ImportJob).where(
                ImportJob.report_path != "", ImportJob.finished_at < cutoff).order_by(ImportJob.id).limit(batch)))
            paths = [report_file(job) for job in jobs]
            for job in jobs:
                job.report_path = ""
            on_commit(lambda paths=paths: [_remove_file(p) for p in paths])
        removed += sum(p is not None for p in paths)
        if len(jobs) < batch:
            return removed
