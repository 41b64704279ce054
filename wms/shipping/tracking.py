"""Tracking (订单跟踪): a parcel's events from its carrier, by webhook or by pull, on the order's timeline;
and the rules that send a parcel to the exceptions desk (no movement for the carrier's
`tracking_stale_hours` after shipping, or a `returned` / `refused` event), once per shipment.

Webhook: ``POST /api/v1/carriers/<code>/tracking`` with ``{"events": [{tracking_number, external_id,
occurred_at, code, description, location}]}`` and the header ``X-Carrier-Signature: sha256=<hex>``,
the HMAC-SHA256 of the raw body with the carrier's api_key. Events are kept once per (shipment,
external_id), so a carrier re-sending a batch changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from erp_core.db import atomic
from erp_core.errors import DomainError, ValidationFailed
from erp_core.extensions import db
from erp_core.models_base import utcnow
from erp_core.orders.services import record_event

from .carrier_services import get_carrier
from .carriers import TrackingUpdate, adapter_for
from .carriers.http_json import parse_time
from .models import Carrier, Package, Shipment, ShippingException, TrackingEvent
from .services import lock_shipment, open_exception
from .webhook_events import announce_tracking_exception

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Carrier-Signature"
ALERT_CODES = frozenset({"returned", "refused"})
FINAL_CODES = frozenset({"delivered", "returned", "refused"})
LIVE = ("packed", "manifested", "shipped")
PULL_WINDOW_DAYS = 30  # a parcel not delivered after a month is the exceptions desk's, not the pull's


class SignatureInvalid(DomainError):
    code = "tracking_signature_invalid"
    status = 401


def signature_of(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(carrier: Carrier, body: bytes, signature: str) -> None:
    """Refuse (401) unless the header is the body's HMAC-SHA256 with the carrier's key (constant time)."""
    given = (signature or "").strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    if not carrier.api_key or not hmac.compare_digest(signature_of(carrier.api_key, body).encode(), given.encode()):
        raise SignatureInvalid("the tracking webhook's signature does not match", carrier=carrier.code)


@dataclass
class Received:
    accepted: int = 0
    duplicates: int = 0
    unknown: list[str] = field(default_factory=list)
    exceptions: int = 0


def _parse_events(body: bytes) -> list[tuple[str, TrackingUpdate]]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError as error:
        raise ValidationFailed("the body is not JSON", code="bad_tracking_payload", problem="not JSON") from error
    events = payload.get("events") if isinstance(payload, dict) else payload
    if not isinstance(events, list):
        raise ValidationFailed("send {events: [...]}", code="bad_tracking_payload", problem="no events list")
    parsed = []
    for i, event in enumerate(events):
        try:
            number = "".join(str(event["tracking_number"]).split()).upper()
            update = TrackingUpdate(external_id=str(event["external_id"]).strip()[:80],
                                    occurred_at=parse_time(event["occurred_at"]),
                                    code=str(event["code"]).strip().lower()[:20],
                                    description=str(event.get("description") or "")[:300],
                                    location=str(event.get("location") or "")[:120])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValidationFailed(f"event {i} is incomplete", code="bad_tracking_payload",
                                   problem=f"event {i}: {type(error).__name__} {error}"[:200]) from error
        if not (number and update.external_id and update.code):
            raise ValidationFailed(f"event {i} is incomplete", code="bad_tracking_payload", problem=f"event {i}")
        parsed.append((number, update))
    return parsed


def _shipment_of(carrier_id: int, number: str) -> int | None:
    """The live shipment of the carrier with this number (its own, or one of its packages')."""
    return db.session.scalar(
        select(Shipment.id).outerjoin(Package, Package.shipment_id == Shipment.id)
        .where(Shipment.carrier_id == carrier_id, Shipment.status.in_(LIVE),
               or_(Shipment.tracking_number == number, Package.tracking_number == number))
        .order_by(Shipment.id.desc()).limit(1))


def receive_webhook(carrier_code: str, body: bytes, signature: str) -> Received:
    """Verify and record a carrier's tracking webhook; numbers of no live shipment are listed back.

    Locks: each shipment row named, in id order (a replay sent at once waits and is then a duplicate)."""
    carrier = get_carrier(carrier_code)
    verify_signature(carrier, body, signature)
    by_shipment: dict[int, list[TrackingUpdate]] = {}
    result = Received()
    for number, update in _parse_events(body):
        shipment_id = _shipment_of(carrier.id, number)
        if shipment_id is None:
            if number not in result.unknown:
                result.unknown.append(number)
            continue
        by_shipment.setdefault(shipment_id, []).append(update)
    with atomic():
        for shipment_id in sorted(by_shipment):
            added, duplicate, opened = record_updates(shipment_id, by_shipment[shipment_id])
            result.accepted += added
            result.duplicates += duplicate
            result.exceptions += opened
    return result


def record_updates(shipment_id: int, updates: list[TrackingUpdate]) -> tuple[int, int, int]:
    """Keep the shipment's new events (once per external id), put each on the order's timeline, and
    open a tracking exception on a returned/refused event. Returns (added, duplicates, exceptions opened).

    Locks: the shipment row (so two deliveries of one event keep it once)."""
    with atomic():
        shipment = lock_shipment(shipment_id)
        known = set(db.session.scalars(select(TrackingEvent.external_id).filter_by(shipment_id=shipment.id)))
        added = duplicate = 0
        alert = None
        for update in sorted(updates, key=lambda u: u.occurred_at):
            if update.external_id in known:
                duplicate += 1
                continue
            known.add(update.external_id)
            db.session.add(TrackingEvent(shipment_id=shipment.id, external_id=update.external_id,
                                         occurred_at=update.occurred_at, code=update.code,
                                         description=update.description, location=update.location))
            record_event(shipment.order, "tracking", f"{shipment.tracking_number}: {update.code} "
                         f"{update.description} {update.location}".strip())
            added += 1
            if update.code in ALERT_CODES:
                alert = update
        db.session.flush()
        opened = 0
        if alert is not None:
            opened = _open_once(shipment, reason=alert.code, event=alert.external_id, description=alert.description)
        return added, duplicate, opened


def _open_once(shipment: Shipment, **details: object) -> int:
    """A tracking exception for the shipment unless it has one already (the shipment row is locked)."""
    exists = db.session.scalar(select(ShippingException.id).filter_by(kind="tracking", shipment_id=shipment.id))
    if exists:
        return 0
    open_exception("tracking", shipment.order_id, shipment_id=shipment.id, warehouse_id=shipment.warehouse_id,
                   tracking_number=shipment.tracking_number, **details)
    record_event(shipment.order, "tracking", f"{shipment.tracking_number}: exception ({details.get('reason')})")
    announce_tracking_exception(shipment, details)
    return 1


@dataclass
class Pulled:
    shipments: int = 0
    events: int = 0
    failed: int = 0
    exceptions: int = 0


def _open_shipments(now: datetime) -> list[int]:
    """Shipped shipments of the pull window without a final event, oldest first."""
    finished = select(TrackingEvent.shipment_id).where(TrackingEvent.code.in_(FINAL_CODES))
    return list(db.session.scalars(
        select(Shipment.id).where(Shipment.status == "shipped", Shipment.tracking_number != "",
                                  Shipment.shipped_at >= now - timedelta(days=PULL_WINDOW_DAYS),
                                  Shipment.id.not_in(finished)).order_by(Shipment.id)))


def pull_tracking(*, now: datetime | None = None) -> Pulled:
    """Ask each shipped parcel's carrier for its events (adapter.track), then flag stale parcels.

    Each parcel is its own short transaction; the carrier is asked outside any transaction, and a
    carrier that fails is logged and tried again next time."""
    now = now or utcnow()
    result = Pulled()
    for shipment_id in _open_shipments(now):
        shipment = db.session.get(Shipment, shipment_id)
        try:
            updates = adapter_for(shipment.carrier).track(shipment) if shipment.carrier else []
        except DomainError as error:
            log.warning("tracking pull of %s failed: %s", shipment.reference, error)
            result.failed += 1
            continue
        finally:
            db.session.commit()  # end the read transaction: nothing is held while the carrier is asked
        result.shipments += 1
        if updates:
            added, _, opened = record_updates(shipment_id, updates)
            result.events += added
            result.exceptions += opened
    result.exceptions += flag_stale(now=now)
    return result


def flag_stale(*, now: datetime | None = None) -> int:
    """Open a tracking exception (once) for each shipped parcel whose last movement (its latest event,
    else its shipping time) is older than its carrier's tracking_stale_hours. Returns how many opened."""
    now = now or utcnow()
    last_event = (select(TrackingEvent.shipment_id, func.max(TrackingEvent.occurred_at).label("last"))
                  .group_by(TrackingEvent.shipment_id).subquery())
    flagged = select(ShippingException.shipment_id).where(ShippingException.kind == "tracking",
                                                          ShippingException.shipment_id.is_not(None))
    rows = db.session.execute(
        select(Shipment.id, Shipment.shipped_at, last_event.c.last, Carrier.tracking_stale_hours)
        .join(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(last_event, last_event.c.shipment_id == Shipment.id)
        .where(Shipment.status == "shipped", Shipment.id.not_in(flagged),
               Shipment.id.not_in(select(TrackingEvent.shipment_id).where(TrackingEvent.code.in_(FINAL_CODES))))
        .order_by(Shipment.id)).all()
    opened = 0
    for shipment_id, shipped_at, last, stale_hours in rows:
        moved = max(m for m in (shipped_at, last) if m is not None) if (shipped_at or last) else None
        if moved is None or now - moved < timedelta(hours=stale_hours):
            continue
        with atomic():
            shipment = lock_shipment(shipment_id)
            opened += _open_once(shipment, reason="stale", last_movement=moved.isoformat(),
                                 stale_hours=stale_hours)
    return opened
