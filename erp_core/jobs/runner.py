"""The task runner: huey's ``jobs.run`` task claims a job row, runs its kind, records how it ended.

Claiming is a compare-and-set queued -> running that also counts the attempt; every write the
running job makes afterwards (progress, heartbeat, the end) is conditional on that attempt, so a
job re-queued from under a stalled worker is never finished twice. huey retries a failed attempt
with a growing delay (JOBS_RETRIES, 10 s, x2); a job whose worker died (SIGKILL, power) keeps a
heartbeat that stops moving, and ``reap_stalled_jobs`` (every minute, and at consumer start)
queues it again, to resume, or fails it after JOBS_MAX_ATTEMPTS. No job stays 'running' forever.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import func, select, update

from ..db import atomic, end_transaction, on_commit
from ..errors import DomainError
from ..extensions import db
from ..models_base import utcnow
from .models import Job
from .queue import current_app_for_jobs, huey
from .services import KINDS, hand_to_queue

log = logging.getLogger(__name__)


class JobStopped(Exception):
    """The job was cancelled, or re-queued to another worker: this run stops, its chunk rolled back."""


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


class JobRun:
    """What a kind's function gets: the job's arguments, what it committed so far, and ``progress``."""

    def __init__(self, job: Job, attempt: int) -> None:
        self.id, self.attempt, self.user_id = job.id, attempt, job.user_id
        self.args: dict = dict(job.args or {})
        self.state: dict = dict(job.result or {})  # the resume point, as the last progress committed it
        self.done, self.total = job.progress_done, job.progress_total

    def progress(self, done: int, total: int | None = None, /, **state: object) -> None:
        """Record progress (and the resume point) with a heartbeat, in the caller's transaction when
        one is open; raises JobStopped when the job was cancelled or taken over meanwhile."""
        self.done = done
        self.total = self.total if total is None else total
        self.state.update(state)
        values = {"progress_done": done, "progress_total": self.total, "heartbeat_at": utcnow()}
        if state:
            values["result"] = dict(self.state)
        with atomic():
            written = db.session.execute(update(Job).where(
                Job.id == self.id, Job.status == "running", Job.attempts == self.attempt).values(**values)
                .execution_options(synchronize_session=False)).rowcount
            if written != 1:
                raise JobStopped(f"job {self.id} is no longer this worker's (cancelled or re-queued)")


def _claim(job_id: int) -> Job | None:
    with atomic():
        now = utcnow()
        claimed = db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued").values(
            status="running", attempts=Job.attempts + 1, heartbeat_at=now,
            started_at=func.coalesce(Job.started_at, now)).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            return None
        return db.session.scalar(select(Job).where(Job.id == job_id).execution_options(populate_existing=True))


def _end(run: JobRun, status: str, **values: object) -> bool:
    with atomic():
        if status != "queued":
            values["finished_at"] = utcnow()
        return db.session.execute(update(Job).where(
            Job.id == run.id, Job.status == "running", Job.attempts == run.attempt).values(status=status, **values)
            .execution_options(synchronize_session=False)).rowcount == 1


def _failed_for_good(job_id: int, args: dict, kind: str, error: str) -> None:
    handler = KINDS[kind].on_failed if kind in KINDS else None
    if handler is not None:
        try:
            handler(job_id, args, error)
        except Exception:  # noqa: BLE001
            end_transaction()
            log.exception("closing the records of failed job %s failed", job_id)


def execute_job(job_id: int, *, will_retry: bool) -> str:
    """Run one attempt of a job in the current app context; returns the status it ended in."""
    job = _claim(job_id)
    if job is None:
        return "skipped"  # finished, cancelled, or another worker has it: a duplicate message
    run, kind = JobRun(job, job.attempts), job.kind
    try:
        if kind not in KINDS:
            raise DomainError(f"unknown job kind {kind}", code="job_kind_unknown", kind=kind)
        result = KINDS[kind].run(run) or {}
    except JobStopped:
        end_transaction()
        log.info("job %s stopped: %s", job_id, "cancelled or taken over")
        return "stopped"
    except Exception as error:  # noqa: BLE001 (a job must end in a state, whatever happened)
        end_transaction()
        message = f"{type(error).__name__}: {error}"[:2000]
        retry = will_retry and not isinstance(error, DomainError)
        log.log(logging.WARNING if retry else logging.ERROR, "job %s (%s) attempt %s failed: %s",
                job_id, kind, run.attempt, message, exc_info=not isinstance(error, DomainError))
        if retry:
            _end(run, "queued", error=message)
            raise  # huey schedules the next attempt after its retry delay
        if _end(run, "failed", error=message):
            _failed_for_good(job_id, run.args, kind, message)
        return "failed"
    _end(run, "done", result={**run.state, **result}, error="", progress_done=max(run.done, run.total),
         progress_total=run.total)
    return "done"


@huey.task(retries=3, retry_delay=10, retry_backoff=2, context=True, name="jobs.run")
def run_job(job_id: int, task=None) -> str:
    """The one huey task: run job ``job_id`` (its row says what and with what)."""
    app = current_app_for_jobs()
    with app.app_context():
        try:
            will_retry = bool(task is not None and task.retries) and not huey.immediate
            return execute_job(job_id, will_retry=will_retry)
        finally:
            db.session.remove()


def reap_stalled_jobs() -> dict[str, int]:
    """Queue again the running jobs whose heartbeat stopped (their worker died), or fail those that
    died JOBS_MAX_ATTEMPTS times; hand again the queued jobs the queue lost. In an app context."""
    now = utcnow()
    stalled_before = now - timedelta(seconds=_setting("JOBS_STALL_SECONDS", 120))
    lost_before = now - timedelta(seconds=_setting("JOBS_LOST_SECONDS", 600))
    max_attempts = int(_setting("JOBS_MAX_ATTEMPTS", 5))
    counts = {"requeued": 0, "failed": 0, "rehanded": 0}
    stalled = list(db.session.scalars(select(Job).where(Job.status == "running", Job.heartbeat_at < stalled_before)))
    end_transaction()
    for job in stalled:
        give_up = job.attempts >= max_attempts
        error = f"the worker stopped while running it ({job.attempts} attempts)"
        with atomic():
            moved = db.session.execute(update(Job).where(
                Job.id == job.id, Job.status == "running", Job.heartbeat_at < stalled_before).values(
                status="failed" if give_up else "queued", error=error, heartbeat_at=now,
                **({"finished_at": now} if give_up else {})).execution_options(synchronize_session=False)).rowcount
            if moved and not give_up:
                on_commit(lambda job_id=job.id: hand_to_queue(job_id))
        if moved and give_up:
            _failed_for_good(job.id, dict(job.args or {}), job.kind, error)
        counts["failed" if give_up else "requeued"] += moved
    lost = list(db.session.scalars(select(Job.id).where(
        Job.status == "queued", func.coalesce(Job.heartbeat_at, Job.created_at) < lost_before)))
    end_transaction()
    for job_id in lost:
        with atomic():
            db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued").values(heartbeat_at=now))
        hand_to_queue(job_id)
        counts["rehanded"] += 1
    if any(counts.values()):
        log.warning("reaped jobs: %s", counts)
    return counts


def _reap_in_app() -> dict[str, int]:
    app = current_app_for_jobs()
    with app.app_context():
        try:
            return reap_stalled_jobs()
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="*"), name="jobs.reap_stalled")
def reap_stalled_jobs_task() -> dict[str, int]:
    return _reap_in_app()


@huey.on_startup(name="jobs.reap_at_start")
def _reap_at_consumer_start() -> None:
    """A consumer restarted after a crash resumes the jobs the dead one left running at once."""
    try:
        _reap_in_app()
    except Exception:  # noqa: BLE001 (a consumer must start even when the database is not there yet)
        log.exception("reaping stalled jobs at consumer start failed")
