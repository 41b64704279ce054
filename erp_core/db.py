"""Transactions: one service call, one transaction; side effects only after commit.

`atomic()` opens a unit of work; nested, it is a SAVEPOINT, so a route (or the idempotency layer) can
wrap several services in one transaction and a service that fails inside it undoes exactly its own
work. Callbacks registered with `on_commit()` run after the outermost commit and are dropped with the
level that rolls back. No other module opens savepoints or calls `rollback()`.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict
from .extensions import db

log = logging.getLogger(__name__)


@dataclass
class _Unit:
    """The open unit of work: one list of after-commit callbacks per level (outermost first)."""

    levels: list[list[Callable[[], None]]] = field(default_factory=lambda: [[]])


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("wms_unit_of_work", default=None)
# On SQLite a write transaction starts with BEGIN IMMEDIATE: it takes the write lock up front (waiting
# up to busy_timeout) instead of failing with SQLITE_BUSY when a reader later upgrades to a writer.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("wms_sqlite_immediate", default=False)


@contextmanager
def atomic() -> Iterator[None]:
    """Run the block as one unit of work: all of it or none of it.

    Outermost: a transaction, committed at the end, rolled back on any error. Nested: a SAVEPOINT,
    so an error inside rolls back only the block's own work (the caller may catch the error and go
    on) and drops the after-commit callbacks registered inside it; on success its callbacks join
    the enclosing level and run after the outermost commit.
    """
    unit = _unit.get()
    if unit is not None:
        unit.levels.append([])
        try:
            # SQLAlchemy's own context rolls the savepoint back on an error in the block or in the
            # flush that releases it (a constraint refused at the end undoes the block as well).
            with db.session.begin_nested():
                yield
        except BaseException as error:
            unit.levels.pop()
            refusal = concurrency_refusal(error)
            if refusal is not None:
                raise refusal from error
            raise
        callbacks = unit.levels.pop()
        unit.levels[-1].extend(callbacks)
        return
    unit = _Unit()
    token = _unit.set(unit)
    immediate = _immediate.set(True)
    try:
        if db.session().in_transaction() and db.engine.dialect.name == "sqlite":
            # End the read transaction the request may have opened, so the write one begins IMMEDIATE.
            db.session.commit()
        yield
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        refusal = concurrency_refusal(error)
        if refusal is not None:
            raise refusal from error
        raise
    finally:
        _immediate.reset(immediate)
        _unit.reset(token)
    for callback in unit.levels[0]:
        try:
            callback()
        except Exception:  # a failed notification must never undo a committed business change
            log.exception("after-commit callback failed")


# PostgreSQL: deadlock detected, serialization failure, lock wait timed out.
_RETRYABLE_SQLSTATES = {"40P01": "deadlock", "40001": "serialization", "55P03": "lock_timeout"}


def concurrency_refusal(error: BaseException) -> Conflict | None:
    """A database's verdict on a concurrent write, as a clean refusal (409 `concurrent_update`).

    Lock ordering makes these rare; when one happens anyway (a deadlock the database broke, a lock
    wait that ran out, an ORM row changed under us, SQLite busy past its timeout), the person is
    told to try again instead of getting a 500, and nothing of the operation is left behind.
    """
    if isinstance(error, StaleDataError):
        reason = "stale_row"
    elif isinstance(error, DBAPIError) and error.orig is not None:
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        reason = _RETRYABLE_SQLSTATES.get(state or "")
        if reason is None and isinstance(error, OperationalError) and "database is locked" in str(error.orig):
            reason = "busy"
        if reason is None:
            return None
    else:
        return None
    return Conflict("someone else changed the same records at the same moment; try again",
                    code="concurrent_update", reason=reason)


def on_commit(callback: Callable[[], None]) -> None:
    """Run callback after the outermost transaction commits (immediately when none is open).

    Registered inside a savepoint that rolls back, it is dropped with the savepoint's work.
    """
    unit = _unit.get()
    if unit is None:
        callback()
    else:
        unit.levels[-1].append(callback)


def end_transaction() -> None:
    """Outside any unit of work: end what the session holds (a read transaction, or one a failure
    left broken) so the connection does not idle in a transaction. Refused inside atomic()."""
    if _unit.get() is not None:
        raise RuntimeError("end_transaction() inside atomic(): let the unit of work roll back")
    db.session.rollback()


def locked(model, pk: int):
    """The row of `model` with id `pk`, read afresh under its row lock (None when there is none).

    SELECT ... FOR UPDATE on PostgreSQL (SQLite: the write transaction's lock); `populate_existing`
    so an object the session already holds is refreshed from the locked row, never left stale.
    """
    return db.session.scalar(select(model).where(model.id == pk).with_for_update()
                             .execution_options(populate_existing=True))


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
