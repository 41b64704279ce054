"""Write new orders with bulk inserts: customers matched or created, orders, lines and history, each
table in one driver ``executemany``. The caller owns the transaction.

Used by ``store_parsed_orders`` for the new orders of a chunk that ``create_order`` would accept as
they are; rows get exactly what the ORM would store (each column's bind processing and defaults) and
the same history the one-by-one path writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, is_

from sqlalchemy import Column, Table, event, func, select, text
from sqlalchemy.pool import Pool

from ..customers.models import Customer
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order, OrderEvent, OrderLine
from ..webhooks.events import announce_orders_created
from .importers import ParsedOrder
from .models import Channel

#: WAL frames a bulk-writing SQLite connection lets pile up before its commit checkpoints them.
DEFERRED_CHECKPOINT_PAGES = 100_000
_DEFAULT_CHECKPOINT_PAGES = 1000  # SQLite's own default


def defer_checkpoint() -> None:
    """Let this transaction's commit (on SQLite) leave the WAL unchecked-pointed: a large import
    written in chunks then pays for one checkpoint at its end (``checkpoint_now``) instead of one
    fsync'd checkpoint every ~4 MB. The connection gets SQLite's default back when it returns to the
    pool, so nothing else is affected (another writer's commit still checkpoints as usual)."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={DEFERRED_CHECKPOINT_PAGES}")
        conn.connection.info["checkpoint_deferred"] = True


def checkpoint_now() -> None:
    """Checkpoint the WAL (SQLite; without waiting for readers), outside any transaction."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


@event.listens_for(Pool, "checkin")
def _restore_checkpoint(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    if connection_record is not None and connection_record.info.pop("checkpoint_deferred", False):
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={_DEFAULT_CHECKPOINT_PAGES}")


def _new_ids(table: Table, count: int) -> list[int]:
    """Primary keys for rows about to be inserted: from the id sequence on PostgreSQL; on SQLite the
    next ones after the largest, which is safe because the write transaction holds the database lock
    (BEGIN IMMEDIATE) until it commits."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return list(conn.execute(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                      "FROM generate_series(1, :count)"),
                                 {"table": table.name, "count": count}).scalars())
    last = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def _default_of(column: Column) -> object:
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default.arg(None) if default.is_callable else default.arg


def _converted(process: Callable[[object], object], values: Sequence[object]) -> list[object]:
    """A column's values through its bind processor, each distinct value converted once (a chunk
    repeats its times, prices and codes)."""
    try:
        table = {value: process(value) for value in set(values)}
    except TypeError:  # an unhashable value (JSON): convert every one
        return [process(value) for value in values]
    return list(map(table.__getitem__, values))


class Same:
    """One value for every row of a column (bind-processed once)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def _write_rows(table: Table, count: int, given: Mapping[str, Sequence[object] | Same]) -> None:
    """INSERT ``count`` rows given column by column (``name -> values``, or ``Same(value)``) with one
    driver ``executemany``.

    Values go through each column's own bind processing, so they are stored exactly as the ORM would
    store them; the other columns get their defaults, evaluated once for the whole batch. The work is
    done a column at a time (a few C-level passes per column instead of a Python loop per cell).
    """
    if not count:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    rest = [c for c in table.c if c.name not in given and c.server_default is None and not c.primary_key]
    columns = [table.c[name] for name in given] + rest
    data: list[Sequence[object]] = []
    for column, values in zip(columns, [*given.values(), *(Same(_default_of(c)) for c in rest)], strict=True):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(values, Same):
            # As the ORM does, None in a column with a default means "not given": the default is stored.
            value = _default_of(column) if values.value is None and column.default is not None else values.value
            data.append([value if process is None else process(value)] * count)
            continue
        if len(values) != count:
            raise ValueError(f"{table.name}.{column.name}: {len(values)} values for {count} rows")
        if column.default is not None and any(map(is_, values, repeat(None))):
            default = _default_of(column)
            values = [default if value is None else value for value in values]
        data.append(values if process is None else _converted(process, values))
    quote = dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
                         f"VALUES ({', '.join([_mark(dialect)] * len(columns))})", list(zip(*data, strict=True)))


def _mark(dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


#: Values per ``IN (...)`` list of ``select_in`` (well under every driver's limit on parameters).
IN_LIST_SIZE = 900


def select_in(sql: str, values: Iterable[object], *before: object) -> list[tuple]:
    """Rows of ``sql`` (driver SQL ending in ``IN``, with ``{mark}`` for the parameters ``before``)
    for all ``values``, asked ``IN_LIST_SIZE`` at a time.

    A prepared lookup for the import's hot path (order numbers the shop has, SKU ids, customers):
    plain driver SQL on the session's connection, without compiling an expanding ``IN`` per value."""
    conn = db.session.connection()
    mark = _mark(conn.dialect)
    head = sql.format(mark=mark)
    values = list(values)
    rows: list[tuple] = []
    for start in range(0, len(values), IN_LIST_SIZE):
        part = values[start:start + IN_LIST_SIZE]
        rows.extend(conn.exec_driver_sql(f"{head} ({', '.join([mark] * len(part))})", (*before, *part)).all())
    return rows


def _match_customers(channel: Channel, orders: Sequence[ParsedOrder], now: datetime) -> list[int]:
    """Customer ids of the orders, matched as ``match_customer`` does (platform buyer id, else phone and
    name) and created in one insert where missing; one new customer per buyer in the chunk."""
    buyers = {p.buyer_id for p in orders if p.buyer_id}
    phones = {p.phone for p in orders if not p.buyer_id and p.phone}
    known: dict[tuple, int] = {}
    platform, channel_id = channel.platform, channel.id
    if buyers:
        known.update((("buyer", b), i) for b, i in select_in(
            "SELECT buyer_id, id FROM customers WHERE platform = {mark} AND buyer_id IN", buyers, platform))
    if phones:
        # The oldest record of a phone and name (the same customer ``match_customer`` picks).
        oldest: dict[tuple, int] = {}
        for p, n, i in select_in("SELECT phone, name, id FROM customers WHERE phone IN", phones):
            if ("phone", p, n) not in oldest or i < oldest["phone", p, n]:
                oldest["phone", p, n] = i
        known.update(oldest)
    if known:  # a merged buyer's new orders go to the surviving record
        from ..customers.lookup import survivor_id

        merged = {i for (i,) in select_in("SELECT id FROM customers WHERE merged_into_id IS NOT NULL AND id IN",
                                          set(known.values()))}
        known = {key: survivor_id(i) if i in merged else i for key, i in known.items()}
    keys: list[tuple] = []
    missing: dict[tuple, ParsedOrder] = {}
    for index, parsed in enumerate(orders):
        if parsed.buyer_id:
            key: tuple = ("buyer", parsed.buyer_id)
        elif parsed.phone:
            key = ("phone", parsed.phone, parsed.name)
        else:
            key = ("order", index)
        keys.append(key)
        if key not in known and key not in missing:
            missing[key] = parsed
    if missing:
        table = Customer.__table__
        new_ids = _new_ids(table, len(missing))
        known.update(zip(missing, new_ids, strict=True))
        firsts = list(missing.values())
        _write_rows(table, len(firsts), {
            "id": new_ids, "platform": [platform if p.buyer_id else None for p in firsts],
            "buyer_id": [p.buyer_id or None for p in firsts], "name": [p.name or "-" for p in firsts],
            "phone": [p.phone for p in firsts], "first_channel_id": Same(channel_id), "created_at": Same(now)})
    return list(map(known.__getitem__, keys))


#: Order columns read straight from the parsed orders (column -> attribute).
_ORDER_FIELDS = {"external_id": "external_id", "ship_name": "name", "ship_phone": "phone",
                 "ship_province": "province", "ship_city": "city", "ship_district": "district",
                 "ship_address": "address", "ship_postcode": "postcode", "buyer_note": "buyer_note",
                 "seller_note": "seller_note", "currency": "currency", "shipping_fee": "shipping_fee",
                 "paid_at": "paid_at", "buyer_id": "buyer_id"}
_CREATED, _IMPORTED, _CANCELLED = "created", "imported", "cancelled"


def insert_new_orders(channel: Channel, orders: Sequence[ParsedOrder], sku_ids: Mapping[str, int],
                      user_id: int | None) -> list[int]:
    """Write new orders, their lines and history with bulk inserts; returns the new orders' ids.

    Every SKU of the orders must be in ``sku_ids`` (code -> id); the caller owns the transaction."""
    now = utcnow()
    count = len(orders)
    customer_ids = _match_customers(channel, orders, now)
    order_ids = _new_ids(Order.__table__, count)
    line_orders: list[int] = []
    line_skus: list[int] = []
    line_quantities: list[int] = []
    line_prices: list[Decimal] = []
    totals: list[Decimal] = []
    zero = Decimal("0")
    for parsed, order_id in zip(orders, order_ids, strict=True):
        total = zero
        for line in parsed.lines:
            total += line.unit_price * line.quantity
            line_skus.append(sku_ids[line.sku])
            line_quantities.append(line.quantity)
            line_prices.append(line.unit_price)
        line_orders.extend([order_id] * len(parsed.lines))
        totals.append(total)
    fields = list(zip(*map(attrgetter(*_ORDER_FIELDS.values()), orders), strict=True))
    cancelled = any(parsed.cancelled for parsed in orders)
    _write_rows(Order.__table__, count, {
        "id": order_ids, "channel_id": Same(channel.id), "customer_id": customer_ids,
        "status": [_CANCELLED if p.cancelled else "pending" for p in orders] if cancelled else Same("pending"),
        **dict(zip(_ORDER_FIELDS, fields, strict=True)),
        "ship_country": [p.country or "CN" for p in orders], "goods_total": totals,
        "ordered_at": [p.created_at or now for p in orders], "created_at": Same(now), "updated_at": Same(now)})
    _write_rows(OrderLine.__table__, len(line_orders), {
        "order_id": line_orders, "sku_id": line_skus, "quantity": line_quantities, "unit_price": line_prices})
    # The same history create_order and the careful path write, in the same order for each order:
    # created and imported, one after the other, then the cancellations.
    cancelled_ids = [order_id for parsed, order_id in zip(orders, order_ids, strict=True) if parsed.cancelled]
    event_orders = [0] * (2 * count)
    event_orders[0::2] = event_orders[1::2] = order_ids
    messages = [f"from {channel.code}"] * (2 * count)
    messages[1::2] = [f"{p.source_file} line {p.source_line}"[:500] for p in orders]
    _write_rows(OrderEvent.__table__, len(event_orders) + len(cancelled_ids), {
        "order_id": event_orders + cancelled_ids,
        "kind": [_CREATED, _IMPORTED] * count + [_CANCELLED] * len(cancelled_ids),
        "message": messages + ["cancelled on the platform"] * len(cancelled_ids),
        "user_id": Same(user_id), "created_at": Same(now)})
    announce_orders_created(order_ids)
    return order_ids
