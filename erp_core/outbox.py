"""The outbox: messages for the world outside (a platform's ship confirmation, the finance feed),
written in the same transaction as the business change and sent after it commits, with retries.

A service calls `publish(topic, payload)` inside its unit of work; a sender (the scheduler, or a
job) picks pending messages in id order and hands each to the handler registered for its topic. A
message is sent at least once; handlers must be idempotent (the payload carries a stable key).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .db import atomic
from .extensions import db
from .models_base import UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sent", "failed")
MAX_ATTEMPTS = 8


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        Index("ix_outbox_messages_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
    key: Mapped[str] = mapped_column(String(120), default="")  # the idempotency key the receiver sees
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def data(self) -> dict:
        return json.loads(self.payload)


Handler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, Handler] = {}


def register_handler(topic: str, handler: Handler) -> None:
    """Say who sends the messages of a topic (the channel adapters, the finance feed)."""
    _HANDLERS[topic] = handler


def publish(topic: str, payload: dict, *, key: str = "") -> OutboxMessage:
    """Write a message in the caller's transaction: it exists only if the business change commits."""
    message = OutboxMessage(topic=topic, key=key[:120], payload=json.dumps(payload, ensure_ascii=False, default=str))
    db.session.add(message)
    db.session.flush()
    return message


def send_pending(limit: int = 100, *, topics: Iterable[str] | None = None) -> dict[str, int]:
    """Hand pending messages to their topic's handler, each in its own transaction; a topic without a
    handler waits (it is consumed elsewhere, e.g. read by an export). `topics` limits the sending to
    those topics. Returns {"sent": n, "failed": n}."""
    counts = {"sent": 0, "failed": 0}
    wanted = [t for t in _HANDLERS if topics is None or t in set(topics)]
    ids = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                            OutboxMessage.topic.in_(wanted))
                             .order_by(OutboxMessage.id).limit(limit)).all()
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        try:
            _HANDLERS[message.topic](message)
        except Exception as error:  # noqa: BLE001  (a failed send is recorded and retried, not raised)
            with atomic():
                attempts = message.attempts + 1
                db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                    attempts=attempts, last_error=str(error)[:500],
                    status="failed" if attempts >= MAX_ATTEMPTS else "pending"))
            counts["failed"] += 1
            continue
        with atomic():
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status ==
                                                           "pending").values(status="sent", sent_at=utcnow(),
                                                                             attempts=OutboxMessage.attempts + 1))
        counts["sent"] += 1
    return counts
