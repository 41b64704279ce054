"""Sending webhook deliveries: `run_webhook_deliveries()` (each scheduler round, or
`flask --app wsgi send-webhooks` from cron) claims due deliveries and POSTs each one, signed.

Claiming is one short transaction: the due rows are read (FOR UPDATE SKIP LOCKED on PostgreSQL, so
concurrent senders take different rows; SQLite's writer lock serialises them) and leased by moving
their `next_attempt_at` LEASE ahead. The POST happens outside any transaction (nothing is locked while
a receiver takes up to 10 s), and its outcome is recorded in a second short transaction. A sender
that dies mid-send leaves the delivery due again when the lease ends: delivery is at least once, and
receivers dedupe by X-WMS-Delivery.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import select, update

from ..crypto import decrypt
from ..db import atomic, end_transaction, in_transaction, is_postgres, locked
from ..errors import DomainError
from ..extensions import db
from ..models_base import utcnow
from ..net_guard import check_outbound_url
from .domain import delivered, next_delay, signature
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10
KEPT_CHARS = 500
USER_AGENT = "WMS-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body: {id, type, created_at, data}; the same bytes at every try."""
    return json.dumps({"id": delivery.id, "type": delivery.event_type,
                       "created_at": delivery.created_at.isoformat(), "data": json.loads(delivery.data)},
                      ensure_ascii=False).encode("utf-8")


@dataclass
class Answer:
    status_code: int | None = None
    error: str = ""
    body: str = ""
    duration_ms: int = 0


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST once: no redirect followed, 10 s timeout, at most a few KB of the answer read."""
    started = time.monotonic()
    answer = Answer()
    try:
        check_outbound_url(url)  # again right before the send: the name may resolve elsewhere now
        with requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False,
                           stream=True) as response:
            answer.status_code = response.status_code
            answer.body = response.raw.read(KEPT_CHARS * 4, decode_content=True).decode("utf-8", "replace")
            if response.is_redirect:
                answer.error = f"redirect not followed: {response.headers.get('Location', '')}"
            elif not delivered(response.status_code):
                answer.error = f"HTTP {response.status_code}"
    except DomainError as error:
        answer.error = f"{error.code}: {error.message} ({error.details.get('reason', '')})"
    except requests.RequestException as error:
        answer.error = f"{type(error).__name__}: {error}"
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    return answer


def _claim(limit: int, now: datetime) -> list[int]:
    """Lease up to `limit` due deliveries of active subscriptions, oldest due first."""
    with atomic():
        stmt = (select(WebhookDelivery.id).join(WebhookSubscription)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                       WebhookSubscription.active.is_(True))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        if is_postgres():
            stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
        ids = list(db.session.scalars(stmt))
        if ids:
            db.session.execute(update(WebhookDelivery).where(
                WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now).values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False))
    return ids


def send_delivery(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try one (claimed) delivery and record the attempt; returns delivered | retrying | failed | gone."""
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:
        return "gone"
    subscription = delivery.subscription
    url, event_type, body = subscription.url, delivery.event_type, body_of(delivery)
    try:
        secret = decrypt(subscription.secret)
    except DomainError as error:  # a data key changed: a failed try, retried (an admin rotates the secret)
        end_transaction()
        return _record(delivery_id, Answer(error=f"{error.code}: {error.message}"), now or utcnow())
    end_transaction()  # nothing held while the receiver answers
    timestamp = int(time.time())
    answer = _post(url, body, {
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-WMS-Event": event_type,
        "X-WMS-Delivery": str(delivery_id), "X-WMS-Timestamp": str(timestamp),
        "X-WMS-Signature": signature(secret, timestamp, body)})
    return _record(delivery_id, answer, now or utcnow())


def _record(delivery_id: int, answer: Answer, now: datetime) -> str:
    with atomic():
        delivery = locked(WebhookDelivery, delivery_id)
        if delivery is None:  # the subscription was deleted meanwhile
            return "gone"
        db.session.add(WebhookAttempt(delivery_id=delivery_id, attempted_at=now, status_code=answer.status_code,
                                      error=answer.error[:KEPT_CHARS], response_body=answer.body[:KEPT_CHARS],
                                      duration_ms=answer.duration_ms, replay=delivery.replay_requested))
        delivery.attempts += 1
        delivery.replay_requested = False
        delivery.last_status_code, delivery.last_error = answer.status_code, answer.error[:KEPT_CHARS]
        if delivered(answer.status_code) and not answer.error:
            delivery.status, delivery.failures, delivery.delivered_at = "delivered", 0, now
            return "delivered"
        delivery.failures += 1
        delay = next_delay(delivery.failures)
        if delay is None:
            delivery.status = "failed"
            return "failed"
        delivery.next_attempt_at = now + delay
        return "retrying"


def run_webhook_deliveries(limit: int = 100, *, now: datetime | None = None) -> dict[str, int]:
    """Send what is due (up to `limit` deliveries), each in its own short transactions; idempotent and
    safe to run from several processes at once. Returns how many ended delivered, retrying, failed."""
    if in_transaction():
        raise RuntimeError("run_webhook_deliveries runs outside any unit of work")
    now = now or utcnow()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for delivery_id in _claim(limit, now):
        try:
            outcome = send_delivery(delivery_id, now=now)
        except Exception:  # noqa: BLE001  (one broken delivery, e.g. an unreadable secret, must not stop the rest)
            log.exception("webhook delivery %s could not be sent", delivery_id)
            end_transaction()
            continue
        if outcome in counts:
            counts[outcome] += 1
    return counts
