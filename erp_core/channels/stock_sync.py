"""Stock sync back to the platforms (库存同步): how many units each shop offers per SKU, and pushing it.

Offered = floor(available x ratio% - buffer), never more than available, never below zero, where
available is what the shop's warehouse has free (all active warehouses when the shop names none),
read with the one query allocation uses (``available_by_warehouse``).

How a change reaches the platform: by difference, not by a hook in the stock services. Every
scheduler round ``run_stock_sync`` reads the offered levels of each syncing shop's linked SKUs (one
grouped query per shop) and compares them with the push log (``ChannelSkuLink.pushed_quantity``,
and ``queued_quantity`` for a push still waiting): a SKU whose level differs gets one outbox message
(``channel.stock_push``) in the same short transaction that notes it as queued. At the shop's
stock interval every linked SKU is queued again, which repairs a level someone changed on the
platform by hand. This costs one read per shop per round, puts nothing on the hot paths of
picking, receiving and counting (a stock change writes no extra row), and sees every change,
whichever service made it. A push sends the level as it is when the message is sent (not when it
was queued), so a late message never sets an old value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from ..catalog.models import Sku
from ..db import atomic, end_transaction
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from ..inventory.reservations import available_by_warehouse
from ..models_base import utcnow
from ..outbox import OutboxMessage, publish
from .adapters import PLATFORM_ADAPTERS, StockLevel, make_adapter
from .models import Channel, ChannelSkuLink
from .shops import feed_settings

log = logging.getLogger(__name__)

STOCK_TOPIC = "channel.stock_push"


def offered_quantity(available: int, ratio_percent: int = 100, buffer: int = 0) -> int:
    """floor(available x ratio% - buffer), clamped to 0..available (integer maths: no float rounding)."""
    available = max(0, int(available))
    offered = (available * int(ratio_percent)) // 100 - int(buffer)
    return max(0, min(available, offered))


def _warehouse_ids(channel: Channel) -> list[int]:
    if channel.warehouse_id is not None:
        return [channel.warehouse_id]
    return list(db.session.scalars(select(Warehouse.id).where(Warehouse.active.is_(True))))


def offered_levels(channel: Channel, sku_ids: Iterable[int]) -> dict[int, int]:
    """{sku_id: units offered on the platform} for the shop (one query for all the SKUs)."""
    sku_ids = set(sku_ids)
    available = available_by_warehouse(sku_ids)
    warehouses = _warehouse_ids(channel)
    return {sku_id: offered_quantity(sum(available.get(w, {}).get(sku_id, 0) for w in warehouses),
                                     channel.stock_ratio_percent, channel.stock_buffer) for sku_id in sku_ids}


# --- SKU links (商品映射) ----------------------------------------------------------------------------


def set_sku_link(channel_id: int, sku_code: str, *, platform_item_id: str = "", platform_sku_id: str = ""
                 ) -> ChannelSkuLink:
    """Link one of our SKUs to the platform's item (or change the link); one link per SKU and shop."""
    platform_item_id, platform_sku_id = (platform_item_id or "").strip(), (platform_sku_id or "").strip()
    if len(platform_item_id) > 64 or len(platform_sku_id) > 64:
        raise ValidationFailed("platform ids are at most 64 characters", code="too_long")
    if not (platform_item_id or platform_sku_id):
        raise ValidationFailed("give the platform's item id or SKU id", code="sku_link_empty")
    with atomic():
        channel = db.session.get(Channel, channel_id)
        if channel is None:
            raise NotFound("no such shop", code="unknown_channel")
        sku = db.session.scalar(select(Sku).filter_by(code=(sku_code or "").strip()))
        if sku is None:
            raise ValidationFailed(f"unknown SKU {sku_code}", code="unknown_sku", skus=[sku_code])
        link = db.session.scalar(select(ChannelSkuLink).filter_by(channel_id=channel_id, sku_id=sku.id)
                                 .with_for_update())
        if link is None:
            link = ChannelSkuLink(channel_id=channel_id, sku_id=sku.id)
            db.session.add(link)
        link.platform_item_id, link.platform_sku_id = platform_item_id, platform_sku_id
        link.pushed_quantity = link.queued_quantity = None  # a new target: push again
        db.session.flush()
    return link


def remove_sku_link(channel_id: int, sku_code: str) -> None:
    with atomic():
        link = db.session.scalar(select(ChannelSkuLink).join(Sku).where(
            ChannelSkuLink.channel_id == channel_id, Sku.code == sku_code))
        if link is None:
            raise NotFound(f"SKU {sku_code} is not linked", code="unknown_sku_link", sku=sku_code)
        db.session.delete(link)


def sku_links(channel_id: int) -> list[ChannelSkuLink]:
    return list(db.session.scalars(select(ChannelSkuLink).join(Sku).where(ChannelSkuLink.channel_id == channel_id)
                                   .order_by(Sku.code)))


# --- the sync ---------------------------------------------------------------------------------------


def _syncing_channels() -> list[int]:
    return list(db.session.scalars(select(Channel.id).where(
        Channel.active.is_(True), Channel.stock_sync_enabled.is_(True),
        Channel.adapter.in_(set(PLATFORM_ADAPTERS.values()))).order_by(Channel.id)))


def queue_stock_levels(channel_id: int, *, now: datetime | None = None, full: bool | None = None) -> int:
    """Queue a push for each linked SKU whose offered level changed (every one when the shop's stock
    interval has passed, or ``full``); returns how many were queued. One short transaction."""
    now = now or utcnow()
    with atomic():
        channel = db.session.get(Channel, channel_id, with_for_update=True)
        if channel is None or not channel.stock_sync_enabled:
            return 0
        if full is None:
            due = channel.last_stock_sync_at
            full = due is None or due <= now - timedelta(minutes=max(channel.stock_interval_minutes, 1))
        links = list(db.session.scalars(select(ChannelSkuLink).filter_by(channel_id=channel_id)))
        levels = offered_levels(channel, {link.sku_id for link in links})
        queued = 0
        for link in links:
            level = levels[link.sku_id]
            last = link.queued_quantity if link.queued_quantity is not None else link.pushed_quantity
            if not full and level == last:
                continue
            link.queued_quantity = level
            publish(STOCK_TOPIC, {"channel_id": channel_id, "link_id": link.id, "sku_id": link.sku_id,
                                  "quantity": level}, key=f"stock:{channel_id}:{link.sku_id}")
            queued += 1
        if full:
            channel.last_stock_sync_at = now
    return queued


def run_stock_sync(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduler's unit of work: queue the changed (or due) stock levels of every syncing shop,
    then send the queued pushes. Idempotent: levels are absolute. Returns {"queued", "sent", "failed"}."""
    from ..outbox import send_pending

    queued = 0
    for channel_id in _syncing_channels():
        try:
            queued += queue_stock_levels(channel_id, now=now)
        except Exception:  # one shop's trouble must not stop the others
            log.exception("queuing the stock levels of shop %s failed", channel_id)
    end_transaction()
    sent = send_pending(500, topics=[STOCK_TOPIC])
    return {"queued": queued, **sent}


def push_stock_message(message: OutboxMessage) -> None:
    """The ``channel.stock_push`` handler: send the SKU's level as it is now; note it in the push log."""
    data = message.data()
    link = db.session.get(ChannelSkuLink, data["link_id"])
    if link is None:
        return  # unlinked meanwhile: nothing to push
    channel = link.channel
    level = offered_levels(channel, [link.sku_id])[link.sku_id]
    adapter = make_adapter(channel.adapter, feed_settings(channel))
    target = StockLevel(sku=link.sku.code, platform_item_id=link.platform_item_id,
                        platform_sku_id=link.platform_sku_id, quantity=level)
    link_id = link.id
    end_transaction()  # no transaction open while the platform is called
    try:
        adapter.push_stock(target)
    except Exception as error:
        with atomic():
            db.session.get(ChannelSkuLink, link_id).push_error = str(getattr(error, "message", error))[:500]
        raise
    with atomic():
        link = db.session.get(ChannelSkuLink, link_id)
        link.pushed_quantity, link.pushed_at, link.push_error = level, utcnow(), ""
        if link.queued_quantity == data.get("quantity"):
            link.queued_quantity = None
