"""Webhook tables: a subscription (target URL, event types, encrypted signing secret), one delivery per
subscription and event (the outbox row the sender claims), and every attempt to send it (the log)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

EVENT_TYPES = ("order.created", "order.status_changed", "shipment.shipped", "tracking.exception",
               "stock.below_reorder_point")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscription(db.Model):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[str] = mapped_column(String(200))  # comma-separated, in EVENT_TYPES order
    secret: Mapped[str] = mapped_column(String(400))  # erp_core.crypto: "fernet:..."; never shown again
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by = relationship("User")

    @property
    def events(self) -> list[str]:
        return [e for e in self.event_types.split(",") if e]


class WebhookDelivery(db.Model):
    """One event for one subscription. `next_attempt_at` is when the sender may take it: now for a new
    or replayed one, the backoff after a failure, a short lease while it is being sent (so a sender
    that dies mid-send leaves it due again)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(120), default="")
    data: Mapped[str] = mapped_column(Text)  # the event's JSON "data"
    status: Mapped[str] = mapped_column(String(10), default="pending")
    failures: Mapped[int] = mapped_column(default=0)  # failed tries in a row (the backoff step)
    attempts: Mapped[int] = mapped_column(default=0)  # every try, replays included
    replay_requested: Mapped[bool] = mapped_column(default=False)  # the next try is a replay
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription = relationship("WebhookSubscription")
    attempt_log = relationship("WebhookAttempt", order_by="WebhookAttempt.id", cascade="all, delete-orphan",
                               passive_deletes=True, back_populates="delivery")


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str] = mapped_column(String(500), default="")
    response_body: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    replay: Mapped[bool] = mapped_column(default=False)

    delivery = relationship("WebhookDelivery", back_populates="attempt_log")
