"""Searching the audit log, with the stock ledger's moves by a person alongside.

Stock moves are not copied into audit_events: the ledger already keeps each one with its user and
time, so the search is a union of the two tables (keys only, ordered and paged in the database),
and the page's rows are then read by id. Manual adjustments are in the audit log itself (with the
quantity before and after), so the ledger's adjustment moves are left out of the union.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, literal, or_, select

from ..extensions import db
from ..inventory.models import MOVE_REASONS, StockMove
from .models import AuditEvent

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditQuery:
    """What the admin searches for; empty fields do not filter. `action` matches a prefix ("user"
    finds user.created and user.changed; "stock" finds every stock move and adjustment)."""

    user_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""


@dataclass(frozen=True)
class AuditRow:
    source: str  # "audit" or "stock" (a ledger move)
    id: int
    at: datetime
    user_id: int | None
    username: str
    ip: str
    action: str
    object_type: str
    object_id: str
    summary: str
    before: dict | None
    after: dict | None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _audit_keys(q: AuditQuery):
    stmt = select(literal("audit", String).label("source"), AuditEvent.id.label("id"), AuditEvent.at.label("at"))
    if q.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == q.user_id)
    if q.action:
        stmt = stmt.where(AuditEvent.action.startswith(q.action, autoescape=True))
    if q.object_type:
        stmt = stmt.where(AuditEvent.object_type == q.object_type)
    if q.object_id:
        stmt = stmt.where(AuditEvent.object_id == q.object_id)
    if q.since is not None:
        stmt = stmt.where(AuditEvent.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(AuditEvent.at < q.until)
    if q.text:
        like = _like(q.text)
        stmt = stmt.where(or_(AuditEvent.summary.ilike(like, escape="\\"),
                              AuditEvent.username.ilike(like, escape="\\")))
    return stmt


def _stock_keys(q: AuditQuery):
    """The ledger's moves made by a person, or None when the query cannot match a move."""
    reasons = [r for r in MOVE_REASONS if r != "adjustment" and f"stock.{r}".startswith(q.action)]
    if not reasons or q.object_type not in ("", "sku"):
        return None
    from ..catalog.models import Sku

    stmt = (select(literal("stock", String).label("source"), StockMove.id.label("id"),
                   StockMove.created_at.label("at"))
            .where(StockMove.user_id.is_not(None), StockMove.reason.in_(reasons)))
    if q.user_id is not None:
        stmt = stmt.where(StockMove.user_id == q.user_id)
    if q.object_id:
        stmt = stmt.where(StockMove.sku_id.in_(select(Sku.id).where(Sku.code == q.object_id)))
    if q.since is not None:
        stmt = stmt.where(StockMove.created_at >= q.since)
    if q.until is not None:
        stmt = stmt.where(StockMove.created_at < q.until)
    if q.text:
        like = _like(q.text)
        stmt = stmt.where(or_(StockMove.note.ilike(like, escape="\\"), StockMove.reference.ilike(like, escape="\\")))
    return stmt


def _keys(q: AuditQuery):
    audit, stock = _audit_keys(q), _stock_keys(q)
    return (audit if stock is None else audit.union_all(stock)).subquery()


def search(q: AuditQuery, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditRow], int]:
    """One page of matching rows, newest first, and how many match in all."""
    keys = _keys(q)
    total = db.session.scalar(select(func.count()).select_from(keys))
    page_keys = db.session.execute(select(keys.c.source, keys.c.id).order_by(keys.c.at.desc(), keys.c.id.desc())
                                   .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return _rows(page_keys), int(total or 0)


def export_rows(q: AuditQuery) -> list[AuditRow]:
    """Every matching row (at most EXPORT_LIMIT), newest first, for the CSV."""
    keys = _keys(q)
    return _rows(db.session.execute(select(keys.c.source, keys.c.id)
                                    .order_by(keys.c.at.desc(), keys.c.id.desc()).limit(EXPORT_LIMIT)).all())


def _rows(page_keys) -> list[AuditRow]:
    audit_ids = [i for s, i in page_keys if s == "audit"]
    move_ids = [i for s, i in page_keys if s == "stock"]
    found = {("audit", e.id): _from_event(e) for e in
             db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(audit_ids)))} if audit_ids else {}
    if move_ids:
        found.update({("stock", row.id): row for row in _from_moves(move_ids)})
    return [found[(s, i)] for s, i in page_keys if (s, i) in found]


def _from_event(e: AuditEvent) -> AuditRow:
    return AuditRow("audit", e.id, e.at, e.user_id, e.username, e.ip, e.action, e.object_type, e.object_id,
                    e.summary, e.before, e.after)


def _from_moves(ids: list[int]) -> Iterator[AuditRow]:
    from sqlalchemy.orm import selectinload

    from ..auth.models import User

    moves = list(db.session.scalars(select(StockMove).where(StockMove.id.in_(ids)).options(
        selectinload(StockMove.sku), selectinload(StockMove.from_location), selectinload(StockMove.to_location))))
    names = dict(db.session.execute(select(User.id, User.username)
                                    .where(User.id.in_({m.user_id for m in moves}))).all())
    for m in moves:
        text = f"{m.quantity} × {m.sku.code}: {m.from_location.code} → {m.to_location.code}"
        if m.reference:
            text += f" ({m.reference})"
        yield AuditRow("stock", m.id, m.created_at, m.user_id, names.get(m.user_id, ""), "", f"stock.{m.reason}",
                       "sku", m.sku.code, text[:255], None, {"quantity": m.quantity, "note": m.note})
