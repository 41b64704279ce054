"""Live wave board events (Socket.IO). Called after commit only; each emits to the warehouse room.

Server -> browsers in `warehouse:<id>:<locale>`: `wave_progress` {wave, reference, status, picked, total,
lines, lines_picked, late, target, html} (a board row) after a wave is released, picked, sorted, packed,
shipped or one of its orders meets an exception; `board_panels` {target, html} (the exceptions /
pack-out / low-stock panels). Server -> `warehouse:<id>:pickers:<locale>`: `board_pickers` {target, html}
(the per-picker table). Server -> `wave:<id>:<locale>`: `wave_live` {wave, status, target, html} (the
wave page's live part). board_render.py renders them, only for rooms somebody listens in.

Bursts are coalesced: a change marks its wave, and the wave's progress is read, rendered (once per
language) and sent at most once per BOARD_COALESCE_SECONDS, by a background task, never inside the
scan's request. Twenty pickers scanning one wave cost the board a few updates a second, not one
render per scan; the last state always arrives, since a mark made while a send runs is sent next.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from sqlalchemy import func, select

from erp_core.db import end_transaction
from erp_core.extensions import db
from erp_core.orders.models import Order

from .models import PickList, PickTask, Wave, WaveOrder

log = logging.getLogger(__name__)


def wave_progress(wave: Wave) -> dict:
    picked, total = db.session.execute(
        select(func.coalesce(func.sum(PickTask.picked_quantity + PickTask.short_quantity), 0),
               func.coalesce(func.sum(PickTask.quantity), 0))
        .join(PickList).where(PickList.wave_id == wave.id)).one()
    lists = {status: n for status, n in db.session.execute(
        select(PickList.status, func.count()).where(PickList.wave_id == wave.id).group_by(PickList.status))}
    return {"wave": wave.id, "reference": wave.reference, "status": wave.status, "picked": int(picked),
            "total": int(total), "lists": lists}


def _emit(wave_ids: list[int], warehouse_ids: set[int]) -> None:
    """Send the board of each warehouse touched: each marked wave's row (and its wave page), the
    exceptions / pack-out / low-stock panels and the per-picker table, read once per warehouse."""
    from .board_render import emit_board

    waves = [w for w in (db.session.get(Wave, i) for i in wave_ids) if w is not None]
    for warehouse_id in sorted(warehouse_ids | {w.warehouse_id for w in waves}):
        emit_board(warehouse_id, [w for w in waves if w.warehouse_id == warehouse_id])


class _Pending:
    """The waves (and warehouses) of one app whose board changed and is not sent yet."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waves: set[int] = set()
        self.warehouses: set[int] = set()
        self.scheduled = False


def _pending(app: Flask) -> _Pending:
    return app.extensions.setdefault("wave_board_pending", _Pending())


def wave_changed(wave_id: int) -> None:
    """A wave's progress changed (after commit): send it now, or within the coalescing window."""
    _mark(waves={wave_id})


def warehouse_changed(warehouse_id: int) -> None:
    """Something on a warehouse's board outside any wave changed (an exception, a hold): resend its panels."""
    _mark(warehouses={warehouse_id})


def order_changed(order_id: int) -> None:
    """An order was packed, shipped or sent to the exceptions desk (after commit): mark its wave, or
    its warehouse when it is in none."""
    wave_id = db.session.scalar(select(WaveOrder.wave_id).where(WaveOrder.order_id == order_id))
    if wave_id is not None:
        wave_changed(wave_id)
        return
    warehouse_id = db.session.scalar(select(Order.warehouse_id).where(Order.id == order_id))
    if warehouse_id is not None:
        warehouse_changed(warehouse_id)


def _mark(waves: set[int] = frozenset(), warehouses: set[int] = frozenset()) -> None:
    app = current_app._get_current_object()
    interval = float(app.config.get("BOARD_COALESCE_SECONDS", 0))
    if interval <= 0:
        _emit(sorted(waves), set(warehouses))
        return
    pending = _pending(app)
    with pending.lock:
        pending.waves |= waves
        pending.warehouses |= warehouses
        start, pending.scheduled = not pending.scheduled, True
    if start:
        from wms.realtime import socketio

        socketio.start_background_task(_send_later, app, interval)


def _send_later(app: Flask, interval: float) -> None:
    from wms.realtime import socketio

    socketio.sleep(interval)
    with app.app_context():
        try:
            send_pending_progress()
        except Exception:  # a failed board update must not kill the sender; the next change resends
            log.exception("wave board update failed")


def send_pending_progress() -> int:
    """Send the progress of every marked wave now (the background task's work; tests call it to
    flush the window). Returns how many waves were sent."""
    pending = _pending(current_app._get_current_object())
    with pending.lock:
        wave_ids, pending.waves, pending.scheduled = sorted(pending.waves), set(), False
        warehouse_ids, pending.warehouses = pending.warehouses, set()
    if wave_ids or warehouse_ids:
        _emit(wave_ids, warehouse_ids)
    end_transaction()  # the read transaction of the sender's own session
    return len(wave_ids)


def waves_released(warehouse_id: int, wave_ids: list[int]) -> None:  # noqa: ARG001
    for wave_id in wave_ids:
        wave_changed(wave_id)


def list_changed(list_id: int) -> None:
    pick_list = db.session.get(PickList, list_id)
    if pick_list is not None:
        wave_changed(pick_list.wave_id)
