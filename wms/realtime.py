"""Socket.IO: live wave boards and dashboards.

Connections are authenticated from the login session and checked for origin (same origin unless
SOCKETIO_ORIGINS lists others). With REDIS_URL set, several server processes share events through
Redis; without it, one process and no Redis. Emits happen after commit (`erp_core.db.on_commit`).
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, request
from flask_login import current_user
from flask_socketio import SocketIO, disconnect, emit, join_room

socketio = SocketIO()


def init_realtime(app: Flask) -> None:
    origins = app.config["SOCKETIO_CORS_ORIGINS"] or None  # None: same origin only
    socketio.init_app(app, message_queue=app.config["REDIS_URL"], cors_allowed_origins=origins,
                      async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
                      manage_session=False)


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


def warehouse_room(warehouse_id: int) -> str:
    return f"warehouse:{warehouse_id}"


@socketio.on("connect")
def on_connect(auth=None):  # noqa: ARG001
    """Browser -> server. Anonymous or inactive sessions are refused."""
    if not current_user.is_authenticated:
        return False
    join_room(f"user:{current_user.id}")
    return True


@socketio.on("join_warehouse")
@socket_requires("dashboard.view")
def on_join_warehouse(data):
    """A page asks to receive a warehouse's live events (only warehouses the user may work in)."""
    try:
        warehouse_id = int((data or {}).get("warehouse_id"))
    except (TypeError, ValueError):
        return {"ok": False, "error": "bad warehouse_id"}
    if not current_user.may_access_warehouse(warehouse_id):
        return {"ok": False, "error": "forbidden"}
    join_room(warehouse_room(warehouse_id))
    return {"ok": True}


def broadcast(event: str, payload: dict, room: str) -> None:
    """Send to a room; call it from erp_core.db.on_commit so a rolled-back change is never announced."""
    socketio.emit(event, payload, to=room)
