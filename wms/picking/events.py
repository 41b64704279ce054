"""Live wave board events (Socket.IO). Called after commit only; each emits to the warehouse room.

Server -> browsers in `warehouse:<id>`: `wave_progress` {wave, reference, picked, total, lists, status}
after a wave is released or a pick is confirmed; the board page swaps in the rendered fragment.

Bursts are coalesced: a change marks its wave, and the wave's progress is read, rendered (once per
language) and sent at most once per BOARD_COALESCE_SECONDS, by a background task, never inside the
scan's request. Twenty pickers scanning one wave cost the board a few updates a second, not one
render per scan; the last state always arrives, since a mark made while a send runs is sent next.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, render_template
from sqlalchemy import func, select

from erp_core.db import end_transaction
from erp_core.extensions import db

from .models import PickList, PickTask, Wave

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


def _emit(wave: Wave) -> None:
    from wms.realtime import broadcast_rendered

    progress = wave_progress(wave)
    broadcast_rendered("wave_progress", progress, f"wave-{wave.id}", wave.warehouse_id,
                       lambda: render_template("picking/_wave_row.html", wave=wave, progress=progress))


class _Pending:
    """The waves of one app whose progress changed and is not sent yet."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waves: set[int] = set()
        self.scheduled = False


def _pending(app: Flask) -> _Pending:
    return app.extensions.setdefault("wave_board_pending", _Pending())


def wave_changed(wave_id: int) -> None:
    """A wave's progress changed (after commit): send it now, or within the coalescing window."""
    app = current_app._get_current_object()
    interval = float(app.config.get("BOARD_COALESCE_SECONDS", 0))
    if interval <= 0:
        wave = db.session.get(Wave, wave_id)
        if wave is not None:
            _emit(wave)
        return
    pending = _pending(app)
    with pending.lock:
        pending.waves.add(wave_id)
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
    for wave_id in wave_ids:
        wave = db.session.get(Wave, wave_id)
        if wave is not None:
            _emit(wave)
    end_transaction()  # the read transaction of the sender's own session
    return len(wave_ids)


def waves_released(warehouse_id: int, wave_ids: list[int]) -> None:  # noqa: ARG001
    for wave_id in wave_ids:
        wave_changed(wave_id)


def list_changed(list_id: int) -> None:
    pick_list = db.session.get(PickList, list_id)
    if pick_list is not None:
        wave_changed(pick_list.wave_id)
