"""Data cleanup (数据清理): archive what is old and finished, purge what has expired.

Archive format: gzip'd JSON Lines files under WMS_ARCHIVE_DIR (default instance/archive), one directory
per run, one file per chunk, one line per row: ``{"table": ..., "row": {...}}`` (``"detached"`` names a
column set to NULL on a row that stays). Files rather than archive tables: they need no copy of every
table's schema kept in step by each migration, they leave the live database (and its backups) smaller,
and they are read with zcat/jq or loaded back by a script, which is what an archive is for.

- Orders finished (shipped, cancelled, rejected) before the cutoff go with every row that depends on
  them, found through the foreign keys (lines, events, shipments and their packages, pick tasks, the
  finance detail of their shipments ...). A row that merely points at one by a nullable column (a
  tracking number, a bank-statement line, a customer note) stays, with that column set to NULL.
  Orders with an after-sales case stay (a case may be reopened, and it holds the refund's history).
- Stock moves before the cutoff are summarised: per SKU, stock location and lot, one 'opening' move
  from inventory loss for their net quantity (note "archived up to <date>"), created at the cutoff,
  replaces them. Quants do not change, so quant = sum of moves holds after every chunk.
- Expired idempotency keys and finished import jobs older than the cutoff are deleted.

Every chunk is one short transaction; its file is written and synced before its rows are deleted, and
removed when the transaction fails.
"""

from __future__ import annotations

import gzip
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Table, delete, func, select, update

from ..config import instance_dir
from ..db import atomic, end_transaction
from ..extensions import db
from ..inventory.models import Location, StockMove
from ..inventory.services import virtual_location
from ..models_base import utcnow

FINISHED = ("shipped", "cancelled", "rejected")
BLOCKING_TABLES = ("aftersales_cases",)
ORDER_CHUNK, SKU_CHUNK, IN_CHUNK = 100, 50, 500


@dataclass
class CleanupResult:
    cutoff: datetime
    directory: Path
    orders: int = 0
    order_rows: int = 0
    orders_kept: int = 0
    moves: int = 0
    openings: int = 0
    skus_kept: list[int] = field(default_factory=list)
    idempotency_keys: int = 0
    import_jobs: int = 0


def archive_dir() -> Path:
    from .backups import setting

    return Path(setting("WMS_ARCHIVE_DIR", str(instance_dir() / "archive")))


def run_cleanup(older_than_days: int) -> CleanupResult:
    """Archive orders and stock moves older than the age, purge expired keys and old import jobs."""
    from ..api.idempotency import purge_expired_keys

    cutoff = utcnow() - timedelta(days=older_than_days)
    result = CleanupResult(cutoff, archive_dir() / f"{utcnow():%Y%m%dT%H%M%S}-before-{cutoff:%Y%m%d}")
    archive_orders(result)
    compact_moves(result)
    result.idempotency_keys = purge_expired_keys()
    result.import_jobs = purge_import_jobs(cutoff)
    return result


# --- files ------------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _rows(table: Table, ids: list) -> list[dict]:
    pk = _pk(table)
    found = []
    for start in range(0, len(ids), IN_CHUNK):
        found += [dict(row._mapping) for row in db.session.execute(
            select(table).where(pk.in_(ids[start:start + IN_CHUNK])).order_by(pk))]
    return found


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, default=_plain, ensure_ascii=False) + "\n")
        out.flush()
    with open(path, "rb") as written:
        os.fsync(written.fileno())


@contextmanager
def _archiving_chunk(path: Path):
    """One chunk's unit of work: the block reads its rows, writes them with the function it is given
    (the file is synced before the block goes on to delete) and deletes; the file goes when the
    transaction fails (its rows are then still in the database)."""
    try:
        with atomic():
            yield lambda records: _write(path, records)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# --- orders -----------------------------------------------------------------------------------------


def _pk(table: Table):
    return next(iter(table.primary_key.columns))


def _references(parent: Table) -> list[tuple[Table, object]]:
    """(table, column) of every foreign key pointing at the parent's primary key."""
    return [(table, fk.parent) for table in db.metadata.sorted_tables for fk in table.foreign_keys
            if fk.column.table is parent]


def archive_orders(result: CleanupResult) -> None:
    """Archive finished orders older than the cutoff with the rows depending on them, in chunks."""
    orders = db.metadata.tables["orders"]
    after = 0
    while True:
        ids = list(db.session.scalars(
            select(orders.c.id).where(orders.c.status.in_(FINISHED), orders.c.updated_at < result.cutoff,
                                      orders.c.id > after).order_by(orders.c.id).limit(ORDER_CHUNK)))
        end_transaction()  # the chunk's own transaction begins as a writer
        if not ids:
            return
        after = ids[-1]
        blocked = _blocked(ids)
        result.orders_kept += len(blocked)
        chosen = [i for i in ids if i not in blocked]
        if chosen:
            _archive_order_chunk(result, chosen, after)


def _blocked(order_ids: list[int]) -> set[int]:
    orders = db.metadata.tables["orders"]
    held = set()
    for name in BLOCKING_TABLES:
        for _table, column in [(t, c) for t, c in _references(orders) if t.name == name]:
            held |= set(db.session.scalars(select(column).where(column.in_(order_ids))))
    return held


def _family(order_ids: list[int]) -> tuple[dict[Table, list], list[tuple[Table, object, list]]]:
    """The rows to archive per table (the orders and what depends on them by a required foreign key)
    and the rows to detach (table, column, ids): they point at one by a nullable column and stay."""
    orders = db.metadata.tables["orders"]
    family: dict[Table, set] = {orders: set(order_ids)}
    detach, queue = [], [orders]
    while queue:
        parent = queue.pop()
        parent_ids = list(family[parent])
        for table, column in _references(parent):
            pk = _pk(table)
            ids = set()
            for start in range(0, len(parent_ids), IN_CHUNK):
                ids |= set(db.session.scalars(select(pk).where(column.in_(parent_ids[start:start + IN_CHUNK]))))
            if not ids:
                continue
            if column.nullable:
                detach.append((table, column, sorted(ids)))
            elif not ids <= family.setdefault(table, set()):
                family[table] |= ids
                queue.append(table)
    return {t: sorted(ids) for t, ids in family.items()}, detach


def _archive_order_chunk(result: CleanupResult, order_ids: list[int], last_id: int) -> None:
    with _archiving_chunk(result.directory / f"orders-up-to-{last_id}.jsonl.gz") as write:
        family, detach = _family(order_ids)
        write([{"table": table.name, "row": row} for table, ids in family.items() for row in _rows(table, ids)]
              + [{"table": table.name, "detached": column.name, "row": row}
                 for table, column, ids in detach for row in _rows(table, ids)])
        for table, column, ids in detach:
            for start in range(0, len(ids), IN_CHUNK):
                db.session.execute(update(table).where(_pk(table).in_(ids[start:start + IN_CHUNK]))
                                   .values({column.name: None}))
        for table in reversed(db.metadata.sorted_tables):  # children before their parents
            ids = family.get(table, [])
            for start in range(0, len(ids), IN_CHUNK):
                db.session.execute(delete(table).where(_pk(table).in_(ids[start:start + IN_CHUNK])))
    result.orders += len(order_ids)
    result.order_rows += sum(len(ids) for ids in family.values())


# --- stock moves ------------------------------------------------------------------------------------


def compact_moves(result: CleanupResult) -> None:
    """Replace the stock moves before the cutoff by one opening move per SKU, stock location and lot
    (their net quantity), SKU chunk by SKU chunk; the originals go to the archive first."""
    sku_ids = list(db.session.scalars(
        select(StockMove.sku_id).where(StockMove.created_at < result.cutoff, StockMove.reason != "opening")
        .distinct().order_by(StockMove.sku_id)))
    end_transaction()
    for start in range(0, len(sku_ids), SKU_CHUNK):
        _compact_chunk(result, sku_ids[start:start + SKU_CHUNK])


def _compact_chunk(result: CleanupResult, sku_ids: list[int]) -> None:
    moves = db.metadata.tables["stock_moves"]
    with _archiving_chunk(result.directory / f"stock-moves-{sku_ids[0]}-{sku_ids[-1]}.jsonl.gz") as write:
        internal = set(db.session.scalars(select(Location.id).where(Location.usage == "internal")))
        old = [dict(row._mapping) for row in db.session.execute(
            select(moves).where(moves.c.sku_id.in_(sku_ids), moves.c.created_at < result.cutoff)
            .order_by(moves.c.id))]
        balances: dict[tuple, int] = {}
        for move in old:
            for loc, sign in ((move["to_location_id"], 1), (move["from_location_id"], -1)):
                if loc in internal:
                    key = (move["sku_id"], loc, move["lot_id"])
                    balances[key] = balances.get(key, 0) + sign * move["quantity"]
        unsound = {sku for (sku, _, _), qty in balances.items() if qty < 0}  # a broken ledger: for a person
        result.skus_kept += sorted(unsound)
        old = [m for m in old if m["sku_id"] not in unsound]
        if not old:
            return
        write([{"table": "stock_moves", "row": m} for m in old])
        ids = [m["id"] for m in old]
        for start in range(0, len(ids), IN_CHUNK):
            db.session.execute(delete(moves).where(moves.c.id.in_(ids[start:start + IN_CHUNK])))
        loss = virtual_location("INV-LOSS")
        openings = [{"sku_id": sku, "from_location_id": loss.id, "to_location_id": loc, "lot_id": lot,
                     "quantity": qty, "reason": "opening", "reference": "", "user_id": None,
                     "note": f"archived up to {result.cutoff:%Y-%m-%d}", "created_at": result.cutoff}
                    for (sku, loc, lot), qty in sorted(balances.items(), key=lambda b: (*b[0][:2], b[0][2] or 0))
                    if qty > 0 and sku not in unsound]
        if openings:
            db.session.execute(moves.insert(), openings)
    result.moves += len(old)
    result.openings += len(openings)


# --- purges -----------------------------------------------------------------------------------------


def purge_import_jobs(cutoff: datetime) -> int:
    """Delete finished (done or failed) import jobs that ended before the cutoff; returns how many."""
    from ..channels.models import ImportJob

    with atomic():
        return db.session.execute(delete(ImportJob).where(
            ImportJob.status.in_(("done", "failed")),
            func.coalesce(ImportJob.finished_at, ImportJob.created_at) < cutoff)).rowcount
