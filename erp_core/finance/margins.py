"""Margins per order, SKU, channel or day from what finance recorded at shipment: each shipped line's
revenue and COGS, and its share (by revenue) of the shipment's discount, shipping charged, shipping
cost and of the order's platform fees. Amounts in the order's currency for revenue and charges and
in base currency for COGS; a report mixes them only when every order is in the base currency (the
page says so)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..catalog.models import Sku
from ..channels.models import Channel
from ..extensions import db
from ..orders.models import Order
from . import domain
from .costing import end_of_day, local_day
from .models import CostOfSale, PlatformFee, ShipmentCharge

GROUPS = ("order", "sku", "channel", "day")


def margins(group: str, date_from: date, date_to: date, *, channel_id: int | None = None) -> list[domain.Margin]:
    """Margin rows of the lines shipped in [date_from, date_to] (business days), grouped by `group`."""
    start, stop = end_of_day(date_from - timedelta(days=1)), end_of_day(date_to)
    query = select(CostOfSale).where(CostOfSale.shipped_at >= start, CostOfSale.shipped_at < stop)
    if channel_id:
        query = query.where(CostOfSale.channel_id == channel_id)
    lines = list(db.session.scalars(query.order_by(CostOfSale.id)))
    charges = {c.message_key: c for c in db.session.scalars(select(ShipmentCharge).where(
        ShipmentCharge.message_key.in_({x.message_key for x in lines})))}
    order_ids = {x.order_id for x in lines}
    fees = dict(db.session.execute(select(PlatformFee.order_id, func.sum(PlatformFee.amount))
                                   .where(PlatformFee.order_id.in_(order_ids)).group_by(PlatformFee.order_id)).all())
    order_goods: dict[int, Decimal] = {}
    shipment_goods: dict[str, Decimal] = {}
    for x in lines:
        order_goods[x.order_id] = order_goods.get(x.order_id, Decimal("0")) + x.unit_price * x.quantity
        shipment_goods[x.message_key] = shipment_goods.get(x.message_key, Decimal("0")) + x.unit_price * x.quantity
    names = _names(group, lines)
    rows: dict[str, domain.Margin] = {}
    for x in lines:
        revenue = domain.money(x.unit_price * x.quantity)
        charge = charges.get(x.message_key)
        whole = shipment_goods[x.message_key]
        part = domain.Margin(key="", revenue=revenue, cogs=domain.money(x.total), units=x.quantity,
                             fees=domain.share(Decimal(fees.get(x.order_id) or 0), revenue, order_goods[x.order_id]))
        if charge is not None:
            part.discount = domain.share(charge.discount, revenue, whole)
            part.shipping_charged = domain.share(charge.shipping_charged, revenue, whole)
            part.shipping_cost = domain.share(charge.shipping_cost, revenue, whole)
        key = names(x)
        rows.setdefault(key, domain.Margin(key=key)).add(part)
    return sorted(rows.values(), key=lambda m: m.key)


def _names(group: str, lines: list[CostOfSale]):
    if group == "order":
        numbers = dict(db.session.execute(select(Order.id, Order.external_id).where(
            Order.id.in_({x.order_id for x in lines}))).all())
        return lambda x: numbers.get(x.order_id, str(x.order_id))
    if group == "sku":
        codes = dict(db.session.execute(select(Sku.id, Sku.code).where(Sku.id.in_({x.sku_id for x in lines}))).all())
        return lambda x: codes.get(x.sku_id, str(x.sku_id))
    if group == "channel":
        codes = dict(db.session.execute(select(Channel.id, Channel.code)).all())
        return lambda x: codes.get(x.channel_id, "–")
    return lambda x: local_day(x.shipped_at).isoformat()


def margin_total(rows: list[domain.Margin]) -> domain.Margin:
    total = domain.Margin(key="total")
    for row in rows:
        total.add(row)
    return total


def today_margin(now: datetime | None = None) -> domain.Margin:
    """Today's margin (the finance home panel)."""
    day = local_day(now) if now else local_day(datetime.now().astimezone())
    return margin_total(margins("day", day, day))
