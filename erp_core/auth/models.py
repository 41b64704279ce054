"""Users, their warehouses, and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from .permissions import ROLES, role_allows

user_warehouses = Table(
    "user_warehouses",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True),
)

_ROLE_LIST = ", ".join(f"'{r}'" for r in ROLES)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_LIST})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # sha256 of the badge barcode: a badge is a credential, so it is not stored in clear.
    badge_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Role "supplier": the supplier this outside user works for (it sees only that supplier's POs).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))

    warehouses = relationship("Warehouse", secondary=user_warehouses, lazy="selectin")

    # Set by the session loader (erp_core.auth.sessions): the token of the server-side session this
    # request runs in. Flask-Login keeps get_id() in the cookie (and the remember cookie), so a cookie
    # names a session that can be ended, never just a user.
    session_token = None

    def get_id(self) -> str:
        return self.session_token or ""

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def can(self, permission: str) -> bool:
        return self.active and role_allows(self.role, permission)

    def warehouse_ids(self) -> set[int] | None:
        """The warehouses this user may work in; None means all of them."""
        if not self.warehouses:
            return None
        return {w.id for w in self.warehouses}

    def may_access_warehouse(self, warehouse_id: int) -> bool:
        allowed = self.warehouse_ids()
        return allowed is None or warehouse_id in allowed


class ApiToken(db.Model):
    """A bearer token for integrations. Only its sha256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Space-separated `<area>:read|write` (erp_core.auth.permissions.SCOPES); a request needs the
    # role's permission AND the scope of its area.
    scopes: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never expires

    user = relationship("User", foreign_keys=[user_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def scope_list(self) -> list[str]:
        return (self.scopes or "").split()

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
