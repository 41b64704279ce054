"""References (waves, pick lists, manual orders, later shipments) from counter rows bumped atomically.

`next_number(name)` is an UPSERT followed by `UPDATE ... SET value = value + 1 RETURNING value`: the
update takes the counter row's lock until commit, so two transactions never get the same number,
on SQLite (one writer at a time) and PostgreSQL (row lock) alike. Never `count + 1`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import String, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from .db import atomic
from .extensions import db
from .models_base import utcnow


class Counter(db.Model):
    """The last number handed out under one name (e.g. ``W-20261201``)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_number(name: str, *, start_after: Callable[[], int] | None = None) -> int:
    """The next number of the counter `name` (1 for a new one, or `start_after() + 1`)."""
    with atomic():
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        if db.session.get(Counter, name) is None:
            first = start_after() if start_after else 0
            db.session.execute(insert(Counter).values(name=name, value=first).on_conflict_do_nothing())
        return int(db.session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
            .returning(Counter.value)).scalar_one())


def next_reference(prefix: str) -> str:
    """``<prefix>-<yyyymmdd>-<nnnn>``, numbered per prefix and UTC day."""
    day = utcnow().strftime("%Y%m%d")
    return f"{prefix}-{day}-{next_number(f'{prefix}-{day}'):04d}"
