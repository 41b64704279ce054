"""Moving-average cost per SKU and warehouse, its history, and inventory valuation from the ledger.

The weight of the stock already there is read from the stock ledger (the moves into and out of the
warehouse's valued locations before the arrival), so the average never drifts from what is on hand.
Valued locations: the warehouse's internal locations except its returns bins (returned units waiting
for inspection are not stock again until they are put back; see postings.return_to_stock).
Stock the finance never heard arrive (opening stock) is costed at the SKU's standard cost.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import case, func, or_, select

from ..catalog.models import Sku
from ..db import atomic
from ..extensions import db
from ..inventory.models import Location, StockMove, Warehouse
from ..models_base import utcnow
from . import domain
from .models import CostHistory, SkuCost


def _zone() -> ZoneInfo:
    name = current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def local_day(moment: datetime) -> date:
    """The business day (WMS_DISPLAY_TIMEZONE) of a UTC moment: the date an entry is booked on."""
    return moment.astimezone(_zone()).date()


def end_of_day(day: date) -> datetime:
    """The first moment after the business day `day`, in UTC (valuations "at a date" stop there)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_zone()).astimezone(ZoneInfo("UTC"))


def valued_locations(warehouse_id: int | None = None):
    """SELECT of the ids of valued locations (internal, of a warehouse, not a returns bin)."""
    query = select(Location.id).where(Location.usage == "internal", Location.warehouse_id.is_not(None),
                                      or_(Location.bin_type.is_(None), Location.bin_type != "returns"))
    return query if warehouse_id is None else query.where(Location.warehouse_id == warehouse_id)


def ledger_quantity(sku_id: int, warehouse_id: int, *, before_move_id: int | None = None,
                    before: datetime | None = None) -> int:
    """Units of the SKU in the warehouse's valued locations by the ledger: moves in minus moves out,
    up to a move (exclusive) or a moment (exclusive), or all of them."""
    valued = valued_locations(warehouse_id)
    inside = StockMove.to_location_id.in_(valued)
    outside = StockMove.from_location_id.in_(valued)
    signed = func.sum(case((inside, StockMove.quantity), else_=0) - case((outside, StockMove.quantity), else_=0))
    query = select(func.coalesce(signed, 0)).where(StockMove.sku_id == sku_id, or_(inside, outside))
    if before_move_id is not None:
        query = query.where(StockMove.id < before_move_id)
    if before is not None:
        query = query.where(StockMove.created_at < before)
    return int(db.session.scalar(query) or 0)


def standard_cost(sku_id: int) -> Decimal:
    return domain.unit_cost(db.session.scalar(select(Sku.cost).filter_by(id=sku_id)) or 0)


def current_cost(sku_id: int, warehouse_id: int) -> Decimal:
    found = db.session.scalar(select(SkuCost.average_cost).filter_by(sku_id=sku_id, warehouse_id=warehouse_id))
    return domain.unit_cost(found) if found is not None else standard_cost(sku_id)


def cost_at(sku_id: int, warehouse_id: int, moment: datetime) -> Decimal:
    """The average unit cost in effect at `moment` (the SKU's standard cost before any history)."""
    found = db.session.scalar(select(CostHistory.average_cost).where(
        CostHistory.sku_id == sku_id, CostHistory.warehouse_id == warehouse_id, CostHistory.effective_at <= moment)
        .order_by(CostHistory.effective_at.desc(), CostHistory.id.desc()).limit(1))
    return domain.unit_cost(found) if found is not None else standard_cost(sku_id)


def arrive(sku_id: int, warehouse_id: int, quantity: int, cost_in: Decimal, *, at: datetime, quantity_before: int,
           source: str, source_key: str) -> CostHistory:
    """Units arrive at `cost_in` each: the new moving average, in the SKU's cost row and its history.

    Locks: the SKU's cost row (FOR UPDATE), so two arrivals of one SKU apply one after the other.
    Idempotent: a source key already costed returns its history row unchanged.
    """
    with atomic():
        done = db.session.scalar(select(CostHistory).filter_by(source_key=source_key))
        if done is not None:
            return done
        row = db.session.scalar(select(SkuCost).filter_by(sku_id=sku_id, warehouse_id=warehouse_id).with_for_update()
                                .execution_options(populate_existing=True))
        before = domain.unit_cost(row.average_cost) if row is not None else standard_cost(sku_id)
        average = domain.moving_average(quantity_before, before, quantity, Decimal(cost_in))
        if row is None:
            db.session.add(SkuCost(sku_id=sku_id, warehouse_id=warehouse_id, average_cost=average))
        else:
            row.average_cost, row.updated_at = average, utcnow()
        history = CostHistory(sku_id=sku_id, warehouse_id=warehouse_id, effective_at=at, average_cost=average,
                              quantity_after=max(quantity_before, 0) + quantity, quantity_in=quantity,
                              cost_in=domain.unit_cost(cost_in), source=source, source_key=source_key[:120])
        db.session.add(history)
        db.session.flush()
    return history


def valuation(day: date, warehouse_id: int | None = None) -> list[dict]:
    """Inventory at the end of `day`: per SKU and warehouse, the ledger's quantity then x the average
    cost in effect then. Rows sorted by warehouse and SKU code; zero quantities left out."""
    moment = end_of_day(day)
    loc = select(Location.id.label("id"), Location.warehouse_id.label("wh")).where(
        Location.id.in_(valued_locations(warehouse_id))).subquery()
    flows = (select(StockMove.sku_id.label("sku"), loc.c.wh.label("wh"), StockMove.quantity.label("qty"))
             .join(loc, loc.c.id == StockMove.to_location_id).where(StockMove.created_at < moment)
             .union_all(select(StockMove.sku_id, loc.c.wh, -StockMove.quantity)
                        .join(loc, loc.c.id == StockMove.from_location_id).where(StockMove.created_at < moment))
             ).subquery()
    quantities = db.session.execute(select(flows.c.sku, flows.c.wh, func.sum(flows.c.qty))
                                    .group_by(flows.c.sku, flows.c.wh)).all()
    skus = {s.id: s for s in db.session.scalars(select(Sku).where(Sku.id.in_({q[0] for q in quantities})))}
    warehouses = {w.id: w.code for w in db.session.scalars(select(Warehouse))}
    rows = []
    for sku_id, wh_id, qty in quantities:
        if not qty:
            continue
        cost = cost_at(sku_id, wh_id, moment)
        rows.append({"warehouse_id": wh_id, "warehouse": warehouses.get(wh_id, "?"), "sku_id": sku_id,
                     "sku": skus[sku_id].code, "name": skus[sku_id].name, "quantity": int(qty), "unit_cost": cost,
                     "value": domain.money(cost * int(qty))})
    return sorted(rows, key=lambda r: (r["warehouse"], r["sku"]))
