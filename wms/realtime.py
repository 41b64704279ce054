"""Socket.IO: live wave boards and dashboards.

Connections are authenticated from the login session and checked for origin (same origin unless
SOCKETIO_ORIGINS lists others). With REDIS_URL set, several server processes share events through
Redis (on the channel `<REDIS_NAMESPACE>:socketio`); without it, one process and no Redis. Emits happen
after commit (`erp_core.db.on_commit`).
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import wraps

from flask import Flask, current_app, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_login import current_user
from flask_socketio import SocketIO, disconnect, emit, join_room

socketio = SocketIO()


def init_realtime(app: Flask) -> None:
    origins = app.config["SOCKETIO_CORS_ORIGINS"] or None  # None: same origin only
    transports = app.config.get("SOCKETIO_TRANSPORTS") or None  # None: polling and websocket
    socketio.init_app(app, message_queue=app.config["REDIS_URL"], channel=socketio_channel(app.config),
                      cors_allowed_origins=origins, transports=transports,
                      async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
                      manage_session=False)
    from erp_core.inventory.alerts import LOW_STOCK_LISTENERS

    if announce_low_stock not in LOW_STOCK_LISTENERS:
        LOW_STOCK_LISTENERS.append(announce_low_stock)


def socketio_channel(config) -> str:
    """The Redis channel the server processes of one installation share their events on."""
    return f"{config.get('REDIS_NAMESPACE') or 'wms'}:socketio"


def announce_low_stock(alert: dict) -> None:
    """erp_core tells (after commit) that a SKU fell below its reorder point: the warehouse's live
    pages (dashboard, wave board) hear `low_stock` with the figures."""
    socketio.emit("low_stock", alert, to=warehouse_room(int(alert["warehouse_id"])))


def socket_requires(permission: str):
    """Every socket event checks login and role; a refused client is disconnected."""

    def decorate(handler):
        @wraps(handler)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.can(permission):
                emit("error", {"code": "forbidden", "event": request.event.get("message") if
                               isinstance(getattr(request, "event", None), dict) else None})
                disconnect()
                return None
            return handler(*args, **kwargs)

        wrapper._permission = permission
        return wrapper

    return decorate


def warehouse_room(warehouse_id: int, locale: str | None = None) -> str:
    """The room of a warehouse's live pages; with a locale, those reading that language."""
    return f"warehouse:{warehouse_id}" if locale is None else f"warehouse:{warehouse_id}:{locale}"


def wave_room(wave_id: int, locale: str | None = None) -> str:
    """The room of one wave's live page; with a locale, those reading that language."""
    return f"wave:{wave_id}" if locale is None else f"wave:{wave_id}:{locale}"


def pickers_room(warehouse_id: int, locale: str | None = None) -> str:
    """The room of a warehouse's "pickers this shift" pages (the per-picker table's only readers)."""
    return f"warehouse:{warehouse_id}:pickers" if locale is None else f"warehouse:{warehouse_id}:pickers:{locale}"


def has_listeners(room: str) -> bool:
    """Whether anybody may be listening in `room`, so that a fragment nobody reads is not computed.

    One process knows its own connections; with a message queue (REDIS_URL) the listeners may be
    connected to another process, which this one cannot see: then the answer is always yes.
    """
    if socketio.server is None or current_app.config.get("REDIS_URL"):
        return True
    return next(iter(socketio.server.manager.get_participants("/", room)), None) is not None


def user_room(user_id: int) -> str:
    """The room of one user's pages (a picker's handheld interrupts): joined on connect from the login
    session, so nobody can listen in on another user's room."""
    return f"user:{user_id}"


@socketio.on("connect")
def on_connect(auth=None):  # noqa: ARG001
    """Browser -> server. Anonymous or inactive sessions are refused; the others join their own room."""
    if not current_user.is_authenticated:
        return False
    join_room(user_room(current_user.id))
    return True


@socketio.on("join_warehouse")
@socket_requires("board.view")
def on_join_warehouse(data):
    """A board page asks to receive a warehouse's live events (board.view, and only warehouses the
    user may work in: pickers have no board.view and hear only their own user room); with
    {view: "pickers"}, the per-picker table's too."""
    try:
        warehouse_id = int((data or {}).get("warehouse_id"))
    except (TypeError, ValueError):
        return {"ok": False, "error": "bad warehouse_id"}
    if not current_user.may_access_warehouse(warehouse_id):
        return {"ok": False, "error": "forbidden"}
    join_room(warehouse_room(warehouse_id))
    join_room(warehouse_room(warehouse_id, str(get_locale())))
    if data.get("view") == "pickers":
        join_room(pickers_room(warehouse_id, str(get_locale())))
    return {"ok": True}


def broadcast(event: str, payload: dict, room: str) -> None:
    """Send to a room; call it from erp_core.db.on_commit so a rolled-back change is never announced."""
    socketio.emit(event, payload, to=room)


def broadcast_rendered(event: str, payload: dict, target: str, warehouse_id: int, render, room=None) -> None:
    """Render a fragment once per language and send each to the pages reading that language
    (the warehouse's rooms, or `room(locale)`'s, e.g. a wave page's); a language nobody reads in
    that room is neither rendered nor sent.

    Works inside a request (a scan's after-commit) and outside one (a background job), where the
    templates' url_for needs a request context of its own.
    """
    from erp_core.i18n import LOCALES

    context = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with context:
        for locale in LOCALES:
            to = room(locale) if room else warehouse_room(warehouse_id, locale)
            if not has_listeners(to):
                continue
            with force_locale(locale):
                html = render()
            socketio.emit(event, {**payload, "target": target, "html": html}, to=to)
