"""The ``jobs`` table: one row per piece of background work, from queued to done, failed or cancelled.

The row is the truth the pages and the API read; huey only carries "run job N" messages. A message
lost with a killed consumer is found again by its row (``reap_stalled_jobs``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = frozenset({"done", "failed", "cancelled"})
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset({"done", "failed", "queued", "cancelled"}),  # queued: a retry, or re-queued when stalled
    "failed": frozenset({"queued"}),  # Retry on the jobs page
    "done": frozenset(),
    "cancelled": frozenset({"queued"}),
}


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in JOB_STATUSES)})", name="status_known"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress_not_negative"),
        Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    #: Not shown when the kind renders its own title from ``args`` in the reader's language
    #: (``services.job_title``); kept for rows of kinds that do not (and for older rows).
    title: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The warehouse the job works in (a wave's, a bin sheet's), None when it has none (an import,
    #: bulk order actions): readers limited to some warehouses see only those warehouses' jobs.
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), index=True)
    #: The permission of the job's action: who may see, retry or cancel it.
    permission: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    #: What the job reports (and, while it runs, what it has committed so far: its resume point).
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))
