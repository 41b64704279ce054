"""Order intake from files: parse (pure importers), then store the good orders.

Each order is all or nothing: a file's good orders are imported even when others are rejected, and
every rejected row is reported with file, line, column and reason. An order the channel already has
is never imported twice.

Large files are stored in chunks: the new orders of a chunk are written with bulk inserts in one
transaction. A chunk the database refuses is rolled back and stored again one order per transaction,
so one bad order cannot sink the others. Orders the channel already has, and orders that would fail
``create_order``'s checks, always take the one-by-one path, so they are reported exactly as before.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..catalog.models import Sku
from ..customers.models import Customer
from ..db import atomic
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..fileimport import RowError
from ..models_base import utcnow
from ..orders.models import Order, OrderEvent, OrderLine
from ..orders.regions import normalise_province
from ..orders.services import (
    EDITABLE_STATUSES,
    NewOrder,
    NewOrderLine,
    cancel_order,
    create_order,
    record_event,
)
from .importers import ImportResult, ParsedOrder, parse_orders
from .models import Channel

log = logging.getLogger(__name__)

#: New orders written per transaction by the bulk path.
CHUNK_SIZE = 1000
#: Orders handled between two progress reports (see ``store_parsed_orders``).
PROGRESS_EVERY = 200


@dataclass
class ImportReport:
    format: str
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.errors)


#: Told the report so far and how many of the parsed orders have been handled.
Progress = Callable[[ImportReport, int], None]


def _new_order(channel_code: str, parsed: ParsedOrder) -> NewOrder:
    return NewOrder(
        channel_code=channel_code, external_id=parsed.external_id,
        lines=[NewOrderLine(line.sku, line.quantity, line.unit_price) for line in parsed.lines],
        ship_name=parsed.name, ship_phone=parsed.phone, ship_country=parsed.country or "CN",
        ship_province=parsed.province, ship_city=parsed.city, ship_district=parsed.district,
        ship_address=parsed.address, ship_postcode=parsed.postcode, buyer_id=parsed.buyer_id or None,
        buyer_note=parsed.buyer_note, seller_note=parsed.seller_note, currency=parsed.currency,
        shipping_fee=parsed.shipping_fee, ordered_at=parsed.created_at, paid_at=parsed.paid_at)


ADDRESS_FIELDS = ("ship_name", "ship_phone", "ship_country", "ship_province", "ship_city", "ship_district",
                  "ship_address", "ship_postcode")


def _address_of(parsed: ParsedOrder) -> dict[str, str]:
    new = _new_order("", parsed)
    return {name: getattr(new, name) for name in ADDRESS_FIELDS}


def _apply_change(order: Order, parsed: ParsedOrder, report: ImportReport, user_id: int | None) -> None:
    """A channel re-sent an order we have: take a new address or a cancellation while the floor has
    not started picking it; otherwise leave it and say so."""
    address = _address_of(parsed)
    changed = {k: v for k, v in address.items() if v and getattr(order, k) != v}
    if not changed and not (parsed.cancelled and order.status != "cancelled"):
        report.already_imported.append(parsed.external_id)
        return
    if order.status not in EDITABLE_STATUSES:
        report.errors.append(RowError(
            file=parsed.source_file, line=parsed.source_line, column="", code="order_already_picking",
            reason=f"the order changed on the platform but is already {order.status}; change it by hand",
            value=parsed.external_id))
        return
    if parsed.cancelled:
        cancel_order(order.id, "cancelled on the platform", user_id=user_id)
    else:
        before = ", ".join(f"{k}={getattr(order, k)}" for k in changed)
        for key, value in changed.items():
            setattr(order, key, value)
        record_event(order, "address_changed", f"changed on the platform (was {before})"[:500], user_id)
    report.updated.append(order.id)


def _store_one(channel: Channel, parsed: ParsedOrder, report: ImportReport, user_id: int | None) -> None:
    """The careful path: one order, one transaction, through ``create_order`` or ``_apply_change``."""
    try:
        with atomic():
            order = db.session.scalar(select(Order).filter_by(channel_id=channel.id,
                                                              external_id=parsed.external_id))
            if order is not None:
                _apply_change(order, parsed, report, user_id)
                return
            order = create_order(_new_order(channel.code, parsed), user_id=user_id)
            record_event(order, "imported", f"{parsed.source_file} line {parsed.source_line}", user_id)
            if parsed.cancelled:
                order.status = "cancelled"
                record_event(order, "cancelled", "cancelled on the platform", user_id)
            db.session.flush()
            order_id = order.id
    except DomainError as error:
        report.errors.append(RowError(file=parsed.source_file, line=parsed.source_line, column="",
                                      code=error.code, reason=error.message, value=parsed.external_id))
        return
    except SQLAlchemyError as error:
        log.warning("order %s of %s refused by the database: %s", parsed.external_id, channel.code, error)
        reason = f"the database refused the order: {type(getattr(error, 'orig', error)).__name__}"
        report.errors.append(RowError(file=parsed.source_file, line=parsed.source_line, column="",
                                      code="database_error", reason=reason, value=parsed.external_id))
        return
    report.created.append(order_id)


class _SkuIds:
    """SKU code -> id, loaded as chunks need them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._asked: set[str] = set()

    def load(self, orders: Sequence[ParsedOrder]) -> None:
        wanted = {line.sku for parsed in orders for line in parsed.lines} - self._asked
        if wanted:
            self._asked |= wanted
            self.ids.update(db.session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(wanted))).all())


def _bulk_ready(parsed: ParsedOrder, skus: _SkuIds) -> bool:
    """Whether ``create_order`` would accept the order as it is (else it takes the careful path)."""
    return bool(parsed.lines) and all(line.quantity > 0 and line.sku in skus.ids for line in parsed.lines)


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


def _insert_chunk(channel: Channel, orders: Sequence[ParsedOrder], skus: _SkuIds,
                  user_id: int | None) -> list[int]:
    """Write new orders, their lines and history with bulk inserts; the caller owns the transaction."""
    now = utcnow()
    customer_ids = _match_customers(channel, orders, now)
    order_ids = _new_ids(Order.__table__, len(orders))
    rows, lines, events = [], [], []
    channel_id, created = channel.id, f"from {channel.code}"
    for parsed, order_id, customer_id in zip(orders, order_ids, customer_ids, strict=True):
        goods_total = Decimal("0")
        for line in parsed.lines:
            goods_total += line.unit_price * line.quantity
            lines.append((order_id, skus.ids[line.sku], line.quantity, line.unit_price))
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
    return order_ids


class _Ticker:
    """Counts handled orders and calls ``progress`` at least every ``PROGRESS_EVERY`` of them."""

    def __init__(self, report: ImportReport, progress: Progress | None) -> None:
        self.report, self.progress = report, progress
        self.handled = self.told = 0

    def advance(self, count: int = 1) -> None:
        self.handled += count
        if self.progress is not None and self.handled - self.told >= PROGRESS_EVERY:
            self.finish()

    def finish(self) -> None:
        if self.progress is not None and self.handled != self.told:
            self.told = self.handled
            self.progress(self.report, self.handled)


def _store_chunk(channel: Channel, chunk: Sequence[ParsedOrder], skus: _SkuIds, report: ImportReport,
                 user_id: int | None, ticker: _Ticker) -> None:
    ids = [parsed.external_id for parsed in chunk]
    existing = set(db.session.scalars(select(Order.external_id).where(
        Order.channel_id == channel.id, Order.external_id.in_(ids))))
    skus.load(chunk)
    fresh: list[ParsedOrder] = []
    careful: list[ParsedOrder] = []
    seen: set[str] = set()
    for parsed in chunk:
        if parsed.external_id in existing or parsed.external_id in seen or not _bulk_ready(parsed, skus):
            careful.append(parsed)
        else:
            fresh.append(parsed)
        seen.add(parsed.external_id)
    if fresh:
        try:
            with atomic():
                order_ids = _insert_chunk(channel, fresh, skus, user_id)
        except SQLAlchemyError as error:
            log.warning("bulk insert of %d orders refused (%s); storing them one by one", len(fresh), error)
            careful = fresh + careful
        else:
            report.created.extend(order_ids)
            ticker.advance(len(fresh))
    for parsed in careful:
        _store_one(channel, parsed, report, user_id)
        ticker.advance()


def store_parsed_orders(channel: Channel, orders: Sequence[ParsedOrder], report: ImportReport, *,
                        user_id: int | None = None, progress: Progress | None = None,
                        chunk_size: int = CHUNK_SIZE) -> ImportReport:
    """Store parsed orders in a channel; each order is all or nothing.

    New orders enter `pending` (or `cancelled` when the platform says so), with a customer matched by
    platform buyer id, else phone and name. An order the channel already has is never created twice:
    a changed address or a cancellation updates it while it is not yet picked. New orders are written
    up to ``chunk_size`` per transaction. ``progress(report, handled)`` is called at least every
    ``PROGRESS_EVERY`` orders and at the end, outside the storing transactions.
    """
    skus = _SkuIds()
    ticker = _Ticker(report, progress)
    for start in range(0, len(orders), chunk_size):
        _store_chunk(channel, orders[start:start + chunk_size], skus, report, user_id, ticker)
    ticker.finish()
    return report


def channel_by_code(channel_code: str) -> Channel:
    channel = db.session.scalar(select(Channel).filter_by(code=channel_code))
    if channel is None:
        raise NotFound(f"no channel {channel_code}", code="unknown_channel")
    return channel


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a moment.

    Parsing a large file creates about a million small objects that all stay alive until it ends;
    every full collection meanwhile walks all of them again, which doubles the parse time of a
    100k-line file. Reference counting still frees everything else; the collector runs again after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_order_files(files: Sequence[tuple[str, bytes]]) -> ImportResult:
    """Parse uploaded order files, checking their SKUs against the active catalog."""
    known = set(db.session.scalars(select(Sku.code).where(Sku.active.is_(True))))
    with _cyclic_gc_paused():
        return parse_orders(files, known_skus=known)


def import_order_files(channel_code: str, files: Sequence[tuple[str, bytes]], *,
                       user_id: int | None = None, progress: Progress | None = None) -> ImportReport:
    """Import order files (format detected) into a channel; returns what was created and rejected."""
    channel = channel_by_code(channel_code)
    result = parse_order_files(files)
    report = ImportReport(format=result.format, skipped=list(result.skipped), errors=list(result.errors))
    return store_parsed_orders(channel, result.orders, report, user_id=user_id, progress=progress)


# --- manual order entry (手动录入) -------------------------------------------------------------------

#: Platforms whose shops take orders typed in by staff (phone and walk-in orders).
MANUAL_PLATFORMS = ("manual",)


@dataclass(frozen=True)
class ManualOrder:
    """An order typed in by staff: where it goes and what is in it (SKU code, quantity)."""

    channel_id: int
    ship_name: str
    ship_phone: str
    ship_province: str
    ship_city: str
    ship_address: str
    lines: list[tuple[str, int]]
    ship_district: str = ""
    ship_postcode: str = ""
    buyer_note: str = ""


def next_manual_external_id(channel_id: int, day: date) -> str:
    """The next order number of the day in a shop: ``M-<yyyymmdd>-<n>``."""
    prefix = f"M-{day:%Y%m%d}-"
    taken = db.session.scalars(select(Order.external_id).where(
        Order.channel_id == channel_id, Order.external_id.startswith(prefix, autoescape=True)))
    numbers = [int(tail) for tail in (t[len(prefix):] for t in taken) if tail.isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def create_manual_order(draft: ManualOrder, *, day: date, user_id: int | None = None) -> Order:
    """Create a typed-in order at the SKUs' list prices, numbered ``M-<yyyymmdd>-<n>`` in its shop.

    All or nothing; raises ValidationFailed for an unknown or inactive SKU, a bad quantity or no lines."""
    channel = db.session.get(Channel, draft.channel_id)
    if channel is None or not channel.active or channel.platform not in MANUAL_PLATFORMS:
        raise NotFound("no such shop for manual orders", code="unknown_channel")
    if not draft.lines:
        raise ValidationFailed("an order needs at least one line", code="no_lines")
    skus = {s.code: s for s in db.session.scalars(select(Sku).where(Sku.code.in_([c for c, _ in draft.lines])))}
    for code, quantity in draft.lines:
        if code not in skus or not skus[code].active:
            raise ValidationFailed(f"unknown or inactive SKU {code}", code="unknown_sku", skus=[code])
        if quantity <= 0:
            raise ValidationFailed(f"bad quantity {quantity} for {code}", code="bad_quantity")
    lines = [NewOrderLine(code, quantity, skus[code].price) for code, quantity in draft.lines]
    for _attempt in range(5):  # two people entering orders at the same moment take the next number
        new = NewOrder(channel_code=channel.code, external_id=next_manual_external_id(channel.id, day),
                       lines=lines, ship_name=draft.ship_name, ship_phone=draft.ship_phone,
                       ship_province=normalise_province(draft.ship_province), ship_city=draft.ship_city,
                       ship_district=draft.ship_district, ship_address=draft.ship_address,
                       ship_postcode=draft.ship_postcode, buyer_note=draft.buyer_note)
        try:
            return create_order(new, user_id=user_id)
        except Conflict as error:
            if error.code != "order_exists":
                raise
    raise Conflict("could not number the order; try again", code="order_exists")
