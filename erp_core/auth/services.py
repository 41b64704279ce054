"""Accounts: passwords (Argon2id), badges, API tokens. Each changing function is one transaction."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..audit.log import changes, record
from ..db import atomic, end_transaction
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from ..models_base import utcnow
from .models import ApiToken, User
from .permissions import ROLES, SCOPES, scopes_for_role

# Argon2id is memory-hard; the library's defaults follow RFC 9106's second recommendation.
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8
MIN_BADGE_LENGTH = 6
TOKEN_PREFIX = "wms_"  # noqa: S105  (a public marker that makes leaked tokens greppable)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                               code="weak_password", minimum=MIN_PASSWORD_LENGTH)


def create_user(username: str, password: str, role: str, *, full_name: str = "",
                warehouse_ids: Iterable[int] = (), badge: str | None = None,
                locale: str | None = None, supplier_id: int | None = None) -> User:
    """Create an account. Raises Conflict when the username or badge is taken; a supplier's user
    needs its supplier (supplier_required), and only that role has one."""
    username = username.strip()
    if not username:
        raise ValidationFailed("username is required", code="username_required")
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}", code="unknown_role", role=role)
    _check_password_rules(password)
    supplier_id = _supplier_of(role, supplier_id)
    with atomic():
        if db.session.scalar(db.select(User).filter_by(username=username)):
            raise Conflict(f"username {username!r} is taken", code="username_taken", username=username)
        user = User(username=username, full_name=full_name, role=role, locale=locale,
                    password_hash=hash_password(password), supplier_id=supplier_id)
        user.warehouses = _warehouses(warehouse_ids)
        db.session.add(user)
        if badge:
            _set_badge(user, badge)
        db.session.flush()
        record("user.created", "user", user.id, after=_snapshot(user), summary=f"user {user.username} created")
    return user


def _snapshot(user: User) -> dict:
    """What the audit log keeps of an account (never its password or badge, only whether it has one)."""
    return {"full_name": user.full_name, "role": user.role, "active": bool(user.active),
            "warehouses": sorted(w.code for w in user.warehouses), "supplier_id": user.supplier_id,
            "badge": user.badge_hash is not None}


def update_user(user_id: int, *, full_name: str, role: str, active: bool, warehouse_ids: Iterable[int],
                password: str | None = None, badge: str | None = None, clear_badge: bool = False,
                supplier_id: int | None = None, by_user_id: int | None = None,
                keep_session: str | None = None) -> User:
    """Change an account. Deactivating it, changing its role or its password ends all its sessions
    (but `keep_session`, the browser of a person changing their own account), in the same transaction;
    the audit log keeps before and after."""
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}", code="unknown_role", role=role)
    supplier_id = _supplier_of(role, supplier_id)
    with atomic():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        before = _snapshot(user)
        user.full_name = full_name
        user.role = role
        user.supplier_id = supplier_id
        user.active = active
        user.warehouses = _warehouses(warehouse_ids)
        if password:
            _check_password_rules(password)
            user.password_hash = hash_password(password)
        if clear_badge:
            user.badge_hash = None
        elif badge:
            _set_badge(user, badge)
        old, new = changes(before, _snapshot(user))
        if old or new:
            record("user.changed", "user", user.id, before=old, after=new,
                   summary=f"user {user.username}: {', '.join(new)} changed")
        if password:
            record("user.password_changed", "user", user.id, summary=f"password of {user.username} changed")
        reasons = [r for r, why in (("deactivated", before["active"] and not user.active),
                                    ("role changed", before["role"] != user.role),
                                    ("password changed", bool(password))) if why]
        if reasons:
            from .sessions import end_all_sessions

            end_all_sessions(user.id, by_user_id=by_user_id, keep=keep_session, reason=", ".join(reasons))
    return user


def _supplier_of(role: str, supplier_id: int | None) -> int | None:
    """The supplier a user works for: required for the supplier role, None for every other role."""
    if role != "supplier":
        return None
    if not supplier_id:
        raise ValidationFailed("a supplier's user needs its supplier", code="supplier_required")
    from ..purchasing.models import Supplier

    if db.session.get(Supplier, supplier_id) is None:
        raise NotFound("no such supplier", code="unknown_supplier")
    return supplier_id


def _warehouses(ids: Iterable[int]) -> list[Warehouse]:
    ids = [int(i) for i in ids]
    if not ids:
        return []
    found = list(db.session.scalars(db.select(Warehouse).where(Warehouse.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise ValidationFailed("unknown warehouse", code="unknown_warehouse")
    return found


def _set_badge(user: User, badge: str) -> None:
    badge = badge.strip()
    if len(badge) < MIN_BADGE_LENGTH:
        raise ValidationFailed(f"a badge code needs at least {MIN_BADGE_LENGTH} characters", code="weak_badge",
                               minimum=MIN_BADGE_LENGTH)
    digest = _sha256(badge)
    other = db.session.scalar(db.select(User).filter_by(badge_hash=digest))
    if other is not None and other is not user:
        raise Conflict("this badge belongs to another user", code="badge_taken")
    user.badge_hash = digest


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same cost either way)."""
    user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    stored = user.password_hash if user else _DUMMY_HASH
    # The hash costs a good part of a second of CPU: hold no pooled connection for it, or a shift
    # logging in at once empties the pool and the last logins time out waiting for a connection.
    end_transaction()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    with atomic():
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
    return user


def authenticate_badge(badge: str) -> User | None:
    """The active user whose badge barcode this is, else None."""
    badge = badge.strip()
    if not badge:
        return None
    user = db.session.scalar(db.select(User).filter_by(badge_hash=_sha256(badge)))
    if user is None or not user.active:
        return None
    with atomic():
        user.last_login_at = utcnow()
    return user


def set_locale(user: User, locale: str | None) -> None:
    with atomic():
        user.locale = locale


def create_api_token(user_id: int, name: str, created_by_id: int | None, *, scopes: Iterable[str] | None = None,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the user; returns the record and the token text (shown once, never stored).

    `scopes` (default: every scope of the user's role) must be known and within the role's;
    `expires_at` (UTC, None = never) must lie in the future."""
    if not name.strip():
        raise ValidationFailed("a token needs a name", code="name_required")
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("the expiry must lie in the future", code="token_expiry_past")
    with atomic():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        allowed = scopes_for_role(user.role)
        wanted = set(allowed if scopes is None else scopes)
        chosen = [scope for scope in SCOPES if scope in wanted] + sorted(wanted - set(SCOPES))
        unknown = [scope for scope in chosen if scope not in allowed]
        if unknown:
            raise ValidationFailed("a scope is unknown or beyond the user's role", code="unknown_scope",
                                   scopes=", ".join(unknown))
        if not chosen:
            raise ValidationFailed("a token needs at least one scope", code="scope_required")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(name=name.strip(), prefix=secret[:10], token_hash=_sha256(secret), scopes=" ".join(chosen),
                         expires_at=expires_at, user_id=user.id, created_by_id=created_by_id)
        db.session.add(token)
        db.session.flush()
        record("token.created", "api_token", token.id, after={"name": token.name, "prefix": token.prefix,
                                                             "user": user.username},
               summary=f"API token {token.name} for {user.username} created")
    return token, secret


def revoke_api_token(token_id: int) -> ApiToken:
    with atomic():
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound("no such token")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record("token.revoked", "api_token", token.id, before={"name": token.name, "prefix": token.prefix},
                   summary=f"API token {token.name} revoked")
    return token


def user_for_token(secret: str) -> tuple[User, ApiToken] | None:
    """The active user behind a bearer token that is not revoked, else None. An expired token is
    returned too: the guard refuses it with its own code (token_expired)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(db.select(ApiToken).filter_by(token_hash=_sha256(secret)))
    if token is None or token.revoked or not hmac.compare_digest(token.token_hash, _sha256(secret)):
        return None
    if not token.user.active:
        return None
    return token.user, token
