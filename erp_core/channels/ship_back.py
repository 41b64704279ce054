"""Tracking upload after shipping (发货回传).

The shipping desk publishes ``channel.ship_confirmation`` when an order ships. Its handler tells a
shop with a platform adapter (Shopify: a fulfillment with tracking; Taobao/Tmall: offline send);
adapters check first whether the platform has the order as shipped already, so a retried message
changes nothing twice. A shop without one (manual, other, a JSON feed) gets a bulk-ship file
instead: the shipped orders with carrier and tracking number, in the platform's bulk format
(Taobao 批量发货: 订单编号, 物流公司, 运单号; Shopify: Name, Tracking Number, Tracking Company), read
from the same outbox messages.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from ..db import end_transaction
from ..extensions import db
from ..orders.models import Order
from ..outbox import OutboxMessage
from .adapters import PLATFORM_ADAPTERS, ShipmentNotice, make_adapter
from .adapters.shopify import TRACKING_COMPANIES
from .models import Channel
from .shops import feed_settings

log = logging.getLogger(__name__)

SHIP_TOPIC = "channel.ship_confirmation"
#: Carrier codes as the names Taobao's bulk-ship template expects in 物流公司.
TAOBAO_COMPANY_NAMES = {"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "STO": "申通快递",
                        "YUNDA": "韵达快递", "EMS": "EMS", "JD": "京东物流", "BEST": "百世快递", "JT": "极兔速递"}
BULK_FORMATS = {
    "taobao": ("订单编号", "物流公司", "运单号"),
    "shopify": ("Name", "Tracking Number", "Tracking Company"),
}


def platform_order_number(order_id: int, fallback: str) -> str:
    """The platform's number of an order: a part split off ours carries its original's number."""
    order = db.session.get(Order, order_id)
    seen = 0
    while order is not None and order.split_from_id is not None and seen < 20:
        order, seen = db.session.get(Order, order.split_from_id), seen + 1
    return order.external_id if order is not None else fallback


def confirm_shipment_message(message: OutboxMessage) -> None:
    """The ``channel.ship_confirmation`` handler. Raises (so the outbox retries) when the platform
    refuses or cannot be reached."""
    data = message.data()
    channel = db.session.get(Channel, data.get("channel_id"))
    if channel is None or channel.adapter not in set(PLATFORM_ADAPTERS.values()):
        return  # no platform API: the bulk-ship file carries it
    notice = ShipmentNotice(order_number=platform_order_number(data["order_id"], data.get("order_number", "")),
                            carrier_code=data.get("carrier_code") or "",
                            tracking_number=data.get("tracking_number") or "")
    adapter = make_adapter(channel.adapter, feed_settings(channel))
    end_transaction()  # no transaction open while the platform is called
    outcome = adapter.confirm_shipment(notice)
    log.info("shipment of %s told to %s: %s", notice.order_number, channel.code, outcome)


def bulk_ship_format(channel: Channel) -> str:
    return "shopify" if channel.platform == "shopify" else "taobao"


def bulk_ship_rows(channel: Channel, since: datetime, until: datetime) -> tuple[tuple[str, ...], list[tuple]]:
    """The shop's shipments between ``since`` and ``until`` as (header, rows) of its bulk-ship file."""
    kind = bulk_ship_format(channel)
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.topic == SHIP_TOPIC, OutboxMessage.created_at >= since, OutboxMessage.created_at < until)
        .order_by(OutboxMessage.id))
    rows = []
    for message in messages:
        data = message.data()
        if data.get("channel_id") != channel.id:
            continue
        code = (data.get("carrier_code") or "").upper()
        company = TAOBAO_COMPANY_NAMES.get(code, code) if kind == "taobao" else TRACKING_COMPANIES.get(code, code)
        number = platform_order_number(data["order_id"], data.get("order_number", ""))
        for tracking in data.get("packages") or [data.get("tracking_number") or ""]:
            row = (number, tracking, company) if kind == "shopify" else (number, company, tracking)
            rows.append(row)
    return BULK_FORMATS[kind], rows
