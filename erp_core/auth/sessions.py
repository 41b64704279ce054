"""Server-side login sessions: the cookie names a row, and a row can be ended.

The browser's session cookie carries a random token; the database keeps only its sha256 (the
row's id), so a copy of the table opens no session. The user loader accepts a request only while
its row exists, is not revoked and was seen within SESSION_HOURS: logging out, an admin's "End",
deactivating a user or changing their role or password end the rows, and a copied cookie dies with
them. API tokens are not sessions (erp_core.auth.services).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import atomic, in_transaction
from ..errors import NotFound
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from .models import User

log = logging.getLogger(__name__)
# last_seen_at is written at most this often: the loader runs on every scan and must stay a read.
TOUCH_EVERY = timedelta(minutes=1)


class UserSession(db.Model):
    """One browser's login. `id` is the sha256 of the token in the cookie; revoked rows are kept."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(user_id: int, *, ip: str, user_agent: str) -> str:
    """A new session row for the user; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    with atomic():
        db.session.add(UserSession(id=session_digest(token), user_id=user_id, ip=(ip or "")[:45],
                                   user_agent=(user_agent or "")[:255]))
    return token


def user_for_session(token: str, *, max_age: timedelta) -> User | None:
    """The active user of a live session (one keyed read, users joined), else None.

    Live: the row exists, is not revoked and was seen within `max_age`. Seen is written at most once
    per TOUCH_EVERY, and never from inside a unit of work (a failed touch is only logged)."""
    found = db.session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                               .where(UserSession.id == session_digest(token))).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.revoked_at is not None or not user.active or row.last_seen_at + max_age < now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY and not in_transaction():
        _touch(row.id, now)
    user.session_token = token
    return user


def _touch(session_id: str, now: datetime) -> None:
    try:
        with atomic():
            db.session.execute(update(UserSession).where(UserSession.id == session_id,
                                                         UserSession.last_seen_at < now - TOUCH_EVERY)
                               .values(last_seen_at=now).execution_options(synchronize_session=False))
    except Exception:  # noqa: BLE001  (a busy database must not log the user out)
        log.warning("could not update last_seen_at of a session", exc_info=True)


def active_sessions(user_id: int, *, max_age: timedelta) -> list[UserSession]:
    """The user's live sessions, the most recently seen first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
                                  UserSession.last_seen_at >= utcnow() - max_age)
        .order_by(UserSession.last_seen_at.desc())))


def end_session(session_id: str, *, by_user_id: int | None, user_id: int | None = None,
                action: str = "session.revoked") -> UserSession:
    """Revoke one session (of `user_id`, when given: an id of another user's session is not found).

    A conditional UPDATE (`... WHERE revoked_at IS NULL`, row count checked): of two concurrent ends
    of one session one ends it and is recorded, the other changes nothing."""
    from ..audit.log import record

    with atomic():
        row = db.session.get(UserSession, session_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise NotFound("no such session", code="unknown_session")
        done = db.session.execute(update(UserSession).where(UserSession.id == row.id, UserSession.revoked_at.is_(None))
                                  .values(revoked_at=utcnow(), revoked_by_id=by_user_id)
                                  .execution_options(synchronize_session=False))
        if done.rowcount == 1:
            record(action, "user", row.user_id, before={"session": row.id[:8], "ip": row.ip},
                   summary=f"session {row.id[:8]} ended")
    return row


def end_all_sessions(user_id: int, *, by_user_id: int | None, keep: str | None = None,
                     reason: str = "") -> int:
    """Revoke every live session of the user except the one with id `keep` (the person's own browser,
    when they change their own password). Joins the caller's unit of work; returns how many ended."""
    from ..audit.log import record

    with atomic():
        stmt = (update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                .values(revoked_at=utcnow(), revoked_by_id=by_user_id).execution_options(synchronize_session=False))
        if keep is not None:
            stmt = stmt.where(UserSession.id != keep)
        ended = db.session.execute(stmt).rowcount
        if ended:
            record("session.revoked", "user", user_id, after={"sessions_ended": ended, "reason": reason},
                   summary=f"{ended} session(s) ended" + (f" ({reason})" if reason else ""))
    return ended


def purge_sessions(*, keep_days: int, max_age: timedelta) -> int:
    """Delete the rows of sessions that ended (revoked, or unused past `max_age`) more than `keep_days`
    ago; returns how many. A live session is never deleted, whatever `keep_days` says: a row goes only
    when it is also past `max_age`. The admin's session list keeps its recent history."""
    now = utcnow()
    cutoff = now - timedelta(days=keep_days)
    with atomic():
        return db.session.execute(
            delete(UserSession).where(UserSession.last_seen_at < now - max_age,
                                      func.coalesce(UserSession.revoked_at, UserSession.last_seen_at) < cutoff)
            .execution_options(synchronize_session=False)).rowcount
