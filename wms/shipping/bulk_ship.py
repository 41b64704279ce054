"""Bulk-ship export (批量发货): the shipped parcels as the CSV a platform's bulk-ship upload takes,
for shops whose channel is not told through an adapter.

Two formats: ``taobao`` (淘宝/天猫 批量发货: 订单号, 快递公司, 运单号 — the order number is the
platform's trade id ``tid``, the carrier is the platform's company code such as ZTO, SF, YTO, which
our Carrier.code already uses, and the number is the ``out_sid``; only Taobao and Tmall orders) and
``generic`` (order_number, carrier_code, tracking_number; every channel). UTF-8 with a BOM, so Excel
shows the Chinese headers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from erp_core.channels.models import Channel
from erp_core.exports import csv_bytes
from erp_core.extensions import db
from erp_core.orders.models import Order

from .models import Carrier, Shipment

FORMATS = {
    "taobao": ("订单号", "快递公司", "运单号"),
    "generic": ("order_number", "carrier_code", "tracking_number"),
}
TAOBAO_PLATFORMS = ("taobao", "tmall")


def shipped_rows(*, fmt: str, warehouse_ids: set[int] | None, manifest_id: int | None = None,
                 date_from: date | None = None, date_to: date | None = None,
                 timezone: str = "Asia/Shanghai") -> list[tuple[str, str, str]]:
    """(order number, carrier code, tracking number) of the shipments shipped on the handover or
    between the two local dates (both included), oldest first."""
    stmt = (select(Order.external_id, Carrier.code, Shipment.tracking_number)
            .join(Order, Order.id == Shipment.order_id).join(Carrier, Carrier.id == Shipment.carrier_id)
            .where(Shipment.status == "shipped").order_by(Shipment.shipped_at, Shipment.id))
    if warehouse_ids is not None:
        stmt = stmt.where(Shipment.warehouse_id.in_(warehouse_ids))
    if manifest_id is not None:
        stmt = stmt.where(Shipment.manifest_id == manifest_id)
    zone = ZoneInfo(timezone)
    if date_from is not None:
        stmt = stmt.where(Shipment.shipped_at >= datetime.combine(date_from, time.min, zone))
    if date_to is not None:
        stmt = stmt.where(Shipment.shipped_at < datetime.combine(date_to + timedelta(days=1), time.min, zone))
    if fmt == "taobao":
        stmt = stmt.join(Channel, Channel.id == Order.channel_id).where(Channel.platform.in_(TAOBAO_PLATFORMS))
    return [tuple(row) for row in db.session.execute(stmt).all()]


def bulk_ship_csv(rows: list[tuple[str, str, str]], fmt: str) -> bytes:
    """The upload file: the format's header row, then one row per parcel."""
    return csv_bytes(FORMATS[fmt], rows)
