"""Live wave board events (Socket.IO). Called after commit only; each emits to the warehouse room.

Server -> browsers in `warehouse:<id>`: `wave_progress` {wave, reference, picked, total, lists, status}
after a wave is released or a pick is confirmed; the board page swaps in the rendered fragment.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from erp_core.extensions import db

from .models import PickList, PickTask, Wave


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


def waves_released(warehouse_id: int, wave_ids: list[int]) -> None:
    for wave_id in wave_ids:
        _emit(db.session.get(Wave, wave_id))


def list_changed(list_id: int) -> None:
    pick_list = db.session.get(PickList, list_id)
    if pick_list is not None:
        _emit(pick_list.wave)


def pick_confirmed(task_id: int) -> None:
    task = db.session.get(PickTask, task_id)
    if task is not None:
        _emit(task.pick_list.wave)
