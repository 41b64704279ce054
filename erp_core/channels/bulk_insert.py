"""Write new orders with bulk inserts: customers matched or created, orders, lines and history, each
table in one driver ``executemany``. The caller owns the transaction.

Used by ``store_parsed_orders`` for the new orders of a chunk that ``create_order`` would accept as
they are; rows get exactly what the ORM would store (each column's bind processing and defaults) and
the same history the one-by-one path writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Table, func, select, text

from ..customers.models import Customer
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order, OrderEvent, OrderLine
from ..webhooks.events import announce_orders_created
from .importers import ParsedOrder
from .models import Channel


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


def _memoized(process: Callable[[object], object]) -> Callable[[object], object]:
    """A bind processor that converts each distinct value once (a chunk repeats its times and prices)."""
    seen: dict[object, object] = {}

    def convert(value: object) -> object:
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = process(value)
            return converted
        except TypeError:  # an unhashable value (JSON): convert it every time
            return process(value)

    return convert


def _write_rows(table: Table, names: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT rows (tuples of the ``names`` columns) with one driver ``executemany``.

    Values go through each column's own bind processing, so they are stored exactly as the ORM would
    store them; the other columns get their defaults, evaluated once for the whole batch.
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    rest = [c for c in table.c if c.name not in names and c.server_default is None and not c.primary_key]
    columns = [table.c[name] for name in names] + rest
    tail = tuple(_default_of(c) for c in rest)
    # As the ORM does, None in a column with a default means "not given": the default is stored.
    defaults = [(i, _default_of(c)) for i, c in enumerate(columns[:len(names)]) if c.default is not None]
    processors = [(i, _memoized(p)) for i, c in enumerate(columns)
                  if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    params = []
    for row in rows:
        values = [*row, *tail]
        for index, default in defaults:
            if values[index] is None:
                values[index] = default
        for index, process in processors:
            values[index] = process(values[index])
        params.append(tuple(values))
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
                         f"VALUES ({', '.join([mark] * len(columns))})", params)


def _match_customers(channel: Channel, orders: Sequence[ParsedOrder], now: datetime) -> list[int]:
    """Customer ids of the orders, matched as ``match_customer`` does (platform buyer id, else phone and
    name) and created in one insert where missing; one new customer per buyer in the chunk."""
    buyers = {p.buyer_id for p in orders if p.buyer_id}
    phones = {p.phone for p in orders if not p.buyer_id and p.phone}
    known: dict[tuple, int] = {}
    platform, channel_id = channel.platform, channel.id
    if buyers:
        known.update((("buyer", b), i) for b, i in db.session.execute(
            select(Customer.buyer_id, Customer.id).where(Customer.platform == platform,
                                                         Customer.buyer_id.in_(buyers))))
    if phones:
        known.update((("phone", p, n), i) for p, n, i in db.session.execute(
            select(Customer.phone, Customer.name, func.min(Customer.id)).where(Customer.phone.in_(phones))
            .group_by(Customer.phone, Customer.name)))
    if known:  # a merged buyer's new orders go to the surviving record
        from ..customers.lookup import survivor_id

        merged = set(db.session.scalars(select(Customer.id).where(Customer.id.in_(set(known.values())),
                                                                  Customer.merged_into_id.is_not(None))))
        known = {key: survivor_id(i) if i in merged else i for key, i in known.items()}
    keys: list[tuple] = []
    missing: dict[tuple, tuple] = {}
    for index, parsed in enumerate(orders):
        if parsed.buyer_id:
            key: tuple = ("buyer", parsed.buyer_id)
        elif parsed.phone:
            key = ("phone", parsed.phone, parsed.name)
        else:
            key = ("order", index)
        keys.append(key)
        if key not in known and key not in missing:
            missing[key] = (platform if parsed.buyer_id else None, parsed.buyer_id or None,
                            parsed.name or "-", parsed.phone, channel_id, now)
    if missing:
        table = Customer.__table__
        new_ids = _new_ids(table, len(missing))
        known.update(zip(missing, new_ids, strict=True))
        _write_rows(table, ("id", "platform", "buyer_id", "name", "phone", "first_channel_id", "created_at"),
                    [(customer_id, *row) for customer_id, row in zip(new_ids, missing.values(), strict=True)])
    return [known[key] for key in keys]


_ORDER_COLUMNS = ("id", "channel_id", "external_id", "status", "customer_id", "ship_name", "ship_phone",
                  "ship_country", "ship_province", "ship_city", "ship_district", "ship_address", "ship_postcode",
                  "buyer_note", "seller_note", "currency", "goods_total", "shipping_fee", "ordered_at", "paid_at",
                  "created_at", "updated_at", "buyer_id")


def insert_new_orders(channel: Channel, orders: Sequence[ParsedOrder], sku_ids: Mapping[str, int],
                      user_id: int | None) -> list[int]:
    """Write new orders, their lines and history with bulk inserts; returns the new orders' ids.

    Every SKU of the orders must be in ``sku_ids`` (code -> id); the caller owns the transaction."""
    now = utcnow()
    customer_ids = _match_customers(channel, orders, now)
    order_ids = _new_ids(Order.__table__, len(orders))
    rows, lines, events = [], [], []
    channel_id, created = channel.id, f"from {channel.code}"
    for parsed, order_id, customer_id in zip(orders, order_ids, customer_ids, strict=True):
        goods_total = Decimal("0")
        for line in parsed.lines:
            goods_total += line.unit_price * line.quantity
            lines.append((order_id, sku_ids[line.sku], line.quantity, line.unit_price))
        rows.append((order_id, channel_id, parsed.external_id, "cancelled" if parsed.cancelled else "pending",
                     customer_id, parsed.name, parsed.phone, parsed.country or "CN", parsed.province,
                     parsed.city, parsed.district, parsed.address, parsed.postcode, parsed.buyer_note,
                     parsed.seller_note, parsed.currency, goods_total, parsed.shipping_fee,
                     parsed.created_at or now, parsed.paid_at, now, now, parsed.buyer_id))
        # The same history create_order and the careful path write, in the same order.
        events.append((order_id, "created", created, user_id, now))
        events.append((order_id, "imported", f"{parsed.source_file} line {parsed.source_line}"[:500], user_id, now))
        if parsed.cancelled:
            events.append((order_id, "cancelled", "cancelled on the platform", user_id, now))
    _write_rows(Order.__table__, _ORDER_COLUMNS, rows)
    _write_rows(OrderLine.__table__, ("order_id", "sku_id", "quantity", "unit_price"), lines)
    _write_rows(OrderEvent.__table__, ("order_id", "kind", "message", "user_id", "created_at"), events)
    announce_orders_created(order_ids)
    return order_ids
