"""Transactions: one service call, one transaction; side effects only after commit.

`atomic()` opens a unit of work. Nested calls join the outermost one, so a route can wrap several
services (or the idempotency layer can wrap a service) in one transaction. Callbacks registered with
`on_commit()` run after the outermost commit and are dropped on rollback.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

log = logging.getLogger(__name__)


@dataclass
class _Unit:
    depth: int = 0
    after_commit: list[Callable[[], None]] = field(default_factory=list)


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("wms_unit_of_work", default=None)
# On SQLite a write transaction starts with BEGIN IMMEDIATE: it takes the write lock up front (waiting
# up to busy_timeout) instead of failing with SQLITE_BUSY when a reader later upgrades to a writer.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("wms_sqlite_immediate", default=False)


@contextmanager
def atomic() -> Iterator[None]:
    """Run the block in one transaction; commit at the outermost level, roll back on any error."""
    unit = _unit.get()
    if unit is not None:
        unit.depth += 1
        try:
            yield
        finally:
            unit.depth -= 1
        return
    unit = _Unit(depth=1)
    token = _unit.set(unit)
    immediate = _immediate.set(True)
    try:
        if db.session().in_transaction() and db.engine.dialect.name == "sqlite":
            # End the read transaction the request may have opened, so the write one begins IMMEDIATE.
            db.session.commit()
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _immediate.reset(immediate)
        _unit.reset(token)
    for callback in unit.after_commit:
        try:
            callback()
        except Exception:  # a failed notification must never undo a committed business change
            log.exception("after-commit callback failed")


def on_commit(callback: Callable[[], None]) -> None:
    """Run callback after the current transaction commits (immediately when none is open)."""
    unit = _unit.get()
    if unit is None:
        callback()
    else:
        unit.after_commit.append(callback)


def in_transaction() -> bool:
    return _unit.get() is not None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy's begin event below emit BEGIN (the pysqlite driver's own handling is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
