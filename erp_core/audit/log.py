"""The one way to write the audit log: `record(...)`, inside the unit of work of the change itself.

Who and where come from the request when there is one (the signed-in user, or the user an API
token acts as, and the client address); a background job records no person. The row joins the
caller's transaction: a change that rolls back leaves no audit row, and no audit row is written
for a change that did not happen.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request

from ..db import atomic, in_transaction
from ..extensions import db
from .models import AuditEvent


def _plain(value: object) -> object:
    """JSON-safe before/after values: money as decimal strings, times as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _who() -> tuple[int | None, str, str]:
    """(user id, username, client address) of the request, when there is one."""
    if not has_request_context():
        return None, "", ""
    from flask_login import current_user

    ip = (request.remote_addr or "")[:45]
    user = current_user._get_current_object() if current_user else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username, ip
    return None, "", ip


def acting_user_id() -> int | None:
    """The person of the current request (None in a background job or for a visitor)."""
    return _who()[0]


def record(action: str, obj_type: str, obj_id: object, before: dict | None = None, after: dict | None = None,
           summary: str = "", *, user_id: int | None = None, username: str | None = None) -> AuditEvent:
    """Append one audit row: `action` (a dotted code such as "user.changed"), the object it concerns,
    and what it was and became. `user_id`/`username` name the person when the request does not (a
    failed login names the username tried)."""
    who_id, who_name, ip = _who()
    if user_id is not None and user_id != who_id and username is None:
        from ..auth.models import User

        named = db.session.get(User, user_id)
        username = named.username if named is not None else ""
    event = AuditEvent(action=action[:40], object_type=obj_type[:40], object_id=str(obj_id or "")[:64],
                       summary=summary[:255], before=_plain(before) if before is not None else None,
                       after=_plain(after) if after is not None else None, ip=ip,
                       user_id=user_id if user_id is not None else who_id,
                       username=(username if username is not None else who_name)[:64])
    if in_transaction():
        db.session.add(event)
    else:
        with atomic():
            db.session.add(event)
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
