"""Traceability of a lot (批次追溯): the lots list, and for one lot every receipt, every move, every
order that took or holds units of it (with the customer), and where the rest lies now. Read only.

Orders are found from the reservation rows of the lot (allocated, and picked units travelling to
packing keep their reservation) and from the sources the floor registers (`register_order_source`:
the WMS adds its pick tasks, since erp_core never imports wms), so an order stays traceable after
its reservation is consumed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..catalog.models import Sku
from ..channels.models import Channel
from ..customers.models import Customer
from ..extensions import db
from .lot_rules import ExpiryAlert, expiry_alert
from .models import Location, Lot, Quant, StockMove, StockReservation, Warehouse
from .reservations import business_today, free_units
from .stock_queries import Page, paginate, sku_search_clause

# Where picked units wait for packing: a reservation there means the order already took the units.
IN_MOTION_BIN_TYPES = ("tote", "put_wall", "packing")
TAKEN_STATUSES = frozenset({"picking", "picked", "sorted", "packed", "shipped"})

# A source of "which orders took units of this lot": lot_id -> {order_id: units taken}.
OrderSource = Callable[[int], dict[int, int]]
_ORDER_SOURCES: list[OrderSource] = []


def register_order_source(source: OrderSource) -> None:
    """Add a source of orders that took units of a lot (the WMS registers its pick tasks)."""
    if source not in _ORDER_SOURCES:
        _ORDER_SOURCES.append(source)


# --- the lots list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotRow:
    """One lot in one warehouse (warehouse None: the lot has no stock the user may see)."""

    lot: Lot
    sku_code: str
    sku_name: str
    sku_name_zh: str
    min_ship_life_days: int | None
    warehouse_code: str | None
    on_hand: int
    reserved: int
    available: int
    alert: ExpiryAlert | None

    def sku_display(self, locale: str) -> str:
        return self.sku_name_zh if locale.startswith("zh") and self.sku_name_zh else self.sku_name


def _stock_per_warehouse(warehouse_ids: set[int] | None):
    stmt = (select(Quant.lot_id.label("lot_id"), Location.warehouse_id.label("wh"),
                   func.sum(Quant.quantity).label("on_hand"), func.sum(Quant.reserved_quantity).label("reserved"),
                   func.sum(free_units()).label("free"))
            .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Quant.lot_id.is_not(None), Location.usage == "internal")
            .group_by(Quant.lot_id, Location.warehouse_id)
            .having(or_(func.sum(Quant.quantity) > 0, func.sum(Quant.reserved_quantity) > 0)))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    return stmt.subquery()


def lots_page(*, warehouse_ids: set[int] | None, query: str = "", expiring_within: int | None = None,
              on_hold: bool = False, short_dated: bool = False, with_stock: bool = False,
              page: int = 1, per_page: int = 50, today: date | None = None, alert_days: int = 30) -> Page:
    """Lots by SKU code then expiry, one row per warehouse holding some; `query` matches the SKU
    (code, name, barcode) or the lot number; `expiring_within` keeps lots expiring, or reaching
    their shipping limit, within that many days (expired ones included)."""
    today = today or business_today()
    stock = _stock_per_warehouse(warehouse_ids)
    stmt = (select(Lot, Sku.code, Sku.name, Sku.name_zh, Sku.min_ship_life_days, Warehouse.code,
                   stock.c.on_hand, stock.c.reserved, stock.c.free)
            .join(Sku, Sku.id == Lot.sku_id)
            .outerjoin(stock, stock.c.lot_id == Lot.id).outerjoin(Warehouse, Warehouse.id == stock.c.wh)
            .order_by(Sku.code, Lot.expiry_date, Lot.lot_number, Warehouse.code))
    if query.strip():
        number = query.strip().upper()
        stmt = stmt.where(or_(sku_search_clause(query), func.upper(Lot.lot_number).contains(number, autoescape=True)))
    if on_hold:
        stmt = stmt.where(Lot.on_hold.is_(True))
    if short_dated:
        stmt = stmt.where(Lot.short_dated_receipt.is_(True))
    if with_stock or expiring_within is not None:
        stmt = stmt.where(stock.c.on_hand > 0)
    if expiring_within is not None:
        stmt = stmt.where(Lot.id.in_(due_lot_ids(expiring_within, today)))
    found = paginate(stmt, page, per_page)
    rows = [LotRow(lot, code, name, name_zh, min_ship, wh, int(q or 0), int(r or 0), int(f or 0),
                   expiry_alert(today, lot.expiry_date, min_ship, alert_days))
            for lot, code, name, name_zh, min_ship, wh, q, r, f in found.items]
    return Page(rows, found.page, found.per_page, found.total)


def due_lot_ids(window_days: int, today: date | None = None):
    """A SELECT of the ids of lots expiring, or reaching their shipping limit, within `window_days`.

    The shipping limit is expiry minus the SKU's min_ship_life_days; date arithmetic differs between
    SQLite and PostgreSQL, so the SQL takes every lot up to the widest limit and the rule is applied
    per SKU in Python (the candidates are few: lots near their dates)."""
    from datetime import timedelta

    today = today or business_today()
    widest = db.session.scalar(select(func.max(Sku.min_ship_life_days)).where(Sku.lot_tracked.is_(True))) or 0
    horizon = today + timedelta(days=window_days + widest)
    candidates = db.session.execute(
        select(Lot.id, Lot.expiry_date, Sku.min_ship_life_days).join(Sku, Sku.id == Lot.sku_id)
        .where(Lot.expiry_date.is_not(None), Lot.expiry_date <= horizon)).all()
    due = [lot_id for lot_id, expiry, min_ship in candidates
           if (alert := expiry_alert(today, expiry, min_ship, window_days)) is not None and alert.due]
    return select(Lot.id).where(Lot.id.in_(due or [0]))


# --- one lot ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotBin:
    """Units of the lot in one stock location, with the units reserved there."""

    warehouse_id: int
    warehouse_code: str
    location_id: int
    location_code: str
    bin_type: str | None
    quantity: int
    reserved: int

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


def lot_bins(lot_id: int, warehouse_ids: set[int] | None) -> list[LotBin]:
    """Where the rest of the lot lies now: every stock location holding or reserving some of it."""
    stmt = (select(Warehouse.id, Warehouse.code, Location.id, Location.code, Location.bin_type, Quant.quantity,
                   Quant.reserved_quantity)
            .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Quant.lot_id == lot_id, Location.usage == "internal",
                   or_(Quant.quantity > 0, Quant.reserved_quantity > 0))
            .order_by(Warehouse.code, Location.code))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    return [LotBin(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class LotMove:
    id: int
    created_at: datetime
    reason: str
    quantity: int
    reference: str
    note: str
    username: str | None
    from_code: str
    from_warehouse: str | None
    to_code: str
    to_warehouse: str | None


def _moves_stmt(lot_id: int, warehouse_ids: set[int] | None):
    src, dst = aliased(Location), aliased(Location)
    wsrc, wdst = aliased(Warehouse), aliased(Warehouse)
    stmt = (select(StockMove.id, StockMove.created_at, StockMove.reason, StockMove.quantity, StockMove.reference,
                   StockMove.note, User.username, src.code, wsrc.code, dst.code, wdst.code)
            .join(src, src.id == StockMove.from_location_id).join(dst, dst.id == StockMove.to_location_id)
            .outerjoin(wsrc, wsrc.id == src.warehouse_id).outerjoin(wdst, wdst.id == dst.warehouse_id)
            .outerjoin(User, User.id == StockMove.user_id)
            .where(StockMove.lot_id == lot_id))
    if warehouse_ids is not None:
        stmt = stmt.where(or_(src.warehouse_id.in_(warehouse_ids), dst.warehouse_id.in_(warehouse_ids)))
    return stmt


def lot_receipts(lot_id: int, warehouse_ids: set[int] | None) -> list[LotMove]:
    """Every receipt of the lot (moves with reason receipt: date, reference/ASN, quantity, user), oldest first."""
    stmt = _moves_stmt(lot_id, warehouse_ids).where(StockMove.reason == "receipt").order_by(StockMove.id)
    return [LotMove(*row) for row in db.session.execute(stmt)]


def lot_moves(lot_id: int, warehouse_ids: set[int] | None, *, page: int = 1, per_page: int = 50) -> Page:
    """Every move of the lot, newest first."""
    stmt = _moves_stmt(lot_id, warehouse_ids).order_by(StockMove.created_at.desc(), StockMove.id.desc())
    found = paginate(stmt, page, per_page)
    return Page([LotMove(*row) for row in found.items], found.page, found.per_page, found.total)


@dataclass
class LotOrder:
    """An order that took units of the lot or holds a reservation on it, with its customer."""

    order_id: int
    external_id: str
    channel_code: str
    status: str
    warehouse_code: str | None
    customer_name: str
    ship_name: str
    ship_phone: str
    ship_city: str
    ordered_at: datetime | None
    reserved: int = 0  # units reserved in storage bins (not picked yet)
    taken: int = 0  # units picked (on a cart, at the put wall, at packing, or gone)
    locations: list[str] = field(default_factory=list)

    @property
    def took_units(self) -> bool:
        return self.taken > 0

    @property
    def holdable(self) -> bool:
        """Open and not picked: a hold releases its reservations (the order workflow's hold)."""
        return self.taken == 0 and self.status in {"pending", "approved", "backordered", "released"}


def lot_orders(lot_id: int, warehouse_ids: set[int] | None = None) -> list[LotOrder]:
    """Every order of the lot: those that took units (picked, shipped) first, then those that only
    reserve some, each with its customer; by order id within each group."""
    from ..orders.models import Order, OrderLine

    reserved: dict[int, int] = defaultdict(int)
    in_motion: dict[int, int] = defaultdict(int)
    where: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(
        select(OrderLine.order_id, Location.code, Location.bin_type, func.sum(StockReservation.quantity))
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
        .join(Location, Location.id == StockReservation.location_id)
        .where(StockReservation.lot_id == lot_id)
        .group_by(OrderLine.order_id, Location.code, Location.bin_type))
    for order_id, code, bin_type, units in rows:
        (in_motion if bin_type in IN_MOTION_BIN_TYPES else reserved)[order_id] += int(units)
        where[order_id].add(code)
    picked: dict[int, int] = defaultdict(int)
    for source in _ORDER_SOURCES:
        for order_id, units in source(lot_id).items():
            picked[order_id] += units
    ids = set(reserved) | set(in_motion) | set(picked)
    if not ids:
        return []
    stmt = (select(Order, Channel.code, Warehouse.code, Customer.name)
            .join(Channel, Channel.id == Order.channel_id)
            .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(Order.id.in_(ids)).order_by(Order.id))
    if warehouse_ids is not None:
        stmt = stmt.where(Order.warehouse_id.in_(warehouse_ids))
    found = []
    for order, channel, wh, customer in db.session.execute(stmt):
        # Picked units keep their reservation until shipped: counted once, from whichever knows more.
        taken = max(picked.get(order.id, 0), in_motion.get(order.id, 0))
        found.append(LotOrder(order.id, order.external_id, channel, order.status, wh, customer or "", order.ship_name,
                              order.ship_phone, order.ship_city, order.ordered_at, reserved.get(order.id, 0), taken,
                              sorted(where.get(order.id, ()))))
    return sorted(found, key=lambda o: (not o.took_units, o.order_id))


@dataclass(frozen=True)
class TraceSummary:
    received: int
    receipts: int
    on_hand: int
    reserved: int
    orders_took: int
    orders_reserving: int


def trace_summary(lot_id: int, warehouse_ids: set[int] | None) -> TraceSummary:
    receipts = lot_receipts(lot_id, warehouse_ids)
    bins = lot_bins(lot_id, warehouse_ids)
    orders = lot_orders(lot_id, warehouse_ids)
    return TraceSummary(sum(r.quantity for r in receipts), len(receipts), sum(b.quantity for b in bins),
                        sum(b.reserved for b in bins), sum(1 for o in orders if o.took_units),
                        sum(1 for o in orders if not o.took_units))


def lots_by_id(ids: Iterable[int]) -> dict[int, Lot]:
    wanted = list(set(ids))
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(wanted)))} if wanted else {}


def lots_query(*, sku_id: int | None = None, expiring_within: int | None = None, on_hold: bool | None = None,
               today: date | None = None):
    """A SELECT of lots (the API's list), by SKU then expiry."""
    stmt = select(Lot).join(Sku, Sku.id == Lot.sku_id).order_by(Sku.code, Lot.expiry_date, Lot.lot_number, Lot.id)
    if sku_id is not None:
        stmt = stmt.where(Lot.sku_id == sku_id)
    if on_hold is not None:
        stmt = stmt.where(Lot.on_hold.is_(on_hold))
    if expiring_within is not None:
        stmt = stmt.where(Lot.id.in_(due_lot_ids(expiring_within, today)))
    return stmt


def lot_totals(lot_ids: Iterable[int], warehouse_ids: set[int] | None) -> dict[int, tuple[int, int, int]]:
    """{lot id: (on hand, reserved, available)} over the stock locations of these warehouses."""
    ids = list(set(lot_ids))
    if not ids:
        return {}
    stmt = (select(Quant.lot_id, func.sum(Quant.quantity), func.sum(Quant.reserved_quantity), func.sum(free_units()))
            .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Quant.lot_id.in_(ids), Location.usage == "internal").group_by(Quant.lot_id))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    return {lot: (int(q or 0), int(r or 0), int(f or 0)) for lot, q, r, f in db.session.execute(stmt)}
