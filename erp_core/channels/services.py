"""Order intake from files: parse (pure importers), then store the good orders.

Each order is all or nothing: a file's good orders are imported even when others are rejected, and
every rejected row is reported with file, line, column and reason. An order the channel already has
is never imported twice.

Large files are stored in chunks: the new orders of a chunk are written with bulk inserts in one
transaction (``bulk_insert``). A chunk the database refuses is rolled back and stored again one order per transaction,
so one bad order cannot sink the others. Orders the channel already has, and orders that would fail
``create_order``'s checks, always take the one-by-one path, so they are reported exactly as before.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..catalog.models import Sku
from ..db import atomic
from ..errors import DomainError, NotFound
from ..extensions import db
from ..fileimport import RowError
from ..orders.models import Order
from ..orders.services import (
    EDITABLE_STATUSES,
    NewOrder,
    NewOrderLine,
    cancel_order,
    create_order,
    record_event,
)
from ..orders.states import lock_order, transition
from .bulk_insert import checkpoint_now, defer_checkpoint, insert_new_orders, select_in
from .importers import ImportResult, ParsedOrder, parse_orders
from .models import Channel

log = logging.getLogger(__name__)

#: New orders written per transaction by the bulk path.
CHUNK_SIZE = 5000
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
    order = lock_order(order.id)  # the platform's change and the office's never interleave
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


def _store_one(channel: Channel, parsed: ParsedOrder, report: ImportReport, user_id: int | None,
               ticker: _Ticker) -> bool:
    """The careful path: one order, one transaction, through ``create_order`` or ``_apply_change``.
    True when it created the order (its progress then committed with it)."""
    try:
        with atomic():
            order = db.session.scalar(select(Order).filter_by(channel_id=channel.id,
                                                              external_id=parsed.external_id))
            if order is not None:
                _apply_change(order, parsed, report, user_id)
                return False
            order = create_order(_new_order(channel.code, parsed), user_id=user_id)
            record_event(order, "imported", f"{parsed.source_file} line {parsed.source_line}", user_id)
            if parsed.cancelled:
                transition(order, "cancelled")
                record_event(order, "cancelled", "cancelled on the platform", user_id)
            db.session.flush()
            report.created.append(order.id)
            try:
                ticker.stored()
            except BaseException:
                report.created.pop()
                raise
    except DomainError as error:
        report.errors.append(RowError(file=parsed.source_file, line=parsed.source_line, column="",
                                      code=error.code, reason=error.message, value=parsed.external_id))
        return False
    except SQLAlchemyError as error:
        log.warning("order %s of %s refused by the database: %s", parsed.external_id, channel.code, error)
        reason = f"the database refused the order: {type(getattr(error, 'orig', error)).__name__}"
        report.errors.append(RowError(file=parsed.source_file, line=parsed.source_line, column="",
                                      code="database_error", reason=reason, value=parsed.external_id))
        return False
    return True


class _SkuIds:
    """SKU code -> id, loaded as chunks need them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._asked: set[str] = set()

    def load(self, orders: Sequence[ParsedOrder]) -> None:
        wanted = {line.sku for parsed in orders for line in parsed.lines} - self._asked
        if wanted:
            self._asked |= wanted
            self.ids.update(select_in("SELECT code, id FROM skus WHERE code IN", wanted))


def _bulk_ready(parsed: ParsedOrder, skus: _SkuIds) -> bool:
    """Whether ``create_order`` would accept the order as it is (else it takes the careful path)."""
    return bool(parsed.lines) and all(line.quantity > 0 and line.sku in skus.ids for line in parsed.lines)


class _Ticker:
    """Counts handled orders and calls ``progress`` at least every ``PROGRESS_EVERY`` of them."""

    def __init__(self, report: ImportReport, progress: Progress | None) -> None:
        self.report, self.progress = report, progress
        self.handled = self.told = 0

    def advance(self, count: int = 1) -> None:
        self.handled += count
        if self.progress is not None and self.handled - self.told >= PROGRESS_EVERY:
            self.finish()

    def stored(self, count: int = 1) -> None:
        """Orders were created in the open transaction: their progress is written in it too, so a
        worker killed after the commit resumes after them (and never counts them as duplicates)."""
        self.handled += count
        if self.progress is None:
            return
        try:
            self.progress(self.report, self.handled)
        except BaseException:
            self.handled -= count  # the transaction rolls back: these orders were not stored
            raise
        self.told = self.handled

    def finish(self) -> None:
        if self.progress is not None and self.handled != self.told:
            self.told = self.handled
            self.progress(self.report, self.handled)


def _store_chunk(channel: Channel, chunk: Sequence[ParsedOrder], skus: _SkuIds, report: ImportReport,
                 user_id: int | None, ticker: _Ticker) -> None:
    ids = [parsed.external_id for parsed in chunk]
    existing = {external_id for (external_id,) in select_in(
        "SELECT external_id FROM orders WHERE channel_id = {mark} AND external_id IN", ids, channel.id)}
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
        created = len(report.created)
        try:
            with atomic():
                defer_checkpoint()
                report.created.extend(insert_new_orders(channel, fresh, skus.ids, user_id))
                ticker.stored(len(fresh))
        except SQLAlchemyError as error:
            log.warning("bulk insert of %d orders refused (%s); storing them one by one", len(fresh), error)
            del report.created[created:]
            careful = fresh + careful
    for parsed in careful:
        if not _store_one(channel, parsed, report, user_id, ticker):
            ticker.advance()


def store_parsed_orders(channel: Channel, orders: Sequence[ParsedOrder], report: ImportReport, *,
                        user_id: int | None = None, progress: Progress | None = None,
                        chunk_size: int = CHUNK_SIZE) -> ImportReport:
    """Store parsed orders in a channel; each order is all or nothing.

    New orders enter `pending` (or `cancelled` when the platform says so), with a customer matched by
    platform buyer id, else phone and name. An order the channel already has is never created twice:
    a changed address or a cancellation updates it while it is not yet picked. New orders are written
    up to ``chunk_size`` per transaction. ``progress(report, handled)`` is called inside every
    transaction that creates orders (so what it records commits with them: a worker killed after the
    commit resumes after exactly those), else at least every ``PROGRESS_EVERY`` orders and at the end.
    """
    skus = _SkuIds()
    ticker = _Ticker(report, progress)
    with gc_threshold_raised():
        for start in range(0, len(orders), chunk_size):
            _store_chunk(channel, orders[start:start + chunk_size], skus, report, user_id, ticker)
    if len(orders) > chunk_size:
        checkpoint_now()
    ticker.finish()
    return report


def channel_by_code(channel_code: str) -> Channel:
    channel = db.session.scalar(select(Channel).filter_by(code=channel_code))
    if channel is None:
        raise NotFound(f"no channel {channel_code}", code="unknown_channel", channel=channel_code)
    return channel


#: The youngest generation's collection threshold while an import runs (CPython's default is 700).
IMPORT_GC_THRESHOLD = 100_000

_gc_lock = threading.Lock()
_gc_raises = 0
_gc_thresholds: tuple[int, ...] = ()


@contextmanager
def gc_threshold_raised() -> Iterator[None]:
    """Collect young objects less often while an import runs; the collector never stops.

    Parsing a large file creates about a million small objects that all stay alive until the orders
    are stored. With the default threshold the cyclic collector runs after every 700 new objects and
    walks the survivors again at every older-generation pass, which costs about 40 % of the parse
    time of a 100k-line file. Here it runs after every ``IMPORT_GC_THRESHOLD`` new objects instead:
    every thread of the process (the consumer runs other jobs beside the import) still has its
    cyclic garbage collected, a little later, and reference counting frees everything else at once.
    The thresholds are process-wide, so raises are counted: the ones in force before the first
    come back when the last import that raised them (in any thread) ends.
    """
    global _gc_raises, _gc_thresholds
    with _gc_lock:
        if _gc_raises == 0:
            _gc_thresholds = gc.get_threshold()
            if _gc_thresholds[0]:  # 0: automatic collection is off; leave it as it is
                gc.set_threshold(max(IMPORT_GC_THRESHOLD, _gc_thresholds[0]), *_gc_thresholds[1:])
        _gc_raises += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_raises -= 1
            if _gc_raises == 0:
                gc.set_threshold(*_gc_thresholds)


def parse_order_files(files: Sequence[tuple[str, bytes]]) -> ImportResult:
    """Parse uploaded order files, checking their SKUs against the active catalog."""
    known = set(db.session.scalars(select(Sku.code).where(Sku.active.is_(True))))
    with gc_threshold_raised():
        return parse_orders(files, known_skus=known)


def import_order_files(channel_code: str, files: Sequence[tuple[str, bytes]], *,
                       user_id: int | None = None, progress: Progress | None = None) -> ImportReport:
    """Import order files (format detected) into a channel; returns what was created and rejected."""
    channel = channel_by_code(channel_code)
    with gc_threshold_raised():
        result = parse_order_files(files)
        report = ImportReport(format=result.format, skipped=list(result.skipped), errors=list(result.errors))
        return store_parsed_orders(channel, result.orders, report, user_id=user_id, progress=progress)
