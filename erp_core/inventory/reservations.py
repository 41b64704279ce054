"""The one reservation API: stock held for order lines, from allocation to shipment.

A reservation row (StockReservation) says "this many units of this quant are held for this order
line". The quant's `reserved_quantity` is the sum of its rows, always: only this module changes
either, and always both in one transaction. The life of a reservation:

    reserve_line        allocation: pick faces first, oldest quant first, all or nothing
    move_reserved       the units and their reservation move together (bin -> cart -> slot -> packing)
    consume_reserved    the reserved units leave the warehouse (shipment) or are written off
    release_line / release_order   given back (cancel, hold, split, short pick)

Locks: quant rows by conditional UPDATE (`... WHERE quantity - reserved_quantity >= :q`, row count
checked), and before an allocation every candidate quant of the order's SKUs in the warehouse in
quant-id order, so concurrent allocations never deadlock. Reservation rows change by SQL
expressions (`quantity = quantity - :q WHERE quantity >= :q`), never from a value read earlier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update

from ..db import atomic
from ..errors import Conflict, InsufficientStock, ValidationFailed
from ..extensions import db
from .models import Location, Quant, StockMove, StockReservation, Warehouse

# Bins whose stock is not for sale: set aside, in motion or already someone's.
NOT_RESERVABLE_BIN_TYPES = ("damaged", "returns", "tote", "packing", "put_wall")


def _reservable_location():
    return (Location.usage == "internal") & Location.active.is_(True) & or_(
        Location.bin_type.is_(None), Location.bin_type.not_in(NOT_RESERVABLE_BIN_TYPES))


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
    bin of an active warehouse, else 0 (a column expression over Quant joined to Location and Warehouse)."""
    return case((_reservable_location() & Warehouse.active.is_(True), Quant.quantity - Quant.reserved_quantity),
                else_=0)


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


def available_by_warehouse(sku_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{warehouse_id: {sku_id: available}}: `stock_levels` as allocation reads it."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for level in stock_levels(sku_ids=sku_ids):
        if level.available > 0:
            result[level.warehouse_id][level.sku_id] = level.available
    return result


def reservable_bins(sku_id: int, warehouse_id: int, *, exclude_location_id: int | None = None,
                    bin_types: Iterable[str] | None = None) -> list[tuple[int, int]]:
    """(location id, available units) where the SKU can be reserved: pick faces first, oldest quant first."""
    pick_first = case((Location.bin_type == "pick", 0), else_=1)
    stmt = (select(Quant.location_id, Quant.quantity - Quant.reserved_quantity)
            .join(Location, Location.id == Quant.location_id)
            .where(Quant.sku_id == sku_id, Location.warehouse_id == warehouse_id, _reservable_location(),
                   Quant.quantity - Quant.reserved_quantity > 0)
            .order_by(pick_first, Quant.id))
    if exclude_location_id is not None:
        stmt = stmt.where(Location.id != exclude_location_id)
    if bin_types is not None:
        stmt = stmt.where(Location.bin_type.in_(list(bin_types)))
    return [(int(loc), int(free)) for loc, free in db.session.execute(stmt)]


def line_reserved(order_line_id: int, location_id: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
        StockReservation.order_line_id == order_line_id)
    if location_id is not None:
        stmt = stmt.where(StockReservation.location_id == location_id)
    return int(db.session.scalar(stmt))


# --- quant-level steps (private: a quant's reserved units always belong to reservation rows) ------


def _reserve_quant(sku_id: int, location_id: int, quantity: int) -> None:
    stmt = (update(Quant).where(Quant.sku_id == sku_id, Quant.location_id == location_id,
                                Quant.quantity - Quant.reserved_quantity >= quantity)
            .values(reserved_quantity=Quant.reserved_quantity + quantity)
            .execution_options(synchronize_session=False))
    if db.session.execute(stmt).rowcount != 1:
        raise InsufficientStock("not enough available stock to reserve", code="insufficient_stock",
                                sku_id=sku_id, location_id=location_id, requested=quantity)


def _release_quant(sku_id: int, location_id: int, quantity: int) -> None:
    stmt = (update(Quant).where(Quant.sku_id == sku_id, Quant.location_id == location_id,
                                Quant.reserved_quantity >= quantity)
            .values(reserved_quantity=Quant.reserved_quantity - quantity)
            .execution_options(synchronize_session=False))
    if db.session.execute(stmt).rowcount != 1:
        raise Conflict("cannot release more than is reserved", code="over_release", sku_id=sku_id,
                       location_id=location_id, requested=quantity)


def _add_to_row(order_line_id: int, sku_id: int, location_id: int, quantity: int) -> None:
    """Add units to the line's reservation row on the location (created when there is none)."""
    grown = db.session.execute(
        update(StockReservation).where(StockReservation.order_line_id == order_line_id,
                                       StockReservation.location_id == location_id)
        .values(quantity=StockReservation.quantity + quantity).execution_options(synchronize_session="fetch"))
    if grown.rowcount == 0:
        db.session.add(StockReservation(order_line_id=order_line_id, sku_id=sku_id, location_id=location_id,
                                        quantity=quantity))
        db.session.flush()


def _take_from_rows(order_line_id: int, location_id: int, quantity: int) -> None:
    """Take units off the line's reservation rows on the location; refused when they hold fewer."""
    rows = db.session.execute(
        select(StockReservation.id, StockReservation.quantity)
        .where(StockReservation.order_line_id == order_line_id, StockReservation.location_id == location_id)
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
                 partial: bool = False) -> int:
    """Reserve units for an order line in a warehouse: pick faces first, oldest quant first.

    Locks: each quant it takes from (conditional UPDATE); call `lock_quants` first when reserving
    several SKUs in one transaction. All or nothing (InsufficientStock, nothing reserved) unless
    `partial`, which reserves what there is and returns how many.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity", quantity=quantity)
    with atomic():
        remaining = quantity
        for location_id, free in reservable_bins(sku_id, warehouse_id, exclude_location_id=exclude_location_id,
                                                 bin_types=bin_types):
            if remaining == 0:
                break
            take = min(remaining, free)
            try:
                _reserve_quant(sku_id, location_id, take)
            except InsufficientStock:
                continue  # another transaction took it since we looked; try the next bin
            _add_to_row(order_line_id, sku_id, location_id, take)
            remaining -= take
        if remaining and not partial:
            raise InsufficientStock(f"only {quantity - remaining} of {quantity} could be reserved",
                                    code="insufficient_stock", sku_id=sku_id, requested=quantity,
                                    available=quantity - remaining)
        return quantity - remaining


def reserve_at(order_line_id: int, sku_id: int, location_id: int, quantity: int) -> None:
    """Reserve units of one quant for an order line (all or nothing)."""
    with atomic():
        _reserve_quant(sku_id, location_id, quantity)
        _add_to_row(order_line_id, sku_id, location_id, quantity)


def move_reserved(order_line_id: int, sku_id: int, from_location_id: int, to_location_id: int, quantity: int, *,
                  reason: str, reference: str = "", user_id: int | None = None) -> StockMove:
    """Move reserved units and their reservation together (bin -> cart -> put-wall slot -> packing).

    Locks: the source quant (conditional UPDATE on its reserved units), the line's reservation rows
    there, then the destination quant. Refused (InsufficientStock / Conflict, nothing changed) when
    the line holds fewer units there.
    """
    from .services import move_stock

    with atomic():
        move = move_stock(sku_id, from_location_id, to_location_id, quantity, reason=reason, reference=reference,
                          user_id=user_id, from_reserved=True)
        _take_from_rows(order_line_id, from_location_id, quantity)
        _reserve_quant(sku_id, to_location_id, quantity)
        _add_to_row(order_line_id, sku_id, to_location_id, quantity)
    return move


def consume_reserved(order_line_id: int, sku_id: int, location_id: int, to_location_id: int, quantity: int, *,
                     reason: str, reference: str = "", user_id: int | None = None) -> StockMove:
    """The reserved units leave: moved to a virtual location (the customer on shipment) with their
    reservation consumed. Same locks and refusals as `move_reserved`."""
    from .services import move_stock

    with atomic():
        move = move_stock(sku_id, location_id, to_location_id, quantity, reason=reason, reference=reference,
                          user_id=user_id, from_reserved=True)
        _take_from_rows(order_line_id, location_id, quantity)
    return move


def release_at(order_line_id: int, sku_id: int, location_id: int, quantity: int) -> None:
    """Give back `quantity` reserved units of a line in one location."""
    with atomic():
        _take_from_rows(order_line_id, location_id, quantity)
        _release_quant(sku_id, location_id, quantity)


def release_lines(order_line_ids: Iterable[int]) -> int:
    """Give back every unit reserved for these order lines; returns the units released.

    Locks the quants in quant-id order, so it never deadlocks with an allocation."""
    ids = list(order_line_ids)
    if not ids:
        return 0
    with atomic():
        ordered = db.session.execute(
            select(StockReservation.sku_id, StockReservation.location_id, func.sum(StockReservation.quantity))
            .join(Quant, (Quant.sku_id == StockReservation.sku_id)
                  & (Quant.location_id == StockReservation.location_id))
            .where(StockReservation.order_line_id.in_(ids))
            .group_by(StockReservation.sku_id, StockReservation.location_id, Quant.id)
            .order_by(Quant.id)).all()
        released = 0
        for sku_id, location_id, quantity in ordered:
            _release_quant(sku_id, location_id, int(quantity))
            released += int(quantity)
        db.session.execute(delete(StockReservation).where(StockReservation.order_line_id.in_(ids))
                           .execution_options(synchronize_session="fetch"))
    return released


# --- the invariant ---------------------------------------------------------------------------------


def reservation_violations() -> list[str]:
    """Every quant whose reserved quantity differs from the sum of its reservation rows, every order
    line reserved beyond its quantity, every released order not reserved exactly, every order holding
    stock in a status that must not."""
    from ..orders.models import Order, OrderLine
    from ..orders.states import RESERVING_STATUSES

    problems = []
    sums = dict(((s, loc), int(q)) for s, loc, q in db.session.execute(
        select(StockReservation.sku_id, StockReservation.location_id, func.sum(StockReservation.quantity))
        .group_by(StockReservation.sku_id, StockReservation.location_id)))
    quants = {(s, loc): int(r) for s, loc, r in db.session.execute(
        select(Quant.sku_id, Quant.location_id, Quant.reserved_quantity))}
    for key in set(sums) | {k for k, r in quants.items() if r}:
        if sums.get(key, 0) != quants.get(key, 0):
            problems.append(f"quant sku={key[0]} location={key[1]}: reserved {quants.get(key, 0)}, "
                            f"reservation rows {sums.get(key, 0)}")
    over = db.session.execute(
        select(OrderLine.id, OrderLine.quantity, func.sum(StockReservation.quantity))
        .join(StockReservation, StockReservation.order_line_id == OrderLine.id)
        .group_by(OrderLine.id, OrderLine.quantity)
        .having(func.sum(StockReservation.quantity) > OrderLine.quantity)).all()
    problems += [f"order line {line}: {held} reserved for {qty}" for line, qty, held in over]
    # A released order (allocated, not yet in a wave) has each pick line reserved exactly once.
    from ..catalog.models import Sku

    held = (select(StockReservation.order_line_id, func.sum(StockReservation.quantity).label("held"))
            .group_by(StockReservation.order_line_id).subquery())
    unpinned = db.session.execute(
        select(Order.id, OrderLine.id, OrderLine.quantity, func.coalesce(held.c.held, 0))
        .join(OrderLine, OrderLine.order_id == Order.id).join(Sku, Sku.id == OrderLine.sku_id)
        .outerjoin(held, held.c.order_line_id == OrderLine.id)
        .where(Order.status == "released", Sku.is_kit.is_(False),
               func.coalesce(held.c.held, 0) != OrderLine.quantity)).all()
    problems += [f"released order {oid} line {line}: {got} reserved for {qty}" for oid, line, qty, got in unpinned]
    holding = db.session.execute(
        select(Order.id, Order.status).join(OrderLine, OrderLine.order_id == Order.id)
        .join(StockReservation, StockReservation.order_line_id == OrderLine.id)
        .where(Order.status.not_in(RESERVING_STATUSES)).distinct()).all()
    problems += [f"order {oid} is {status} and holds reservations" for oid, status in holding]
    return problems
