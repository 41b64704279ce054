"""Announcing events to webhook subscribers: `emit()` writes one delivery row per active subscription of
the event's type, in the caller's transaction, so a business change that rolls back announces nothing
and one that commits is sent by `run_webhook_deliveries` afterwards.

Each business event is announced from ONE place (the helpers below are the calls those places make):
order created (orders.services.create_order, channels.bulk_insert.insert_new_orders), order status
changed (orders.states.transition), shipment shipped and tracking exception (wms.shipping, through
wms/shipping/webhook_events.py), stock below reorder point (a LOW_STOCK_LISTENERS listener: alerts
learn of the crossing only after commit, so that one is written in its own small transaction).

Without subscribers an event costs one small query per app context (the active subscriptions are
cached on `g`; saving a subscription forgets the cache) and builds no payload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence

from flask import g, has_app_context
from sqlalchemy import insert, select

from ..db import atomic, in_transaction
from ..extensions import db
from ..models_base import utcnow
from .models import EVENT_TYPES, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)
_CACHE = "webhook_subscribers"
Payload = dict | Callable[[], dict]


def _subscribers() -> dict[str, list[int]]:
    """Active subscription ids by event type (cached for the app context)."""
    cached = g.get(_CACHE) if has_app_context() else None
    if cached is None:
        cached = {}
        rows = db.session.execute(select(WebhookSubscription.id, WebhookSubscription.event_types)
                                  .where(WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id))
        for subscription_id, types in rows:
            for event_type in types.split(","):
                cached.setdefault(event_type, []).append(subscription_id)
        if has_app_context():
            setattr(g, _CACHE, cached)
    return cached


def forget_subscribers() -> None:
    """Drop the cached subscriptions (called whenever a subscription is saved or deleted)."""
    if has_app_context():
        g.pop(_CACHE, None)


def wants(event_type: str) -> bool:
    return bool(_subscribers().get(event_type))


def emit_many(event_type: str, events: Iterable[tuple[Payload, str]]) -> int:
    """Write a delivery per active subscription of `event_type` and event ((payload, key) pairs), in the
    caller's transaction; returns the rows written. A payload may be a callable, built only when
    someone listens. Meant inside the business change's unit of work (erp_core.db.atomic)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    subscription_ids = _subscribers().get(event_type)
    if not subscription_ids:
        return 0
    if not in_transaction():  # the rows still ride on the session's transaction: they commit with the change
        log.warning("webhook event %s emitted outside erp_core.db.atomic()", event_type)
    now = utcnow()
    rows = []
    for payload, key in events:
        data = json.dumps(payload() if callable(payload) else payload, ensure_ascii=False, default=str)
        rows.extend({"subscription_id": sid, "event_type": event_type, "event_key": key[:120], "data": data,
                     "status": "pending", "failures": 0, "attempts": 0, "replay_requested": False,
                     "next_attempt_at": now, "last_error": "", "created_at": now} for sid in subscription_ids)
    if rows:
        db.session.execute(insert(WebhookDelivery), rows)
    return len(rows)


def emit(event_type: str, payload: Payload, key: str = "") -> int:
    """Announce one event (see `emit_many`)."""
    return emit_many(event_type, [(payload, key)])


def _money(value) -> str:
    return f"{value:.2f}"


def _orders_data(order_ids: Sequence[int]) -> list[dict]:
    """order.created's data of each order: two queries however many orders (a bulk import's chunk)."""
    from ..catalog.models import Sku
    from ..channels.models import Channel
    from ..orders.models import Order, OrderLine

    lines: dict[int, list[dict]] = {}
    for order_id, sku, quantity, price in db.session.execute(
            select(OrderLine.order_id, Sku.code, OrderLine.quantity, OrderLine.unit_price)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id.in_(order_ids), OrderLine.parent_line_id.is_(None)).order_by(OrderLine.id)):
        lines.setdefault(order_id, []).append({"sku": sku, "quantity": quantity, "unit_price": _money(price)})
    rows = db.session.execute(
        select(Order.id, Order.external_id, Channel.code, Order.status, Order.currency, Order.goods_total,
               Order.shipping_fee, Order.ordered_at, Order.paid_at, Order.customer_id)
        .join(Channel, Channel.id == Order.channel_id).where(Order.id.in_(order_ids)).order_by(Order.id))
    return [{"order_id": oid, "order_number": number, "channel": channel, "status": status, "currency": currency,
             "goods_total": _money(total), "shipping_fee": _money(fee), "ordered_at": ordered.isoformat(),
             "paid_at": paid.isoformat() if paid else None, "customer_id": customer, "lines": lines.get(oid, [])}
            for oid, number, channel, status, currency, total, fee, ordered, paid, customer in rows]


def announce_orders_created(order_ids: Sequence[int]) -> int:
    """order.created for new orders (create_order's one, or a bulk import chunk's), in their transaction."""
    if not order_ids or not wants("order.created"):
        return 0
    return emit_many("order.created", [(data, f"order:{data['order_id']}:created")
                                       for data in _orders_data(order_ids)])


def announce_status_changed(order, previous: str) -> int:
    """order.status_changed after `transition()` moved the order from `previous` to its status now."""
    return emit("order.status_changed", lambda: {
        "order_id": order.id, "order_number": order.external_id, "channel": order.channel.code,
        "from": previous, "to": order.status, "changed_at": utcnow().isoformat()},
        key=f"order:{order.id}:{previous}:{order.status}")


def announce_low_stock(item: dict) -> None:
    """stock.below_reorder_point: a LOW_STOCK_LISTENERS listener, called after the stock change commits
    (the crossing is known only then), so it writes its deliveries in a transaction of its own."""
    if not wants("stock.below_reorder_point"):
        return
    data = {k: v for k, v in item.items() if k != "event"}
    with atomic():
        emit("stock.below_reorder_point", data, key=f"stock:{data['sku_id']}:{data['warehouse_id']}")


def listen_low_stock() -> None:
    """Hear the low-stock alerts (at app start; once)."""
    from ..inventory.alerts import LOW_STOCK_LISTENERS

    if announce_low_stock not in LOW_STOCK_LISTENERS:
        LOW_STOCK_LISTENERS.append(announce_low_stock)
