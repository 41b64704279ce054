"""Bulk order actions (audit, approve, hold, reject, cancel; 'audit pending') as background jobs.

The orders are worked in chunks: up to JOBS_CHUNK_ORDERS (200) orders, and never longer than
JOBS_CHUNK_SECONDS (0.25 s), per transaction, with a pause of JOBS_CHUNK_PAUSE_SECONDS (0.1 s, SQLite
only) between chunks, so the write lock is free again and the floor's scans go on.
Each order is a savepoint inside its chunk (a refusal undoes only that order). Audit is set-based
(erp_core/orders/bulk_audit.py): a chunk is read and decided before its write transaction, which then
only locks, checks and writes it in bulk (falling back to one order at a time when the chunk changed
meanwhile), so 200 orders hold the write lock for a few tens of milliseconds.
The chunk's progress, with the resume point, commits with the chunk: a job killed mid-way starts
again after the last committed chunk, and the orders it already did are not done twice.
"""

from __future__ import annotations

import hashlib
import json
import time

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import atomic
from ..errors import DomainError
from ..extensions import db
from ..jobs.models import Job
from ..jobs.runner import JobRun
from ..jobs.services import enqueue, job_kind
from .bulk_audit import ChunkOutcome, apply_audit, plan_audit
from .models import Order
from .workflow import ACTIONS

KIND = "orders.bulk"
PERMISSION = "orders.audit"
#: Refusals kept on the job for the page (all are counted).
KEEP_REFUSALS = 200


#: The actions' names on the jobs page (the same words as the orders page's bulk menu).
ACTION_LABELS = {"audit": _l("audit"), "approve": _l("approve"), "hold": _l("hold"), "reject": _l("reject"),
                 "cancel": _l("cancel")}


def start_bulk_job(action: str, order_ids: list[int], *, user_id: int | None, reason: str = "",
                   pending: bool = False) -> Job:
    """Queue ``action`` over the orders; the same action over the same orders twice is one job.
    ``pending``: the job is the 'audit pending orders' button's (its title says so)."""
    ids = sorted(set(order_ids))
    kwargs = {"reason": reason} if action in {"hold", "reject", "cancel"} else {}
    digest = hashlib.sha256(json.dumps([action, ids, kwargs]).encode()).hexdigest()[:32]
    args = {"action": action, "order_ids": ids, "kwargs": kwargs, **({"pending": True} if pending else {})}
    return enqueue(KIND, args, user_id=user_id, permission=PERMISSION, key=f"{KIND}:{user_id}:{digest}",
                   total=len(ids))


def start_audit_pending_job(*, user_id: int | None) -> Job:
    """Audit every pending order (oldest first) in the background: the 'run audit' button."""
    ids = list(db.session.scalars(select(Order.id).where(Order.status == "pending").order_by(Order.id)))
    return start_bulk_job("audit", ids, user_id=user_id, pending=True)


def bulk_job_title(args: dict) -> str:
    """The title in the reader's language, from the job's action and order count."""
    count = len(args["order_ids"])
    if args.get("pending"):
        return _("Audit pending orders: %(count)d orders", count=count)
    action = args["action"]
    return _("%(action)s: %(count)d orders", action=ACTION_LABELS.get(action, action), count=count)


@job_kind(KIND, title=bulk_job_title)
def run_bulk_job(job: JobRun) -> dict:
    name = job.args["action"]
    ids: list[int] = job.args["order_ids"]
    kwargs: dict = job.args.get("kwargs", {})
    chunk_orders = int(current_app.config.get("JOBS_CHUNK_ORDERS", 200))
    chunk_seconds = float(current_app.config.get("JOBS_CHUNK_SECONDS", 0.25))
    # Back-to-back chunks would starve other SQLite writers, whose busy handler polls (every <= 0.1 s).
    pause = float(current_app.config.get("JOBS_CHUNK_PAUSE_SECONDS", 0.1)) if db.engine.dialect.name == "sqlite" else 0
    position = int(job.state.get("position", 0))
    done, refused_count = int(job.state.get("done", 0)), int(job.state.get("refused_count", 0))
    refused: dict[str, str] = dict(job.state.get("refused", {}))
    size = min(chunk_orders, 50)  # audit's chunk grows (or shrinks) to what fits in chunk_seconds on this machine
    while position < len(ids):
        started = time.monotonic()
        chunk = ids[position:position + (size if name == "audit" else chunk_orders)]
        # Audit reads and decides its chunk before the write transaction, so the lock is held only to write.
        plan = plan_audit(chunk) if name == "audit" else None
        with atomic():
            if plan is not None:
                outcome, consumed = apply_audit(plan, user_id=job.user_id), plan.consumed
            else:
                outcome, consumed = _one_by_one(ACTIONS[name], chunk, chunk_seconds, user_id=job.user_id, **kwargs)
            position += consumed
            done += len(outcome.done)
            refused_count += len(outcome.refused)
            for order_id, message in sorted(outcome.refused.items()):
                if len(refused) < KEEP_REFUSALS:
                    refused[str(order_id)] = message[:200]
            job.progress(position, len(ids), position=position, done=done, refused_count=refused_count,
                         refused=refused)
        took = time.monotonic() - started
        if took > chunk_seconds:
            size = max(10, size // 2)
        elif took < chunk_seconds / 2:
            size = min(chunk_orders, size * 2)
        if pause:
            time.sleep(pause)  # SQLite: let a waiting writer (a scan, a login) take the lock before our next chunk
    return {"done": done, "refused_count": refused_count}


def _one_by_one(action, chunk: list[int], seconds: float, **kwargs) -> tuple[ChunkOutcome, int]:
    """The action on the chunk's orders one after another, each a savepoint (a refusal undoes only
    that order), for at most ``seconds`` (at least one order); returns what happened and how many."""
    outcome, started = ChunkOutcome(), time.monotonic()
    for count, order_id in enumerate(chunk):
        if count and time.monotonic() - started >= seconds:
            return outcome, count
        try:
            with atomic():
                action(order_id, **kwargs)
        except DomainError as error:
            outcome.refused[order_id] = error.message
        else:
            outcome.done.append(order_id)
    return outcome, len(chunk)
