"""The put wall (播种墙): a batch cart's units sorted into the order slots of its wave.

The sorter scans the cart, then each item: the screen shows the slot of an order of that wave still
waiting for the SKU; scanning the slot's label confirms. Each confirmation moves one unit cart ->
slot in the ledger (consuming the cart's reservation for that order line and re-reserving on the
slot), so the stock and the reservations follow the goods.

Lots: a unit of a lot-tracked SKU goes with a reservation of its own lot (the lot its GS1 label
names; a plain barcode only while the cart holds one lot of the SKU), so each order is shipped the
lot its reservation names and the trace of a lot finds its customers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from erp_core.db import atomic, on_commit
from erp_core.errors import Conflict, InsufficientStock, NotFound
from erp_core.extensions import db
from erp_core.inventory.lots import find_lot
from erp_core.inventory.models import Location, StockReservation
from erp_core.inventory.reservations import line_reservations, move_reserved
from erp_core.inventory.services import lot_is, warehouse_root
from erp_core.orders.models import OrderLine
from erp_core.orders.services import record_event
from erp_core.orders.states import lock_order, transition
from wms.scanning import ScanRefused, WrongItemScanned, bin_matches, unknown_code

from . import events
from .errors import wrong_slot
from .models import PickList, Wave, WaveOrder
from .pick_lots import read_item_scan


@dataclass(frozen=True)
class SortInstruction:
    """Where the scanned unit goes: the order line waiting for it and that order's slot."""

    order_id: int
    order_line_id: int
    sku_id: int
    slot: int
    slot_code: str
    lot_id: int | None = None  # the lot of the unit (None: the SKU is not tracked by lot)


@dataclass(frozen=True)
class Sorted:
    """What one sorted unit did: its slot, its order, whether that order's slot is now complete
    (its last unit landed: the order is `sorted`), and the units still on the cart."""

    slot: int
    order_id: int
    order_number: str
    slot_complete: bool
    left_on_cart: int


def slot_location(warehouse_id: int, slot: int) -> Location:
    """The put-wall slot's location (created the first time it is used), labelled <WH>-PW-<nn>."""
    code = f"PW-{slot:02d}"
    loc = db.session.scalar(select(Location).filter_by(warehouse_id=warehouse_id, code=code))
    if loc is None:
        root = warehouse_root(warehouse_id)
        loc = Location(warehouse_id=warehouse_id, parent_id=root.id, code=code, barcode=f"{root.code}-{code}",
                       name=code, usage="internal", kind="bin", bin_type="put_wall")
        db.session.add(loc)
        db.session.flush()
    return loc


def find_cart(code: str) -> PickList | None:
    """The pick list whose cart label (<WH>-CART-<id>) was scanned, if any."""
    cart = db.session.scalar(select(Location).where(Location.barcode == code.strip(), Location.bin_type == "tote"))
    return db.session.get(PickList, int(cart.code.split("-")[1])) if cart is not None else None


def _cart_location(pick_list: PickList) -> Location:
    return db.session.scalar(select(Location).filter_by(warehouse_id=pick_list.wave.warehouse_id,
                                                        code=f"CART-{pick_list.id}"))


def require_line_on_cart(pick_list: PickList, order_line_id: int | None) -> None:
    """Refuse (NotFound) an order line that is not of an order of this cart's wave."""
    line = db.session.get(OrderLine, order_line_id) if order_line_id else None
    on_wave = line is not None and db.session.scalar(
        select(WaveOrder.id).filter_by(wave_id=pick_list.wave_id, order_id=line.order_id)) is not None
    if not on_wave:
        raise NotFound("no such order line on this cart", code="not_on_this_cart")


def where_does_it_go(pick_list_id: int, item_scan: str, typed_lot: str = "") -> SortInstruction:
    """The slot for one scanned unit: the wave's oldest order still waiting for this SKU (of the
    unit's lot, for a lot-tracked SKU) on the cart."""
    pick_list = db.session.get(PickList, pick_list_id)
    if pick_list is None:
        raise NotFound("no such cart")
    item = read_item_scan(item_scan, typed_lot)
    sku = item.sku
    if sku is None:
        raise unknown_code(item_scan.strip())
    cart = _cart_location(pick_list)
    lot_id = _lot_of_unit(sku, item.lot, cart.id) if sku.lot_tracked else None
    waiting = db.session.execute(
        select(WaveOrder, StockReservation).join(StockReservation, StockReservation.location_id == cart.id)
        .where(WaveOrder.wave_id == pick_list.wave_id, StockReservation.sku_id == sku.id,
               lot_is(StockReservation.lot_id, lot_id), StockReservation.quantity > 0)
        .order_by(WaveOrder.sequence, StockReservation.id)).all()
    for wave_order, reservation in waiting:
        if reservation.order_line_id in {line.id for line in wave_order.order.lines}:
            loc_code = slot_location(pick_list.wave.warehouse_id, wave_order.slot).barcode
            return SortInstruction(wave_order.order_id, reservation.order_line_id, sku.id, wave_order.slot, loc_code,
                                   lot_id)
    raise WrongItemScanned(f"No order on this cart waits for {sku.code}: put it aside for the supervisor.",
                           code="not_on_cart", sku=sku.code)


def _lot_of_unit(sku, lot_number: str | None, cart_id: int) -> int:
    """The lot of a scanned unit of a lot-tracked SKU: the one its label names, which must be on the
    cart; without a lot named, the cart's only lot of the SKU (with several, the label must be scanned)."""
    on_cart = set(db.session.scalars(select(StockReservation.lot_id).distinct().where(
        StockReservation.location_id == cart_id, StockReservation.sku_id == sku.id, StockReservation.quantity > 0)))
    if lot_number:
        lot = find_lot(sku.id, lot_number)
        if lot is None or lot.id not in on_cart:
            raise WrongItemScanned(f"No order on this cart waits for lot {lot_number} of {sku.code}: put it aside "
                                   "for the supervisor.", code="lot_not_on_cart", lot=lot_number, sku=sku.code)
        return lot.id
    if len(on_cart) > 1:
        raise ScanRefused(f"This cart holds several lots of {sku.code}: scan the GS1 label of the lot or type the lot.",
                          code="cart_lot_scan_needed", sku=sku.code)
    if not on_cart:
        raise WrongItemScanned(f"No order on this cart waits for {sku.code}: put it aside for the supervisor.",
                               code="not_on_cart", sku=sku.code)
    return next(iter(on_cart))


def confirm_sort(pick_list_id: int, order_line_id: int, sku_id: int, slot_scan: str, *, user_id: int,
                 lot_id: int | None = None) -> Sorted:
    """Put one unit into its order's slot; refused (nothing changes) when another slot is scanned.
    Says whether the order's slot is now complete (the order moved to `sorted`) and what is left
    on the cart.

    `lot_id` is the unit's lot (`where_does_it_go`); without it (or for an untracked SKU) the
    line's first lot on the cart goes. Locks: the cart's quant and the line's reservation rows
    there, then the slot's quant (`move_reserved`), then the order row when it is complete."""
    with atomic():
        pick_list = db.session.get(PickList, pick_list_id)
        require_line_on_cart(pick_list, order_line_id)
        wave: Wave = pick_list.wave
        line = db.session.get(OrderLine, order_line_id)
        wave_order = db.session.scalar(select(WaveOrder).filter_by(wave_id=wave.id, order_id=line.order_id))
        slot = slot_location(wave.warehouse_id, wave_order.slot)
        if not bin_matches(slot, slot_scan):
            raise wrong_slot(slot_scan.strip(), wave_order.slot)
        cart = _cart_location(pick_list)
        held = line_reservations(line.id, cart.id)
        if not held:
            raise ScanRefused("this unit is already sorted", code="already_sorted")
        if lot_id is None:
            lot_id = held[0][1]  # units of one line and one lot on a cart are interchangeable
        elif all(lot != lot_id for _, lot, _ in held):
            raise ScanRefused("this unit is already sorted", code="already_sorted")
        try:
            move_reserved(line.id, sku_id, cart.id, slot.id, 1, reason="move", reference=f"SORT-{wave.reference}",
                          user_id=user_id, lot_id=lot_id)
        except (InsufficientStock, Conflict) as error:
            raise ScanRefused("this unit is already sorted", code="already_sorted") from error
        complete = _sorted_when_complete(line.order_id, slot, user_id)
        on_commit(lambda: events.list_changed(pick_list_id))
        return Sorted(wave_order.slot, line.order_id, wave_order.order.external_id, complete,
                      left_on_cart(pick_list_id))


def _sorted_when_complete(order_id: int, slot: Location, user_id: int) -> bool:
    """The order is `sorted` once all its picked units (and their reservations) are in its slot,
    and picking it is over (`picked`). True when the order's slot is complete (sorted now or
    before)."""
    elsewhere = db.session.scalar(
        select(func.count()).select_from(StockReservation)
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
        .where(OrderLine.order_id == order_id, StockReservation.location_id != slot.id))
    if elsewhere:
        return False
    order = lock_order(order_id)
    if order.status == "picked":
        transition(order, "sorted")
        record_event(order, "sorted", f"all units in put-wall slot {slot.code}", user_id)
    return order.status == "sorted"


def left_on_cart(pick_list_id: int) -> int:
    """Units on the cart still waiting to be sorted."""
    pick_list = db.session.get(PickList, pick_list_id)
    cart = _cart_location(pick_list)
    return sum(r.quantity for r in db.session.scalars(select(StockReservation).filter_by(location_id=cart.id)))
