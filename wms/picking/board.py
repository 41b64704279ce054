"""What the live wave board shows for one warehouse, read with one set of grouped queries (not per wave).

Per open wave (released or picking, or picked with orders still to pack or ship): lines and units
picked / sorted / packed / shipped, the pickers on it with their lines/hour, the projected finish
against the earliest cut-off of its orders' carriers (board_figures). Per warehouse: open exceptions
(short picks, interceptions, weight and other desk cases), held orders, the pack-out queue (orders
picked or sorted waiting for pack-out) and low-stock alerts.

Wrong scans are refused at the scanner and not recorded anywhere, so the board cannot count them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from erp_core.auth.models import User
from erp_core.extensions import db
from erp_core.inventory.alerts import low_stock
from erp_core.models_base import utcnow
from erp_core.orders.models import Order
from erp_core.settings import get_setting
from wms.shipping.models import Carrier, ShippingException

from . import board_figures as figures
from .models import PickList, PickTask, Wave, WaveOrder

PICKED = ("done", "short")
ON_THE_FLOOR = ("released", "picking")
AFTER_PICK = ("picked", "sorted", "packed")
SORTED_OR_LATER, PACKED_OR_LATER = ("sorted", "packed", "shipped"), ("packed", "shipped")
LIST_LIMIT = 15


@dataclass
class Stage:
    lines: int = 0
    units: int = 0


@dataclass(frozen=True)
class PickerRate:
    user_id: int
    name: str
    lines: int  # lines finished in the rate window
    rate: float  # lines per hour


@dataclass
class WaveFigures:
    wave: Wave
    lines: int = 0
    units: int = 0
    short_units: int = 0
    picked: Stage = field(default_factory=Stage)
    sorted: Stage = field(default_factory=Stage)
    packed: Stage = field(default_factory=Stage)
    shipped: Stage = field(default_factory=Stage)
    pickers: list[PickerRate] = field(default_factory=list)
    pace: figures.Pace | None = None


@dataclass
class Board:
    warehouse_id: int
    now: datetime
    waves: list[WaveFigures]
    exceptions: list[ShippingException]
    exception_count: int
    held: list[Order]
    held_count: int
    pack_queue: list  # rows (order id, external id, status, wave reference, wave kind)
    pack_queue_count: int
    low_stock: list


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai"))


def open_waves(warehouse_id: int) -> list[Wave]:
    waiting = exists().where(WaveOrder.wave_id == Wave.id, Order.id == WaveOrder.order_id,
                             Order.status.in_(AFTER_PICK))
    return list(db.session.scalars(select(Wave).where(
        Wave.warehouse_id == warehouse_id,
        or_(Wave.status.in_(ON_THE_FLOOR), and_(Wave.status == "picked", waiting))).order_by(Wave.id)))


def _progress(rows: dict[int, WaveFigures]) -> None:
    stmt = (select(PickList.wave_id, Order.status, PickTask.status, func.count(PickTask.id),
                   func.sum(PickTask.quantity), func.sum(PickTask.picked_quantity), func.sum(PickTask.short_quantity))
            .join(PickList, PickList.id == PickTask.pick_list_id).join(Order, Order.id == PickTask.order_id)
            .where(PickList.wave_id.in_(rows), PickTask.status != "cancelled")
            .group_by(PickList.wave_id, Order.status, PickTask.status))
    for wave_id, order_status, task_status, lines, units, picked, short in db.session.execute(stmt):
        row, done = rows[wave_id], task_status in PICKED
        row.lines, row.units, row.short_units = row.lines + lines, row.units + int(units), row.short_units + int(short)
        row.picked.units += int(picked)
        row.picked.lines += lines if done else 0
        for stage, statuses in ((row.sorted, SORTED_OR_LATER), (row.packed, PACKED_OR_LATER),
                                (row.shipped, ("shipped",))):
            if order_status in statuses:
                stage.lines, stage.units = stage.lines + lines, stage.units + int(picked)


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {uid: full or name for uid, name, full in db.session.execute(
        select(User.id, User.username, User.full_name).where(User.id.in_(user_ids)))}


def _pickers(rows: dict[int, WaveFigures], now: datetime) -> dict[int, int]:
    """Each wave's pickers (assigned to an open cart, or picking in the last hour) with their rates;
    returns the lines each wave finished in the window."""
    done: dict[int, dict[int, int]] = defaultdict(dict)
    for wave_id, user_id, lines in db.session.execute(
            select(PickList.wave_id, PickTask.done_by_id, func.count(PickTask.id))
            .join(PickList, PickList.id == PickTask.pick_list_id)
            .where(PickList.wave_id.in_(rows), PickTask.status.in_(PICKED), PickTask.done_by_id.is_not(None),
                   PickTask.done_at >= now - figures.RATE_WINDOW)
            .group_by(PickList.wave_id, PickTask.done_by_id)):
        done[wave_id][user_id] = lines
    for wave_id, user_id in db.session.execute(
            select(PickList.wave_id, PickList.picker_id).distinct()
            .where(PickList.wave_id.in_(rows), PickList.picker_id.is_not(None),
                   PickList.status.in_(("open", "in_progress", "paused")))):
        done[wave_id].setdefault(user_id, 0)
    names = _names({uid for by_user in done.values() for uid in by_user})
    for wave_id, by_user in done.items():
        window = figures.rate_window(now, rows[wave_id].wave.released_at)
        rows[wave_id].pickers = sorted(
            (PickerRate(uid, names.get(uid, str(uid)), n, figures.lines_per_hour(n, window))
             for uid, n in by_user.items()), key=lambda p: (-p.lines, p.name))
    return {wave_id: sum(by_user.values()) for wave_id, by_user in done.items()}


def _cutoffs(wave_ids, now: datetime) -> dict[int, datetime]:
    """The earliest cut-off (today, local time) of each wave's orders' carriers."""
    day = now.astimezone(_zone()).date()
    stmt = (select(WaveOrder.wave_id, func.min(Carrier.cutoff_time))
            .join(Order, Order.id == WaveOrder.order_id)
            .join(Carrier, Carrier.code == func.upper(Order.carrier))
            .where(WaveOrder.wave_id.in_(wave_ids), Carrier.cutoff_time.is_not(None))
            .group_by(WaveOrder.wave_id))
    return {wave_id: figures.cutoff_on(day, cutoff, _zone())
            for wave_id, cutoff in db.session.execute(stmt) if cutoff is not None}


def wave_figures(waves: list[Wave], now: datetime | None = None) -> list[WaveFigures]:
    """The board's figures of these waves (of one warehouse), in a fixed number of queries."""
    now = now or utcnow()
    rows = {w.id: WaveFigures(wave=w) for w in waves}
    if not rows:
        return []
    _progress(rows)
    in_window = _pickers(rows, now)
    cutoffs = _cutoffs(list(rows), now)
    for wave_id, row in rows.items():
        row.pace = figures.pace(now, lines_done_in_window=in_window.get(wave_id, 0),
                                window=figures.rate_window(now, row.wave.released_at),
                                remaining_lines=row.lines - row.picked.lines, cutoff=cutoffs.get(wave_id))
    return list(rows.values())


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def pack_queue_query(warehouse_id: int):
    return (select(Order.id, Order.external_id, Order.status, Wave.reference, Wave.kind)
            .join(WaveOrder, WaveOrder.order_id == Order.id).join(Wave, Wave.id == WaveOrder.wave_id)
            .where(Order.warehouse_id == warehouse_id, Order.status.in_(("picked", "sorted")))
            .order_by(Order.updated_at, Order.id))


def board(warehouse_id: int, now: datetime | None = None) -> Board:
    """Everything the board page of a warehouse shows."""
    now = now or utcnow()
    exceptions = (select(ShippingException).options(joinedload(ShippingException.order))
                  .where(ShippingException.warehouse_id == warehouse_id, ShippingException.status == "open")
                  .order_by(ShippingException.id.desc()))
    held = select(Order).where(Order.warehouse_id == warehouse_id, Order.status == "held").order_by(Order.id)
    queue = pack_queue_query(warehouse_id)
    return Board(
        warehouse_id=warehouse_id, now=now, waves=wave_figures(open_waves(warehouse_id), now),
        exceptions=list(db.session.scalars(exceptions.limit(LIST_LIMIT))), exception_count=_count(exceptions),
        held=list(db.session.scalars(held.limit(LIST_LIMIT))), held_count=_count(held),
        pack_queue=db.session.execute(queue.limit(LIST_LIMIT)).all(), pack_queue_count=_count(queue),
        low_stock=low_stock({warehouse_id}, limit=10))


# --- the shift, per picker -----------------------------------------------------------------------

@dataclass(frozen=True)
class PickerShift:
    user_id: int
    name: str
    lines: int
    units: int
    short_picks: int
    lines_last_hour: int
    rate: float  # lines per hour over the last hour (or since the shift started)


def shift_start(now: datetime) -> datetime:
    hours = get_setting("board.shift_hours", current_app.config.get("BOARD_SHIFT_HOURS", 8))
    return now - timedelta(hours=float(hours))


def pickers_of_shift(warehouse_id: int, now: datetime | None = None) -> list[PickerShift]:
    """Each picker's lines (finished), units picked, short picks and rate since the shift started."""
    now = now or utcnow()
    start = shift_start(now)
    window_start = max(start, now - figures.RATE_WINDOW)
    finished = PickTask.status.in_(PICKED)
    stmt = (select(PickTask.done_by_id, func.sum(case((finished, 1), else_=0)), func.sum(PickTask.picked_quantity),
                   func.sum(case((PickTask.short_quantity > 0, 1), else_=0)),
                   func.sum(case((and_(finished, PickTask.done_at >= window_start), 1), else_=0)))
            .join(PickList, PickList.id == PickTask.pick_list_id).join(Wave, Wave.id == PickList.wave_id)
            .where(Wave.warehouse_id == warehouse_id, PickTask.done_at >= start, PickTask.done_by_id.is_not(None),
                   PickTask.status != "cancelled")
            .group_by(PickTask.done_by_id))
    rows = db.session.execute(stmt).all()
    names = _names({r[0] for r in rows})
    window = figures.rate_window(now, start)
    return sorted((PickerShift(uid, names.get(uid, str(uid)), int(lines), int(units), int(shorts), int(recent),
                               figures.lines_per_hour(int(recent), window))
                   for uid, lines, units, shorts, recent in rows), key=lambda p: (-p.lines, p.name))
