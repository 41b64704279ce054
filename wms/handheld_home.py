"""What the handheld's home screen shows a user: the work waiting for them by type, and their own
shift today (lines, units, refused scans, lines per hour). Read-only queries over the task tables.

"Waiting" is what each task screen would offer next: pick lists open or paused in a released wave
(plus the user's own cart in progress), open or started putaway and replenishment tasks, open counts,
finished batch carts whose units are still on the cart (the put wall's work), and orders whose units
wait at the user's pack station (or, with no station chosen, orders picked or sorted and not packed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, session
from sqlalchemy import String, cast, func, literal, or_, select

from erp_core.api.models import IdempotencyRecord
from erp_core.extensions import db
from erp_core.inventory.models import Location, StockReservation
from erp_core.models_base import utcnow
from erp_core.orders.models import Order, OrderLine

from .locations.models import CountTask, PutawayTask, ReplenishmentTask
from .picking.models import PickList, PickTask, Wave

OPEN = ("open", "in_progress")
# Lines per hour over at least this long: the first scan of the shift is not "3,600 lines an hour".
MIN_SHIFT = timedelta(minutes=15)


def _in_warehouses(stmt, column, warehouse_ids: set[int] | None):
    return stmt if warehouse_ids is None else stmt.where(column.in_(warehouse_ids))


def _count(stmt) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def waiting_work(user_id: int, warehouse_ids: set[int] | None) -> dict[str, int]:
    """{task screen endpoint: how many of its tasks wait} for the menu's badges."""
    pick_lists = _in_warehouses(
        select(PickList.id).join(Wave).where(
            Wave.status.in_(("released", "picking")),
            or_(PickList.status.in_(("open", "paused")),
                (PickList.status == "in_progress") & (PickList.picker_id == user_id))),
        Wave.warehouse_id, warehouse_ids)
    cart_code = literal("CART-").concat(cast(PickList.id, String))  # put_wall's cart location
    carts = _in_warehouses(
        select(PickList.id).join(Wave).join(Location, Location.code == cart_code)
        .join(StockReservation, StockReservation.location_id == Location.id)
        .where(Wave.kind == "batch_sort", PickList.status == "done", Location.warehouse_id == Wave.warehouse_id,
               StockReservation.quantity > 0).distinct(),
        Wave.warehouse_id, warehouse_ids)
    counts = {
        "picking.pick": _count(pick_lists),
        "picking.sort": _count(carts),
        "inbound.putaway_list": _count(_in_warehouses(select(PutawayTask.id).where(PutawayTask.status.in_(OPEN)),
                                                      PutawayTask.warehouse_id, warehouse_ids)),
        "floor_tasks.replenish_list": _count(_in_warehouses(
            select(ReplenishmentTask.id).where(ReplenishmentTask.status.in_(OPEN)),
            ReplenishmentTask.warehouse_id, warehouse_ids)),
        "floor_tasks.count_list": _count(_in_warehouses(select(CountTask.id).where(CountTask.status == "open"),
                                                        CountTask.warehouse_id, warehouse_ids)),
        "pack.station": _to_pack(warehouse_ids),
    }
    return counts


def _to_pack(warehouse_ids: set[int] | None) -> int:
    station = db.session.get(Location, session.get("pack_station") or 0)
    if station is not None and station.bin_type == "packing" and (warehouse_ids is None
                                                                  or station.warehouse_id in warehouse_ids):
        return _count(select(OrderLine.order_id).join(StockReservation, StockReservation.order_line_id == OrderLine.id)
                      .where(StockReservation.location_id == station.id, StockReservation.quantity > 0).distinct())
    return _count(_in_warehouses(select(Order.id).where(Order.status.in_(("picked", "sorted"))),
                                 Order.warehouse_id, warehouse_ids))


@dataclass(frozen=True)
class ShiftStats:
    lines: int
    units: int
    errors: int
    lines_per_hour: float | None  # None before the first line of the day


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight of today in the warehouses' time zone (WMS_DISPLAY_TIMEZONE), in UTC."""
    zone = ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"])
    local = (now or utcnow()).astimezone(zone)
    return datetime.combine(local.date(), time(0), zone).astimezone(UTC)


def shift_stats(user_id: int, now: datetime | None = None) -> ShiftStats:
    """The user's work since midnight: pick lines (done or short), putaway and replenishment tasks and
    counted lines; units moved by those picks, putaways and replenishments; refused scans; lines per
    hour since the first line of the day (over at least MIN_SHIFT).

    Refused scans are counted from the idempotency records: every handheld scan carries a scan id, and
    a refusal is stored with its `scan-error` trigger (records live IDEMPOTENCY_TTL_HOURS, 24 h)."""
    now = now or utcnow()
    since = start_of_today(now)
    done: list[tuple[int, int, datetime | None]] = []  # (lines, units, first time) per kind of work
    for model, who, when, units in (
            (PickTask, PickTask.done_by_id, PickTask.done_at, PickTask.picked_quantity),
            (PutawayTask, PutawayTask.user_id, PutawayTask.done_at, PutawayTask.quantity),
            (ReplenishmentTask, ReplenishmentTask.user_id, ReplenishmentTask.done_at, ReplenishmentTask.quantity)):
        row = db.session.execute(select(func.count(), func.coalesce(func.sum(units), 0), func.min(when))
                                 .where(who == user_id, when >= since, model.status.in_(("done", "short")))).one()
        done.append((int(row[0]), int(row[1]), row[2]))
    from .locations.models import CountLine

    counted = db.session.execute(select(func.count(), func.min(CountLine.counted_at)).where(
        CountLine.counted_by_id == user_id, CountLine.counted_at >= since)).one()
    done.append((int(counted[0]), 0, counted[1]))
    errors = db.session.scalar(select(func.count()).select_from(IdempotencyRecord).where(
        IdempotencyRecord.principal == f"user:{user_id}", IdempotencyRecord.created_at >= since,
        IdempotencyRecord.headers.like("%scan-error%")))
    lines = sum(d[0] for d in done)
    firsts = [_aware(d[2]) for d in done if d[2] is not None]
    rate = None
    if lines and firsts:
        hours = max(now - min(firsts), MIN_SHIFT).total_seconds() / 3600
        rate = round(lines / hours, 1)
    return ShiftStats(lines=lines, units=sum(d[1] for d in done), errors=int(errors or 0), lines_per_hour=rate)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
