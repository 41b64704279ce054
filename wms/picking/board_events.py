"""Socket events of the live board pages (the wave board, the per-picker view, a wave's page).

Every handler needs board.view (pickers have none: they keep only their own user room) and the
warehouse of what it asks for among the user's warehouses; the origin is checked on connect
(wms/realtime.py).
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_login import current_user
from flask_socketio import join_room

from erp_core.extensions import db
from wms.realtime import socket_requires, socketio, wave_room

from .board_render import board_fragments, wave_fragments
from .models import Wave

REFUSED = {"ok": False, "error": "forbidden"}


def _number(data, key: str) -> int | None:
    try:
        return int((data or {}).get(key))
    except (TypeError, ValueError):
        return None


def _wave(data) -> Wave | None:
    """The wave asked for, when the user may see its warehouse (another's wave is as if unknown)."""
    wave_id = _number(data, "wave_id")
    wave = db.session.get(Wave, wave_id) if wave_id is not None else None
    if wave is None or not current_user.may_access_warehouse(wave.warehouse_id):
        return None
    return wave


@socketio.on("join_wave")
@socket_requires("board.view")
def on_join_wave(data):
    """A wave's page (browser -> server) asks to hear `wave_live` for that wave."""
    wave = _wave(data)
    if wave is None:
        return REFUSED
    join_room(wave_room(wave.id))
    join_room(wave_room(wave.id, str(get_locale())))
    return {"ok": True}


@socketio.on("board_snapshot")
@socket_requires("board.view")
def on_board_snapshot(data):
    """A board page (browser -> server, after a reconnect) asks for everything it shows, rendered in
    its language: {warehouse_id, view: "board"|"pickers"} or {wave_id}; the answer is the ack
    {ok, fragments: [{target, html}]}."""
    if (data or {}).get("wave_id") is not None:
        wave = _wave(data)
        if wave is None:
            return REFUSED
        fragments = wave_fragments(wave)
    else:
        warehouse_id = _number(data, "warehouse_id")
        if warehouse_id is None or not current_user.may_access_warehouse(warehouse_id):
            return REFUSED
        fragments = board_fragments(warehouse_id, "pickers" if data.get("view") == "pickers" else "board")
    return {"ok": True, "fragments": fragments}
