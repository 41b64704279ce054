"""Jobs: the kinds of background work, starting one (``enqueue``), retrying and cancelling it.

A kind is a plain function ``run(job: JobRun) -> dict | None`` registered with ``job_kind``; it
must be resumable: it works in chunks of short transactions, reports ``job.progress(done, total,
**state)`` inside each chunk's transaction (so the resume point commits with the work), and on a
second run starts after what ``job.state`` says was done, or skips what is no longer to do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..auth.object_access import may_access
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
    #: The job's title from its ``args``, through gettext: rendered in the reader's language when read,
    #: never stored in the language of whoever started it.
    title: Callable[[dict], str] | None = None


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, on_failed: Callable[[int, dict, str], None] | None = None,
             title: Callable[[dict], str] | None = None):
    """Register ``run`` as the function of job kind ``name`` (one line per kind, at import)."""
    def register(run: Callable[..., dict | None]) -> Callable[..., dict | None]:
        KINDS[name] = JobKind(name, run, on_failed, title)
        return run
    return register


def job_title(job: Job) -> str:
    """What the job is, in the current (the reader's) language: its kind's title of its arguments."""
    kind = KINDS.get(job.kind)
    if kind is not None and kind.title is not None:
        try:
            return str(kind.title(dict(job.args or {})))
        except (KeyError, TypeError, ValueError):  # arguments of an older shape: the stored title
            log.warning("job %s: its kind %s cannot title its arguments", job.id, job.kind)
    return job.title or job.kind


def enqueue(kind: str, args: dict, *, user_id: int | None, permission: str, key: str | None = None,
            title: str = "", total: int = 0, warehouse_id: int | None = None) -> Job:
    """Record a job in the caller's transaction and hand it to the queue after that commits.

    With a ``key``, the same job started twice is one job: the second call returns the first row.
    ``title`` is stored only for kinds without a title of their own (see ``job_title``); a job of
    a warehouse (``warehouse_id``) is visible only to readers who may work in that warehouse."""
    if kind not in KINDS:
        raise ValidationFailed(f"unknown job kind {kind}", code="job_kind_unknown", kind=kind)
    if permission not in PERMISSIONS:
        raise ValidationFailed(f"unknown permission {permission}", code="job_kind_unknown", kind=kind)
    key = key[:200] if key else None
    with atomic():
        if key and (existing := _by_key(key)) is not None:
            return existing
        job = Job(kind=kind, args=args, user_id=user_id, permission=permission, idempotency_key=key,
                  title=("" if KINDS[kind].title else title or kind)[:200], progress_total=max(0, total),
                  result={}, warehouse_id=warehouse_id)
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
    """The jobs a user may see: those whose action's permission the user holds, and, for a user
    limited to some warehouses, those of no warehouse or of one of them."""
    allowed = [name for name in PERMISSIONS if user.can(name)]
    stmt = select(Job).where(Job.permission.in_(allowed)).order_by(Job.id.desc())
    warehouses = user.warehouse_ids()
    if warehouses is not None:
        stmt = stmt.where(or_(Job.warehouse_id.is_(None), Job.warehouse_id.in_(warehouses)))
    return stmt


def visible_job(user, job_id: int) -> Job | None:
    """One job if ``user`` may see it (the rule of ``visible_jobs_stmt``), else None (a 404 to them)."""
    job = db.session.get(Job, job_id)
    if job is None or not user.can(job.permission) or not may_access(job.warehouse_id, user.warehouse_ids()):
        return None
    return job


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


def file_name(job_id: int, suffix: str) -> str:
    """The one name a job's file has (``job-<id><suffix>``): a retried or resumed job rewrites it,
    never writes a second file."""
    return f"job-{job_id}{suffix}"


def write_job_file(job_id: int, suffix: str, payload: bytes) -> str:
    """Write the job's file atomically (a temporary file renamed over it: a worker killed while
    writing leaves no half file under the name) and return its bare name for ``result['file']``."""
    name = file_name(job_id, suffix)
    target = files_dir() / name
    partial = target.with_name(f".{name}.{os.getpid()}.part")
    partial.write_bytes(payload)
    os.replace(partial, target)
    return name


def job_file(job: Job) -> Path | None:
    """The finished job's file, when it made one and it is still there (a bare name: no path escapes)."""
    name = (job.result or {}).get("file")
    if job.status != "done" or not name or Path(name).name != name:
        return None
    path = files_dir() / name
    return path if path.is_file() else None
