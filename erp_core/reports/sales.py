"""Sales figures: counted orders (paid in the range, not cancelled, rejected or merged away) by day or
week, by shop, by SKU and by province of the ship address."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select

from ..catalog.models import Sku
from ..channels.models import Channel
from ..extensions import db
from ..orders.models import Order, OrderLine
from .domain import period_start, periods
from .filters import ReportFilter

NOT_COUNTED = ("cancelled", "rejected")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class SalesRow:
    key: str
    label: str
    orders: int
    units: int
    revenue: Decimal


def counted_orders(f: ReportFilter) -> Select:
    """The orders a sales figure counts, under the page's filters (a select of Order)."""
    start, end = f.utc_range()
    stmt = select(Order).where(Order.paid_at >= start, Order.paid_at < end, Order.status.not_in(NOT_COUNTED),
                               Order.merged_into_id.is_(None))
    if f.channel_id:
        stmt = stmt.where(Order.channel_id == f.channel_id)
    if f.warehouse_ids is not None:
        stmt = stmt.where(Order.warehouse_id.in_(f.warehouse_ids))
    return stmt


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(ZERO)


def _totals(units) -> tuple:
    """Orders, units and revenue (goods + shipping fee) of a group of counted orders."""
    return (func.sum(db.case((Order.split_from_id.is_(None), 1), else_=0)),
            func.sum(func.coalesce(units.c.units, 0)), func.sum(Order.goods_total + Order.shipping_fee))


def _units_by_order(f: ReportFilter):
    orders = counted_orders(f).with_only_columns(Order.id).subquery()
    return (select(OrderLine.order_id, func.sum(OrderLine.quantity).label("units"))
            .where(OrderLine.order_id.in_(select(orders.c.id)), OrderLine.parent_line_id.is_(None),
                   OrderLine.cancelled.is_(False))
            .group_by(OrderLine.order_id).subquery())


def by_period(f: ReportFilter, grain: str) -> list[SalesRow]:
    """One row per day (or week, from Monday) of the range, empty periods included."""
    units = _units_by_order(f)
    stmt = (counted_orders(f).outerjoin(units, units.c.order_id == Order.id)
            .with_only_columns(Order.paid_at, Order.split_from_id, Order.goods_total, Order.shipping_fee,
                               units.c.units))
    buckets: dict = defaultdict(lambda: [0, 0, Decimal("0")])
    for paid_at, split_from, goods, shipping, qty in db.session.execute(stmt):
        bucket = buckets[period_start(f.local_day(paid_at), grain)]
        bucket[0] += 0 if split_from else 1
        bucket[1] += int(qty or 0)
        bucket[2] += (goods or 0) + (shipping or 0)
    return [SalesRow(p.isoformat(), p.isoformat(), buckets[p][0], buckets[p][1], _money(buckets[p][2]))
            for p in periods(f.date_from, f.date_to, grain)]


def by_shop(f: ReportFilter) -> list[SalesRow]:
    units = _units_by_order(f)
    stmt = (counted_orders(f).join(Channel, Channel.id == Order.channel_id)
            .outerjoin(units, units.c.order_id == Order.id)
            .with_only_columns(Channel.code, Channel.name, *_totals(units))
            .group_by(Channel.id, Channel.code, Channel.name))
    return sorted(_rows(stmt), key=lambda r: (-r.revenue, r.key))


def _rows(stmt) -> list[SalesRow]:
    return [SalesRow(code or "", name or "", int(n or 0), int(u or 0), _money(r))
            for code, name, n, u, r in db.session.execute(stmt)]


def by_region(f: ReportFilter) -> list[SalesRow]:
    units = _units_by_order(f)
    stmt = (counted_orders(f).outerjoin(units, units.c.order_id == Order.id)
            .with_only_columns(Order.ship_province, Order.ship_province, *_totals(units))
            .group_by(Order.ship_province))
    return sorted(_rows(stmt), key=lambda r: (-r.revenue, r.key))


def by_sku(f: ReportFilter, top: int = 20) -> list[SalesRow]:
    """The top SKUs by line revenue (unit price x quantity of the order lines, kits as sold)."""
    orders = counted_orders(f).with_only_columns(Order.id).subquery()
    revenue = func.sum(OrderLine.unit_price * OrderLine.quantity)
    stmt = (select(Sku.code, Sku.name, func.count(func.distinct(OrderLine.order_id)), func.sum(OrderLine.quantity),
                   revenue)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id.in_(select(orders.c.id)), OrderLine.parent_line_id.is_(None),
                   OrderLine.cancelled.is_(False))
            .group_by(Sku.id, Sku.code, Sku.name).order_by(revenue.desc(), Sku.code).limit(top))
    return _rows(stmt)


def sku_revenue(f: ReportFilter) -> dict[int, Decimal]:
    """Line revenue per SKU id in the range (for the ABC classes)."""
    orders = counted_orders(f).with_only_columns(Order.id).subquery()
    stmt = (select(OrderLine.sku_id, func.sum(OrderLine.unit_price * OrderLine.quantity))
            .where(OrderLine.order_id.in_(select(orders.c.id)), OrderLine.parent_line_id.is_(None),
                   OrderLine.cancelled.is_(False))
            .group_by(OrderLine.sku_id))
    return {sku_id: _money(r) for sku_id, r in db.session.execute(stmt)}
