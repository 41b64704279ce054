"""What a database holds, in numbers a backup can be checked against: rows per table and the stock
totals per SKU (sum of quants, and the ledger's sum of moves into minus out of stock locations).

Read through a plain SQLAlchemy connection (the live database inside a backup's snapshot, or a scratch
copy restored from a backup), so it works on SQLite and PostgreSQL alike and needs no ORM session.
"""

from __future__ import annotations

from sqlalchemy import inspect, text

QUANTS_BY_SKU = "SELECT sku_id, SUM(quantity) FROM quants GROUP BY sku_id"
MOVES_BY_SKU = (
    "SELECT m.sku_id, SUM(CASE WHEN t.usage = 'internal' THEN m.quantity ELSE 0 END)"
    " - SUM(CASE WHEN f.usage = 'internal' THEN m.quantity ELSE 0 END)"
    " FROM stock_moves m JOIN locations t ON t.id = m.to_location_id JOIN locations f ON f.id = m.from_location_id"
    " GROUP BY m.sku_id")


def snapshot_stats(conn) -> dict:
    """{"revision", "tables": {name: rows}, "quants_by_sku": {sku: units}, "moves_by_sku": {sku: units}}
    (SKU ids as strings, SKUs with no units left out) of the database the connection reads."""
    names = sorted(inspect(conn).get_table_names())
    stats = {"revision": None, "tables": {name: int(conn.scalar(text(f'SELECT COUNT(*) FROM "{name}"')))
                                          for name in names}}
    if "alembic_version" in names:
        stats["revision"] = conn.scalar(text("SELECT version_num FROM alembic_version"))
    for key, query in (("quants_by_sku", QUANTS_BY_SKU), ("moves_by_sku", MOVES_BY_SKU)):
        stats[key] = ({str(sku): int(units) for sku, units in conn.execute(text(query)) if units}
                      if {"quants", "stock_moves", "locations"} <= set(names) else {})
    return stats


def stats_differences(recorded: dict, found: dict) -> list[str]:
    """What a restored copy holds differently from what the backup recorded, one line each; and the
    copy's own ledger: per SKU, the quants' total must equal the moves' total."""
    problems = []
    if recorded.get("revision") != found.get("revision"):
        problems.append(f"schema revision: recorded {recorded.get('revision')}, restored {found.get('revision')}")
    tables_recorded, tables_found = recorded.get("tables", {}), found.get("tables", {})
    for name in sorted(set(tables_recorded) | set(tables_found)):
        if tables_recorded.get(name) != tables_found.get(name):
            problems.append(f"table {name}: recorded {tables_recorded.get(name)} rows, "
                            f"restored {tables_found.get(name)}")
    for key in ("quants_by_sku", "moves_by_sku"):
        if recorded.get(key, {}) != found.get(key, {}):
            problems.append(f"{key.replace('_', ' ')}: the restored totals differ from the recorded ones")
    quants, moves = found.get("quants_by_sku", {}), found.get("moves_by_sku", {})
    problems += [f"sku {sku}: quants hold {quants.get(sku, 0)}, the moves sum to {moves.get(sku, 0)}"
                 for sku in sorted(set(quants) | set(moves), key=int) if quants.get(sku, 0) != moves.get(sku, 0)]
    return problems
