"""The one reservation API: stock held for order lines, from allocation to shipment.

A reservation row (StockReservation) says "this many units of this quant are held for this order
line". The quant's `reserved_quantity` is the sum of its rows, always: only this module changes
either, and always both in one transaction. The life of a reservation:

    reserve_line        allocation: earliest expiry first (FEFO) among lots that meet the line's
                        shipping limit, then pick faces, then the oldest quant; all or nothing
    move_reserved       the units and their reservation move together (bin -> cart -> slot -> packing)
    consume_reserved    the reserved units leave the warehouse (shipment) or are written off
    release_line / release_order   given back (cancel, hold, split, short pick)

Locks: quant rows by conditional UPDATE (`... WHERE quantity - reserved_quantity >= :q`, row count
checked), and before an allocation every candidate quant of the order's SKUs in the warehouse in
quant-id order, so concurrent allocations never deadlock. Reservation rows change by SQL
expressions (`quantity = quantity - :q WHERE quantity >= :q`), never from a value read earlier.

Lots: a quant, a reservation row and a move name a lot for a lot-tracked SKU (lot_id None for the
rest). Units of a lot on hold or past its expiry date are never available; a line's shipping limit
(`min_expiry`) keeps short-dated lots out of its reservation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import bindparam, case, delete, func, insert, or_, select, update

from ..db import atomic
from ..errors import Conflict, InsufficientStock, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from .models import Location, Lot, Quant, StockMove, StockReservation, Warehouse
from .services import lot_is, quant_is

# Bins whose stock is not for sale: set aside, in motion or already someone's. Clearance bins hold
# lots near their dates moved there from the expiry list: sold off by the office, never allocated
# to normal orders.
NOT_RESERVABLE_BIN_TYPES = ("damaged", "returns", "tote", "packing", "put_wall", "clearance")


def _reservable_location():
    return (Location.usage == "internal") & Location.active.is_(True) & or_(
        Location.bin_type.is_(None), Location.bin_type.not_in(NOT_RESERVABLE_BIN_TYPES))


def business_today() -> date:
    """Today in the warehouses' time zone (WMS_DISPLAY_TIMEZONE): the day expiry dates are read against."""
    zone = current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return datetime.now(ZoneInfo(zone)).date()


def sellable_lot(today: date | None = None, min_expiry: date | None = None):
    """The quant's lot allows selling: no lot (untracked SKU), or a lot not on hold whose expiry
    date (when it has one) is not before `min_expiry` (default: today, so expired lots are out)."""
    limit = min_expiry or today or business_today()
    good = select(Lot.id).where(Lot.on_hold.is_(False), or_(Lot.expiry_date.is_(None), Lot.expiry_date >= limit))
    return Quant.lot_id.is_(None) | Quant.lot_id.in_(good)


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLevel:
    """One SKU in one warehouse: on hand (every internal location), reserved, and available to
    reserve now (unreserved units in active, sellable bins of an active warehouse)."""

    sku_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    available: int


def free_units():
    """A quant's units available to reserve: its unreserved units when it lies in an active, sellable
    bin of an active warehouse and its lot (if any) is neither on hold nor expired, else 0 (a column
    expression over Quant joined to Location and Warehouse)."""
    return case((_reservable_location() & Warehouse.active.is_(True) & sellable_lot(),
                 Quant.quantity - Quant.reserved_quantity), else_=0)


def stock_levels(*, warehouse_ids: Iterable[int] | None = None,
                 sku_ids: Iterable[int] | None = None) -> list[StockLevel]:
    """The one answer to "how much of this SKU is there in this warehouse": allocation, the
    dashboard, the stock screens and the API all read it."""
    stmt = (select(Quant.sku_id, Location.warehouse_id, func.sum(Quant.quantity),
                   func.sum(Quant.reserved_quantity), func.sum(free_units()))
            .join(Location, Location.id == Quant.location_id)
            .join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Location.usage == "internal")
            .group_by(Quant.sku_id, Location.warehouse_id))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(list(warehouse_ids)))
    if sku_ids is not None:
        stmt = stmt.where(Quant.sku_id.in_(list(sku_ids)))
    return [StockLevel(s, w, int(q or 0), int(r or 0), int(a or 0)) for s, w, q, r, a in db.session.execute(stmt)]


def available_by_warehouse(sku_ids: Iterable[int], *,
                           min_expiry: Mapping[int, date] | None = None) -> dict[int, dict[int, int]]:
    """{warehouse_id: {sku_id: available}}: `stock_levels` as allocation reads it. With `min_expiry`
    ({sku_id: earliest acceptable expiry}), a lot-tracked SKU counts only lots that meet its limit."""
    sku_ids = set(sku_ids)
    limited = {s: d for s, d in (min_expiry or {}).items() if s in sku_ids}
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for level in stock_levels(sku_ids=sku_ids - set(limited)):
        if level.available > 0:
            result[level.warehouse_id][level.sku_id] = level.available
    for sku_id, limit in limited.items():
        stmt = (select(Location.warehouse_id, func.sum(Quant.quantity - Quant.reserved_quantity))
                .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
                .where(Quant.sku_id == sku_id, _reservable_location(), Warehouse.active.is_(True),
                       sellable_lot(min_expiry=limit), Quant.quantity > Quant.reserved_quantity)
                .group_by(Location.warehouse_id))
        for warehouse_id, free in db.session.execute(stmt):
            if free:
                result[warehouse_id][sku_id] = int(free)
    return result


@dataclass(frozen=True)
class ReservableStock:
    """Free units of one quant: where, which lot (None when untracked), its expiry, how many."""

    location_id: int
    lot_id: int | None
    expiry_date: date | None
    free: int


def _reservable_stmt(*columns, min_expiry: date | None = None):
    """Quants with free units in sellable bins, in the order reservations take them: earliest expiry
    first (FEFO; stock without an expiry last), then pick faces, then the oldest quant."""
    pick_first = case((Location.bin_type == "pick", 0), else_=1)
    no_expiry_last = case((Lot.expiry_date.is_(None), 1), else_=0)
    return (select(*columns)
            .join(Location, Location.id == Quant.location_id).outerjoin(Lot, Lot.id == Quant.lot_id)
            .where(_reservable_location(), sellable_lot(min_expiry=min_expiry),
                   Quant.quantity - Quant.reserved_quantity > 0)
            .order_by(no_expiry_last, Lot.expiry_date, pick_first, Quant.id))


def reservable_bins(sku_id: int, warehouse_id: int, *, exclude_location_id: int | None = None,
                    bin_types: Iterable[str] | None = None, min_expiry: date | None = None,
                    location_id: int | None = None) -> list[ReservableStock]:
    """Where the SKU can be reserved, in the order to take it: earliest expiry first (FEFO; stock
    without an expiry last), then pick faces, then the oldest quant. Lots on hold, expired or (with
    `min_expiry`) expiring before the line's shipping limit are left out."""
    stmt = (_reservable_stmt(Quant.location_id, Quant.lot_id, Lot.expiry_date, Quant.quantity - Quant.reserved_quantity,
                             min_expiry=min_expiry)
            .where(Quant.sku_id == sku_id, Location.warehouse_id == warehouse_id))
    if exclude_location_id is not None:
        stmt = stmt.where(Location.id != exclude_location_id)
    if location_id is not None:
        stmt = stmt.where(Location.id == location_id)
    if bin_types is not None:
        stmt = stmt.where(Location.bin_type.in_(list(bin_types)))
    return [ReservableStock(int(loc), lot, expiry, int(free)) for loc, lot, expiry, free in db.session.execute(stmt)]


@dataclass
class FreeQuant:
    """A quant's free units as a bulk allocation sees them (``free`` goes down as it plans takes)."""

    quant_id: int
    location_id: int
    lot_id: int | None
    free: int


def reservable_quants(sku_ids: Iterable[int]) -> dict[tuple[int, int], list[FreeQuant]]:
    """{(warehouse_id, sku_id): quants with free units}, in active warehouses, each list in the order
    `reserve_line` takes them (without a shipping limit): one query for many SKUs."""
    ids = sorted(set(sku_ids))
    found: dict[tuple[int, int], list[FreeQuant]] = defaultdict(list)
    if not ids:
        return found
    stmt = (_reservable_stmt(Quant.id, Quant.sku_id, Quant.location_id, Quant.lot_id, Location.warehouse_id,
                             Quant.quantity - Quant.reserved_quantity)
            .join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Quant.sku_id.in_(ids), Warehouse.active.is_(True)))
    for quant_id, sku_id, location_id, lot_id, warehouse_id, free in db.session.execute(stmt):
        found[(warehouse_id, sku_id)].append(FreeQuant(quant_id, location_id, lot_id, int(free)))
    return found


@dataclass(frozen=True)
class QuantTake:
    """Units of one quant to reserve for one order line."""

    order_line_id: int
    sku_id: int
    quant_id: int
    location_id: int
    lot_id: int | None
    quantity: int


def reserve_quants(takes: Iterable[QuantTake]) -> None:
    """Reserve many order lines' units on known quants at once (a bulk audit's chunk).

    Locks: each quant by one conditional UPDATE (`... WHERE quantity - reserved_quantity >= :q`),
    sent in quant-id order, so it never deadlocks with another allocation. All or nothing:
    InsufficientStock (the caller's savepoint rolls back) when any quant has fewer free units than
    planned; the reservation rows (one per line and quant) are written in one insert.
    """
    takes = [take for take in takes if take.quantity > 0]
    if not takes:
        return
    per_quant: dict[int, int] = defaultdict(int)
    for take in takes:
        per_quant[take.quant_id] += take.quantity
    quants = Quant.__table__
    grown = db.session.execute(
        update(quants).where(quants.c.id == bindparam("quant"),
                             quants.c.quantity - quants.c.reserved_quantity >= bindparam("units"))
        .values(reserved_quantity=quants.c.reserved_quantity + bindparam("units")),
        [{"quant": quant_id, "units": units} for quant_id, units in sorted(per_quant.items())])
    if grown.rowcount != len(per_quant):
        raise InsufficientStock("not enough available stock to reserve", code="insufficient_stock",
                                requested=sum(per_quant.values()))
    rows: dict[tuple[int, int, int | None], list] = {}
    for take in takes:  # one row per line, location and lot, as `_add_to_row` keeps them
        key = (take.order_line_id, take.location_id, take.lot_id)
        if key in rows:
            rows[key][1] += take.quantity
        else:
            rows[key] = [take.sku_id, take.quantity]
    now = utcnow()
    db.session.execute(insert(StockReservation.__table__), [
        {"order_line_id": line, "sku_id": sku, "location_id": location, "lot_id": lot, "quantity": quantity,
         "created_at": now} for (line, location, lot), (sku, quantity) in rows.items()])


_ANY = object()  # "any lot" for the reading helpers below


def line_reserved(order_line_id: int, location_id: int | None = None, lot_id=_ANY) -> int:
    """Units reserved for a line (in one location, of one lot, when given)."""
    stmt = select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
        StockReservation.order_line_id == order_line_id)
    if location_id is not None:
        stmt = stmt.where(StockReservation.location_id == location_id)
    if lot_id is not _ANY:
        stmt = stmt.where(lot_is(StockReservation.lot_id, lot_id))
    return int(db.session.scalar(stmt))


def line_reservations(order_line_id: int, location_id: int | None = None) -> list[tuple[int, int | None, int]]:
    """(location id, lot id, units) the line holds (in one location, when given), oldest row first."""
    stmt = (select(StockReservation.location_id, StockReservation.lot_id, func.sum(StockReservation.quantity))
            .where(StockReservation.order_line_id == order_line_id)
            .group_by(StockReservation.location_id, StockReservation.lot_id)
            .order_by(func.min(StockReservation.id)))
    if location_id is not None:
        stmt = stmt.where(StockReservation.location_id == location_id)
    return [(int(loc), lot, int(q)) for loc, lot, q in db.session.execute(stmt)]


# --- quant-level steps (private: a quant's reserved units always belong to reservation rows) ------


def _reserve_quant(sku_id: int, location_id: int, quantity: int, lot_id: int | None = None) -> None:
    stmt = (update(Quant).where(quant_is(sku_id, location_id, lot_id),
                                Quant.quantity - Quant.reserved_quantity >= quantity)
            .values(reserved_quantity=Quant.reserved_quantity + quantity)
            .execution_options(synchronize_session=False))
    if db.session.execute(stmt).rowcount != 1:
        raise InsufficientStock("not enough available stock to reserve", code="insufficient_stock",
                                sku_id=sku_id, location_id=location_id, requested=quantity)


def _release_quant(sku_id: int, location_id: int, quantity: int, lot_id: int | None = None) -> None:
    stmt = (update(Quant).where(quant_is(sku_id, location_id, lot_id),
                                Quant.reserved_quantity >= quantity)
            .values(reserved_quantity=Quant.reserved_quantity - quantity)
            .execution_options(synchronize_session=False))
    if db.session.execute(stmt).rowcount != 1:
        raise Conflict("cannot release more than is reserved", code="over_release", sku_id=sku_id,
                       location_id=location_id, requested=quantity)


def _add_to_row(order_line_id: int, sku_id: int, location_id: int, quantity: int, lot_id: int | None = None) -> None:
    """Add units to the line's reservation row on the location and lot (created when there is none)."""
    grown = db.session.execute(
        update(StockReservation).where(StockReservation.order_line_id == order_line_id,
                                       StockReservation.location_id == location_id,
                                       lot_is(StockReservation.lot_id, lot_id))
        .values(quantity=StockReservation.quantity + quantity).execution_options(synchronize_session="fetch"))
    if grown.rowcount == 0:
        db.session.add(StockReservation(order_line_id=order_line_id, sku_id=sku_id, location_id=location_id,
                                        lot_id=lot_id, quantity=quantity))
        db.session.flush()


def _take_from_rows(order_line_id: int, location_id: int, quantity: int, lot_id: int | None = None) -> None:
    """Take units off the line's reservation rows on the location and lot; refused when they hold fewer."""
    rows = db.session.execute(
        select(StockReservation.id, StockReservation.quantity)
        .where(StockReservation.order_line_id == order_line_id, StockReservation.location_id == location_id,
               lot_is(StockReservation.lot_id, lot_id))
        .order_by(StockReservation.id).with_for_update()).all()
    if sum(q for _, q in rows) < quantity:
        raise Conflict("the reservation for these units is missing", code="reservation_missing",
                       order_line_id=order_line_id, location_id=location_id, requested=quantity)
    left = quantity
    for row_id, held in rows:
        take = min(left, held)
        if take == 0:
            break
        if take == held:  # the row is used up (rows hold at least one unit: a CHECK)
            stmt = delete(StockReservation).where(StockReservation.id == row_id, StockReservation.quantity == take)
        else:
            stmt = (update(StockReservation).where(StockReservation.id == row_id, StockReservation.quantity > take)
                    .values(quantity=StockReservation.quantity - take))
        if db.session.execute(stmt.execution_options(synchronize_session="fetch")).rowcount != 1:
            raise Conflict("the reservation changed meanwhile; try again", code="reservation_missing",
                           order_line_id=order_line_id, location_id=location_id, requested=quantity)
        left -= take


# --- the API ---------------------------------------------------------------------------------------


def lock_quants(sku_ids: Iterable[int], warehouse_id: int) -> None:
    """Lock the SKUs' quants in one warehouse in quant-id order (PostgreSQL; SQLite has one writer)."""
    ids = sorted(set(sku_ids))
    if ids:
        db.session.execute(select(Quant.id).join(Location, Location.id == Quant.location_id)
                           .where(Quant.sku_id.in_(ids), Location.warehouse_id == warehouse_id)
                           .order_by(Quant.id).with_for_update(of=Quant))


def reserve_line(order_line_id: int, sku_id: int, warehouse_id: int, quantity: int, *,
                 exclude_location_id: int | None = None, bin_types: Iterable[str] | None = None,
                 partial: bool = False, min_expiry: date | None = None, location_id: int | None = None) -> int:
    """Reserve units for an order line in a warehouse: FEFO among the lots that meet `min_expiry`
    (the line's shipping limit), then pick faces first, oldest quant first.

    Locks: each quant it takes from (conditional UPDATE); call `lock_quants` first when reserving
    several SKUs in one transaction. All or nothing (InsufficientStock, nothing reserved) unless
    `partial`, which reserves what there is and returns how many.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity", quantity=quantity)
    with atomic():
        remaining = quantity
        for stock in reservable_bins(sku_id, warehouse_id, exclude_location_id=exclude_location_id,
                                     bin_types=bin_types, min_expiry=min_expiry, location_id=location_id):
            if remaining == 0:
                break
            take = min(remaining, stock.free)
            try:
                _reserve_quant(sku_id, stock.location_id, take, stock.lot_id)
            except InsufficientStock:
                continue  # another transaction took it since we looked; try the next bin
            _add_to_row(order_line_id, sku_id, stock.location_id, take, stock.lot_id)
            remaining -= take
        if remaining and not partial:
            raise InsufficientStock(f"only {quantity - remaining} of {quantity} could be reserved",
                                    code="insufficient_stock", sku_id=sku_id, requested=quantity,
                                    available=quantity - remaining)
        return quantity - remaining


def reserve_at(order_line_id: int, sku_id: int, location_id: int, quantity: int, *, lot_id: int | None = None) -> None:
    """Reserve units of one quant (SKU + location + lot) for an order line (all or nothing)."""
    with atomic():
        _reserve_quant(sku_id, location_id, quantity, lot_id)
        _add_to_row(order_line_id, sku_id, location_id, quantity, lot_id)


def swap_reserved_lot(order_line_id: int, sku_id: int, location_id: int, quantity: int, *, from_lot_id: int | None,
                      to_lot_id: int | None) -> None:
    """Trade `quantity` reserved units of one lot for the same units of another lot in the same bin
    (the picker took the other lot and it is as good for the order). Locks: the old lot's reservation
    rows, then the new lot's quant by a conditional UPDATE; refused with nothing changed when the new
    lot has fewer free units."""
    with atomic():
        _take_from_rows(order_line_id, location_id, quantity, from_lot_id)
        _release_quant(sku_id, location_id, quantity, from_lot_id)
        _reserve_quant(sku_id, location_id, quantity, to_lot_id)
        _add_to_row(order_line_id, sku_id, location_id, quantity, to_lot_id)


def move_reserved(order_line_id: int, sku_id: int, from_location_id: int, to_location_id: int, quantity: int, *,
                  reason: str, reference: str = "", user_id: int | None = None,
                  lot_id: int | None = None) -> StockMove:
    """Move reserved units and their reservation together (bin -> cart -> put-wall slot -> packing).

    Locks: the source quant (conditional UPDATE on its reserved units), the line's reservation rows
    there, then the destination quant. Refused (InsufficientStock / Conflict, nothing changed) when
    the line holds fewer units there.
    """
    from .services import move_stock

    with atomic():
        move = move_stock(sku_id, from_location_id, to_location_id, quantity, reason=reason, reference=reference,
                          user_id=user_id, from_reserved=True, lot_id=lot_id)
        _take_from_rows(order_line_id, from_location_id, quantity, lot_id)
        _reserve_quant(sku_id, to_location_id, quantity, lot_id)
        _add_to_row(order_line_id, sku_id, to_location_id, quantity, lot_id)
    return move


def consume_reserved(order_line_id: int, sku_id: int, location_id: int, to_location_id: int, quantity: int, *,
                     reason: str, reference: str = "", user_id: int | None = None,
                     lot_id: int | None = None) -> StockMove:
    """The reserved units leave: moved to a virtual location (the customer on shipment) with their
    reservation consumed. Same locks and refusals as `move_reserved`."""
    from .services import move_stock

    with atomic():
        move = move_stock(sku_id, location_id, to_location_id, quantity, reason=reason, reference=reference,
                          user_id=user_id, from_reserved=True, lot_id=lot_id)
        _take_from_rows(order_line_id, location_id, quantity, lot_id)
    return move


def release_at(order_line_id: int, sku_id: int, location_id: int, quantity: int, *, lot_id: int | None = None) -> None:
    """Give back `quantity` reserved units of a line in one location (of one lot)."""
    with atomic():
        _take_from_rows(order_line_id, location_id, quantity, lot_id)
        _release_quant(sku_id, location_id, quantity, lot_id)


def release_lines(order_line_ids: Iterable[int]) -> int:
    """Give back every unit reserved for these order lines; returns the units released.

    Locks the quants in quant-id order, so it never deadlocks with an allocation."""
    ids = list(order_line_ids)
    if not ids:
        return 0
    with atomic():
        ordered = db.session.execute(
            select(StockReservation.sku_id, StockReservation.location_id, StockReservation.lot_id,
                   func.sum(StockReservation.quantity))
            .join(Quant, (Quant.sku_id == StockReservation.sku_id)
                  & (Quant.location_id == StockReservation.location_id)
                  & (func.coalesce(Quant.lot_id, 0) == func.coalesce(StockReservation.lot_id, 0)))
            .where(StockReservation.order_line_id.in_(ids))
            .group_by(StockReservation.sku_id, StockReservation.location_id, StockReservation.lot_id, Quant.id)
            .order_by(Quant.id)).all()
        released = 0
        for sku_id, location_id, lot_id, quantity in ordered:
            _release_quant(sku_id, location_id, int(quantity), lot_id)
            released += int(quantity)
        db.session.execute(delete(StockReservation).where(StockReservation.order_line_id.in_(ids))
                           .execution_options(synchronize_session="fetch"))
    return released
