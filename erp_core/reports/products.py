"""Product figures per SKU over the filtered warehouses: ABC class by revenue, turnover, days of cover,
stock aging by receipt date (FIFO) and stockout risk against the preferred supplier's lead time.

Stock flows are read from the ledger: a move from a virtual location (supplier, customer, inventory
loss, transit) into a warehouse's internal location brings units in; the opposite takes them out;
a move to the customer location is a unit shipped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..catalog.models import Sku
from ..extensions import db
from ..inventory.models import Location, StockMove
from ..inventory.reservations import stock_levels
from ..purchasing.models import Supplier, SupplierSku
from . import domain
from .filters import ReportFilter
from .sales import sku_revenue

_src, _dst = aliased(Location), aliased(Location)


@dataclass(frozen=True)
class ProductRow:
    sku_id: int
    code: str
    name: str
    abc: str
    revenue: Decimal
    units_shipped: int
    on_hand: int
    available: int
    turnover: Decimal | None
    cover_days: Decimal | None
    lead_time_days: int | None
    at_risk: bool
    aging: dict[str, int]


def _moves(f: ReportFilter):
    return (select(StockMove).join(_src, _src.id == StockMove.from_location_id)
            .join(_dst, _dst.id == StockMove.to_location_id))


def _inbound(stmt, f: ReportFilter):
    stmt = stmt.where(_src.usage != "internal", _dst.usage == "internal")
    return stmt.where(_dst.warehouse_id.in_(f.warehouse_ids)) if f.warehouse_ids is not None else stmt


def _outbound(stmt, f: ReportFilter):
    stmt = stmt.where(_src.usage == "internal", _dst.usage != "internal")
    return stmt.where(_src.warehouse_id.in_(f.warehouse_ids)) if f.warehouse_ids is not None else stmt


def _sum_by_sku(stmt) -> dict[int, int]:
    stmt = stmt.with_only_columns(StockMove.sku_id, func.sum(StockMove.quantity)).group_by(StockMove.sku_id)
    return {sku_id: int(q or 0) for sku_id, q in db.session.execute(stmt)}


def net_flow_since(moment: datetime, f: ReportFilter) -> dict[int, int]:
    """Units in minus units out of the warehouses since `moment`, per SKU."""
    since = _moves(f).where(StockMove.created_at >= moment)
    inflow, outflow = _sum_by_sku(_inbound(since, f)), _sum_by_sku(_outbound(since, f))
    return {s: inflow.get(s, 0) - outflow.get(s, 0) for s in inflow.keys() | outflow.keys()}


def units_shipped(f: ReportFilter) -> dict[int, int]:
    start, end = f.utc_range()
    stmt = _outbound(_moves(f), f).where(_dst.usage == "customer", StockMove.created_at >= start,
                                         StockMove.created_at < end)
    return _sum_by_sku(stmt)


def receipts(f: ReportFilter, sku_ids: set[int]) -> dict[int, list]:
    """Every inbound move of these SKUs as (local day, units), for the aging buckets."""
    stmt = (_inbound(_moves(f), f).where(StockMove.sku_id.in_(sku_ids))
            .with_only_columns(StockMove.sku_id, StockMove.created_at, StockMove.quantity))
    out: dict[int, list] = defaultdict(list)
    for sku_id, at, qty in db.session.execute(stmt):
        out[sku_id].append((f.local_day(at), int(qty)))
    return out


def preferred_lead_times(sku_ids: set[int]) -> dict[int, int]:
    stmt = (select(SupplierSku.sku_id, func.min(Supplier.lead_time_days))
            .join(Supplier, Supplier.id == SupplierSku.supplier_id)
            .where(SupplierSku.preferred.is_(True), Supplier.active.is_(True), SupplierSku.sku_id.in_(sku_ids))
            .group_by(SupplierSku.sku_id))
    return dict(db.session.execute(stmt).all())


def product_rows(f: ReportFilter, today) -> list[ProductRow]:
    """One row per SKU with stock or sales, A first and by revenue."""
    levels: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for level in stock_levels(warehouse_ids=f.warehouse_ids):
        levels[level.sku_id][0] += level.on_hand
        levels[level.sku_id][1] += level.available
    revenue, shipped = sku_revenue(f), units_shipped(f)
    sku_ids = {s for s, (q, _a) in levels.items() if q} | set(revenue) | set(shipped)
    if not sku_ids:
        return []
    start, end = f.utc_range()
    since_start, since_end = net_flow_since(start, f), net_flow_since(end, f)
    classes = domain.abc_classes({s: revenue.get(s, Decimal("0")) for s in sku_ids})
    aging_in = receipts(f, sku_ids)
    lead = preferred_lead_times(sku_ids)
    skus = {s.id: s for s in db.session.scalars(select(Sku).where(Sku.id.in_(sku_ids)))}
    rows = []
    for sku_id in sku_ids:
        on_hand, available = levels[sku_id]
        units = shipped.get(sku_id, 0)
        cover = domain.days_of_cover(available, units, f.days)
        rows.append(ProductRow(
            sku_id, skus[sku_id].code, skus[sku_id].name, classes[sku_id], revenue.get(sku_id, Decimal("0.00")),
            units, on_hand, available,
            domain.turnover(units, on_hand - since_start.get(sku_id, 0), on_hand - since_end.get(sku_id, 0)),
            cover, lead.get(sku_id), domain.stockout_risk(cover, lead.get(sku_id)),
            domain.stock_aging(aging_in.get(sku_id, []), on_hand, today)))
    return sorted(rows, key=lambda r: (r.abc, -r.revenue, r.code))


def aging_totals(rows: list[ProductRow]) -> dict[str, int]:
    totals = dict.fromkeys(domain.AGING_BUCKETS, 0)
    for row in rows:
        for bucket, units in row.aging.items():
            totals[bucket] += units
    return totals
