"""What a scan at the pack station names: a cart (tote) label, a put-wall slot, an order number or a
waybill; and which orders wait on a cart. Reads only (the pack services write)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from erp_core.extensions import db
from erp_core.inventory.models import Location, StockReservation
from erp_core.orders.models import Order, OrderLine
from wms.picking.models import PickList, Wave, WaveOrder
from wms.scanning import ScanRefused

from .models import Package, Shipment
from .pack_models import PackProgress
from .pack_steps import PackState, WaitingOrder
from .services import PACKABLE

SINGLE_WAVES = frozenset({"single", "single_sku"})  # one scan of the item packs an order


@dataclass(frozen=True)
class CartAtStation:
    """A cart brought to the station: its pick list and wave, and the orders on it waiting to be packed."""

    pick_list: PickList
    location: Location
    waiting: list[WaitingOrder] = field(default_factory=list)

    @property
    def wave(self) -> Wave:
        return self.pick_list.wave

    @property
    def single(self) -> bool:
        """一单一货 / 爆款: a single-item or single-SKU wave, or a cart of one-unit orders only."""
        return bool(self.waiting) and (self.wave.kind in SINGLE_WAVES
                                       or all(sum(o.skus_left.values()) == 1 for o in self.waiting))


@dataclass(frozen=True)
class Target:
    """What a scan named: an order to pack, a cart of orders, or a shipment packed already."""

    order: Order | None = None
    cart: CartAtStation | None = None
    shipment: Shipment | None = None


def cart_empty(cart: str) -> ScanRefused:
    return ScanRefused(f"Nothing on cart {cart} waits to be packed.", code="pack_cart_empty", cart=cart)


def cart_to_put_wall(cart: str) -> ScanRefused:
    return ScanRefused(f"Cart {cart} is a batch cart: sort it at the put wall, then scan the order's slot.",
                       code="pack_cart_to_put_wall", cart=cart)


def slot_empty(slot: str) -> ScanRefused:
    return ScanRefused(f"Put-wall slot {slot} holds no order to pack.", code="pack_slot_empty", slot=slot)


def _bin(code: str, warehouse_id: int) -> Location | None:
    return db.session.scalar(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.bin_type.in_(("tote", "put_wall")),
        or_(Location.barcode == code, func.upper(Location.code) == code.upper())).limit(1))


def _orders_holding(location_id: int) -> dict[int, dict[int, int]]:
    """{order id: {SKU id: units}} of the reservations held in a location (a cart or a slot)."""
    rows = db.session.execute(
        select(OrderLine.order_id, StockReservation.sku_id, func.sum(StockReservation.quantity))
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
        .where(StockReservation.location_id == location_id, StockReservation.quantity > 0)
        .group_by(OrderLine.order_id, StockReservation.sku_id))
    held: dict[int, dict[int, int]] = {}
    for order_id, sku_id, qty in rows:
        held.setdefault(order_id, {})[sku_id] = int(qty)
    return held


def cart_at(location: Location) -> CartAtStation:
    """The cart behind a tote label (CART-<pick list id>) and its orders waiting to be packed, oldest
    first (a single-SKU wave: in the wave's sequence, the order its waybills print in). Units counted
    already at a station are not waiting any more."""
    pick_list = db.session.get(PickList, int(location.code.split("-")[1]))
    held = _orders_holding(location.id)
    orders = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_(held)))}
    sequence = dict(db.session.execute(select(WaveOrder.order_id, WaveOrder.sequence)
                                       .where(WaveOrder.order_id.in_(held))).all())
    counted = {p.order_id: PackState.from_json(_json(p.state)).counted()
               for p in db.session.scalars(select(PackProgress).where(PackProgress.order_id.in_(held)))}
    sku_of = dict(db.session.execute(select(OrderLine.id, OrderLine.sku_id)
                                     .where(OrderLine.order_id.in_(held))).all())
    waiting = []
    for order_id, skus in held.items():
        order = orders[order_id]
        if order.status not in PACKABLE:
            continue
        left = dict(skus)
        for line_id, qty in counted.get(order_id, {}).items():
            left[sku_of[line_id]] = left.get(sku_of[line_id], 0) - qty
        left = {sku: qty for sku, qty in left.items() if qty > 0}
        if not left:
            continue
        rank = (sequence.get(order_id, 0),) if pick_list.wave.kind == "single_sku" else (order.ordered_at,)
        waiting.append(WaitingOrder(order_id, rank, left))
    waiting.sort(key=lambda o: (o.rank, o.order_id))
    return CartAtStation(pick_list, location, waiting)


def cart_by_id(pick_list_id: int | None, warehouse_id: int) -> CartAtStation | None:
    location = db.session.scalar(select(Location).filter_by(warehouse_id=warehouse_id, code=f"CART-{pick_list_id}",
                                                            bin_type="tote")) if pick_list_id else None
    return cart_at(location) if location is not None else None


def _json(text: str) -> dict:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def live_shipment(order_id: int) -> Shipment | None:
    return db.session.scalar(select(Shipment).where(Shipment.order_id == order_id, Shipment.status != "cancelled")
                             .order_by(Shipment.id.desc()).limit(1))


def _order_by_number(code: str, warehouse_id: int) -> Order | None:
    orders = db.session.scalars(select(Order).where(Order.external_id == code, Order.warehouse_id == warehouse_id)
                                .order_by(Order.id.desc())).all()
    return next((o for o in orders if o.status in PACKABLE), None) or (orders[0] if orders else None)


def _shipment_by_number(code: str, warehouse_id: int) -> Shipment | None:
    number = "".join(code.split()).upper()
    found = db.session.scalar(select(Shipment).where(Shipment.warehouse_id == warehouse_id,
                                                     Shipment.tracking_number == number,
                                                     Shipment.status != "cancelled").limit(1))
    return found or db.session.scalar(select(Shipment).join(Package, Package.shipment_id == Shipment.id).where(
        Shipment.warehouse_id == warehouse_id, Package.tracking_number == number,
        Shipment.status != "cancelled").limit(1))


def resolve_scan(code: str, warehouse_id: int) -> Target | None:
    """What a scan names in the station's warehouse; None when it is none of a cart, a put-wall slot,
    an order number or a waybill. A cart of a batch wave, or an empty one, is refused: its units go
    to the put wall first, or there is nothing to pack."""
    code = code.strip()
    if not code:
        return None
    location = _bin(code, warehouse_id)
    if location is not None and location.bin_type == "tote":
        cart = cart_at(location)
        if cart.wave.kind == "batch_sort" and any(db.session.get(Order, o.order_id).status == "picked"
                                                  for o in cart.waiting):
            raise cart_to_put_wall(location.code)
        if not cart.waiting:
            raise cart_empty(location.code)
        return Target(cart=cart)
    if location is not None:
        held = _orders_holding(location.id)
        orders = sorted(db.session.scalars(select(Order).where(Order.id.in_(held))),
                        key=lambda o: (o.status not in PACKABLE, o.id))
        if not orders:
            raise slot_empty(location.code)
        return Target(order=orders[0])
    order = _order_by_number(code, warehouse_id)
    if order is not None:
        shipment = live_shipment(order.id) if order.status not in PACKABLE else None
        return Target(shipment=shipment) if shipment is not None else Target(order=order)
    shipment = _shipment_by_number(code, warehouse_id)
    return Target(shipment=shipment) if shipment is not None else None
