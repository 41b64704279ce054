"""Webhook subscriptions (create, change, delete, new secret) and replaying a delivery. Each service is
one transaction; the target URL is checked with erp_core.net_guard when saved (and again before each
send); the signing secret is generated here, returned once, and stored encrypted (erp_core.crypto)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import Select, select

from ..crypto import encrypt
from ..db import atomic, locked
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..net_guard import check_outbound_url
from .events import forget_subscribers
from .models import DELIVERY_STATUSES, EVENT_TYPES, WebhookDelivery, WebhookSubscription

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
MAX_DESCRIPTION = 200


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(32)


def _event_types(events: Iterable[str]) -> str:
    chosen = {e.strip() for e in events if e and e.strip()}
    unknown = sorted(chosen - set(EVENT_TYPES))
    if not chosen or unknown:
        raise ValidationFailed("choose at least one known event type", code="bad_webhook_events",
                               events=", ".join(unknown) or "-", known=", ".join(EVENT_TYPES))
    return ",".join(e for e in EVENT_TYPES if e in chosen)


def _description(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed("the description is too long", code="bad_webhook_description", max=MAX_DESCRIPTION)
    return text


def get_subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("no such webhook", code="unknown_webhook", webhook_id=subscription_id)
    return subscription


def get_delivery(delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("no such webhook delivery", code="unknown_webhook_delivery", delivery_id=delivery_id)
    return delivery


def create_subscription(url: str, events: Iterable[str], *, description: str = "", active: bool = True,
                        user_id: int | None = None) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (the only time the secret is told)."""
    url = check_outbound_url(url)
    secret = new_secret()
    with atomic():
        subscription = WebhookSubscription(url=url, event_types=_event_types(events), secret=encrypt(secret),
                                           active=active, description=_description(description),
                                           created_by_id=user_id)
        db.session.add(subscription)
        db.session.flush()
        forget_subscribers()
    return subscription, secret


def update_subscription(subscription_id: int, *, url: str | None = None, events: Iterable[str] | None = None,
                        description: str | None = None, active: bool | None = None) -> WebhookSubscription:
    """Change what is given (None: unchanged). Pending deliveries are sent to the new URL."""
    checked = check_outbound_url(url) if url is not None else None
    with atomic():
        subscription = locked(WebhookSubscription, subscription_id) or get_subscription(subscription_id)
        if checked is not None:
            subscription.url = checked
        if events is not None:
            subscription.event_types = _event_types(events)
        if description is not None:
            subscription.description = _description(description)
        if active is not None:
            subscription.active = active
        db.session.flush()
        forget_subscribers()
    return subscription


def delete_subscription(subscription_id: int) -> None:
    """Remove the subscription with its deliveries and their log."""
    with atomic():
        db.session.delete(get_subscription(subscription_id))
        db.session.flush()
        forget_subscribers()


def rotate_secret(subscription_id: int) -> tuple[WebhookSubscription, str]:
    """A new signing secret, effective at once (the old one signs nothing more); told once."""
    secret = new_secret()
    with atomic():
        subscription = locked(WebhookSubscription, subscription_id) or get_subscription(subscription_id)
        subscription.secret = encrypt(secret)
        subscription.updated_at = utcnow()
    return subscription, secret


def replay_delivery(delivery_id: int) -> WebhookDelivery:
    """Send the delivery again (same id and payload, a new timestamp and signature), with the full
    retry schedule: it is due at once for the sender's next round.

    Locks: the delivery row. Refused (409 `webhook_inactive`) while its subscription is switched off."""
    with atomic():
        delivery = locked(WebhookDelivery, delivery_id) or get_delivery(delivery_id)
        if not delivery.subscription.active:
            raise Conflict("the webhook is switched off", code="webhook_inactive",
                           webhook_id=delivery.subscription_id)
        delivery.status, delivery.failures, delivery.replay_requested = "pending", 0, True
        delivery.next_attempt_at = utcnow()
    return delivery


def subscriptions_query() -> Select:
    return select(WebhookSubscription).order_by(WebhookSubscription.id)


def deliveries_query(subscription_id: int, status: str | None = None) -> Select:
    """The subscription's deliveries, newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status in DELIVERY_STATUSES:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt.order_by(WebhookDelivery.id.desc())
