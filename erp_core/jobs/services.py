"""Jobs: the kinds of background work, starting one (``enqueue``), retrying and cancelling it.

A kind is a plain function ``run(job: JobRun) -> dict | None`` registered with ``job_kind``; it
must be resumable: it works in chunks of short transactions, reports ``job.progress(done, total,
**state)`` inside each chunk's transaction (so the resume point commits with the work), and on a
second run starts after what ``job.state`` says was done, or skips what is no longer to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.permissions import PERMISSIONS
from ..config import instance_dir
from ..db import atomic, locked, on_commit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..statemachine import compare_and_set
from .models import JOB_TRANSITIONS, Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[..., dict | None]
    #: Told (job_id, args, error) when the job fails for good, so a kind can close its own records.
    on_failed: Callable[[int, dict, str], None] | None = None


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, on_failed: Callable[[int, dict, str], None] | None = None):
    """Register ``run`` as the function of job kind ``name`` (one line per kind, at import)."""
    def register(run: Callable[..., dict | None]) -> Callable[..., dict | None]:
        KINDS[name] = JobKind(name, run, on_failed)
        return run
    return register


def enqueue(kind: str, args: dict, *, user_id: int | None, permission: str, key: str | None = None,
            title: str = "", total: int = 0) -> Job:
    """Record a job in the caller's transaction and hand it to the queue after that commits.

    With a ``key``, the same job started twice is one job: the second call returns the first row."""
    if kind not in KINDS:
        raise ValidationFailed(f"unknown job kind {kind}", code="job_kind_unknown", kind=kind)
    if permission not in PERMISSIONS:
        raise ValidationFailed(f"unknown permission {permission}", code="job_kind_unknown", kind=kind)
    key = key[:200] if key else None
    with atomic():
        if key and (existing := _by_key(key)) is not None:
            return existing
        job = Job(kind=kind, args=args, user_id=user_id, permission=permission, idempotency_key=key,
                  title=(title or kind)[:200], progress_total=max(0, total), result={})
        try:
            with atomic():
                db.session.add(job)
                db.session.flush()
        except IntegrityError:  # the same key, committed by a concurrent caller meanwhile
            existing = _by_key(key) if key else None
            if existing is None:
                raise
            return existing
        job_id = job.id
        on_commit(lambda: hand_to_queue(job_id))
    return job


def _by_key(key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.idempotency_key == key))


def hand_to_queue(job_id: int) -> None:
    """Put "run job N" on the queue (never raises: a job the queue did not take is re-handed by the reaper)."""
    from .runner import run_job

    try:
        run_job(job_id)
    except Exception:  # noqa: BLE001 (the row is committed; the reaper hands it again)
        log.exception("handing job %s to the queue failed", job_id)


def get_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("no such job", code="unknown_job", job=job_id)
    return job


def visible_jobs_stmt(user):
    """The jobs a user may see: those whose action's permission the user holds."""
    allowed = [name for name in PERMISSIONS if user.can(name)]
    return select(Job).where(Job.permission.in_(allowed)).order_by(Job.id.desc())


def retry_job(job_id: int) -> Job:
    """Queue a failed or cancelled job again; it resumes from what it had committed."""
    with atomic():
        job = locked(Job, job_id) or get_job(job_id)
        if job.status not in {"failed", "cancelled"}:
            raise Conflict(f"job {job.id} is {job.status}", code="job_not_retryable", job=job.id,
                           job_status=job.status)
        # attempts go on counting: a worker of an earlier attempt that still runs can never write again
        compare_and_set(job, "queued", JOB_TRANSITIONS, what=f"job {job.id}", code="job_not_retryable",
                        finished_at=None, heartbeat_at=utcnow())
        on_commit(lambda: hand_to_queue(job_id))
    return job


def cancel_job(job_id: int) -> Job:
    """Stop a queued or running job: a running one stops at its next progress report, its chunk undone."""
    with atomic():
        job = locked(Job, job_id) or get_job(job_id)
        if job.finished:
            raise Conflict(f"job {job.id} is {job.status}", code="job_finished", job=job.id, job_status=job.status)
        compare_and_set(job, "cancelled", JOB_TRANSITIONS, what=f"job {job.id}", code="job_finished",
                        finished_at=utcnow())
    return job


def files_dir() -> Path:
    """Where jobs keep the files they make (label sheets, document batches): <instance>/jobs/files/."""
    folder = instance_dir() / "jobs" / "files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_file(job: Job) -> Path | None:
    """The finished job's file, when it made one and it is still there (a bare name: no path escapes)."""
    name = (job.result or {}).get("file")
    if job.status != "done" or not name or Path(name).name != name:
        return None
    path = files_dir() / name
    return path if path.is_file() else None
