"""Wave use-cases: plan and release waves (波次), with pick lists in route order.

One transaction per release: the warehouse row is locked (one release per warehouse at a time), the
candidate orders' rows in id order, wave references come from a counter row, and every order moves
`released -> picking` through the order's own transition table. Live boards hear after commit.
"""


from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import aliased, selectinload

from erp_core.db import atomic, on_commit
from erp_core.extensions import db
from erp_core.inventory.models import Location, StockReservation, Warehouse
from erp_core.models_base import utcnow
from erp_core.orders.models import Order, OrderLine
from erp_core.orders.services import record_event
from erp_core.orders.states import transition
from erp_core.sequences import next_reference
from wms.locations.geometry import PickPoint
from wms.locations.layout import layout_geometry, pick_point, warehouse_geometry
from wms.locations.replenishment import replenish_for_demand

from . import events
from .models import PickList, PickTask, Wave, WaveOrder
from .planning import OrderForWave, WavePlan, WaveRules, propose_waves


def _zone_code(location: Location) -> str:
    node = location
    while node is not None and node.kind != "zone":
        node = node.parent
    return node.code if node is not None else ""


def _pick_lines(order: Order) -> list[OrderLine]:
    return [line for line in order.lines if not line.sku.is_kit]


@dataclass
class _Floor:
    """What planning and release read once: the released orders (kept loaded for the whole call),
    the zone of each aisle, and the warehouse's geometry."""

    orders: dict[int, Order]
    zone_of_aisle: dict[int, str]
    geometry: object

    def zone(self, location: Location) -> str:
        return self.zone_of_aisle.get(location.parent_id, "") if location.parent_id else ""

    def key(self, location: Location) -> str:
        return f"{self.zone(location)}:{location.code}"


def _order_rows(*where, lock: bool = False) -> dict[int, Order]:
    """The orders matching ``where`` with what planning and release read of them, by id; ``lock``:
    their rows locked first, in id order, so a cancel or hold cannot slip in before they move on."""
    if lock:
        db.session.execute(select(Order.id).where(*where).order_by(Order.id).with_for_update())
    orders = db.session.scalars(
        select(Order).where(*where)
        .options(selectinload(Order.channel), selectinload(Order.events),
                 selectinload(Order.lines).selectinload(OrderLine.sku),
                 selectinload(Order.lines).selectinload(OrderLine.reservations)
                 .selectinload(StockReservation.location))
        .order_by(Order.id)).all()
    return {o.id: o for o in orders}


def _zones_of_aisles(warehouse_id: int) -> dict[int, str]:
    zone = aliased(Location)
    aisle = aliased(Location)
    return dict(db.session.execute(select(aisle.id, zone.code).join(zone, zone.id == aisle.parent_id)
                                   .where(aisle.warehouse_id == warehouse_id, aisle.kind == "aisle",
                                          zone.kind == "zone")).all())


def _load_floor(warehouse_id: int, *, lock: bool = False) -> _Floor:
    # Releasing (lock): the candidate orders' rows, in id order, are locked before they are read.
    orders = _order_rows(Order.warehouse_id == warehouse_id, Order.status == "released",
                         Order.id.not_in(select(WaveOrder.order_id)), lock=lock)
    return _Floor(orders, _zones_of_aisles(warehouse_id), warehouse_geometry(warehouse_id))


def _for_wave(order: Order, floor: _Floor) -> OrderForWave:
    lines = _pick_lines(order)
    picks: list[PickPoint] = []
    pinned = True
    for line in lines:
        pinned &= sum(r.quantity for r in line.reservations) == line.quantity
        for r in line.reservations:
            point = pick_point(r.location, floor.geometry)
            if point is None:
                pinned = False
                continue
            picks.append(PickPoint(point.aisle, point.y, floor.key(r.location)))
    return OrderForWave(
        order_id=order.id, picks=tuple(picks) if pinned else (), carrier=order.carrier, priority=order.priority,
        lines=tuple((line.sku_id, line.quantity) for line in lines), ship_by=order.ship_by,
        channel=order.channel.code, zones=frozenset(p.key.split(":", 1)[0] for p in picks),
        weight_g=sum(line.sku.weight_g * line.quantity for line in lines),
        volume_cm3=sum(line.sku.length_mm * line.sku.width_mm * line.sku.height_mm * line.quantity
                       for line in lines) // 1000)


def candidate_orders(warehouse_id: int) -> list[OrderForWave]:
    """Released orders of the warehouse that are in no wave yet, with their pinned bins."""
    floor = _load_floor(warehouse_id)
    return [_for_wave(order, floor) for order in floor.orders.values()]


def preview_waves(warehouse_id: int, rules: WaveRules) -> WavePlan:
    """What releasing would create now: waves, carts, routes, estimated distance and time."""
    return _plan(_load_floor(warehouse_id), warehouse_id, rules)


def _plan(floor: _Floor, warehouse_id: int, rules: WaveRules) -> WavePlan:
    orders = [_for_wave(order, floor) for order in floor.orders.values()]
    return propose_waves(orders, rules, layout_geometry(warehouse_id))


def _cart_location(warehouse_id: int, pick_list: PickList) -> Location:
    from erp_core.inventory.services import warehouse_root

    code = f"CART-{pick_list.id}"
    loc = db.session.scalar(select(Location).filter_by(warehouse_id=warehouse_id, code=code))
    if loc is None:
        wh_code = db.session.scalar(select(Location.code).filter_by(warehouse_id=warehouse_id, kind="warehouse"))
        loc = Location(warehouse_id=warehouse_id, parent_id=warehouse_root(warehouse_id).id, code=code,
                       barcode=f"{wh_code}-{code}", name=code, usage="internal", kind="bin", bin_type="tote")
        db.session.add(loc)
        db.session.flush()
    return loc


def release_waves(warehouse_id: int, rules: WaveRules, *, user_id: int | None = None) -> tuple[list[Wave], WavePlan]:
    """Plan and release waves in one transaction: pick lists in route order, orders to `picking`.

    Orders whose reservations are not all pinned to routable bins are reported in the plan's
    `excluded`, never silently dropped. A released wave's demand is checked against its pick faces
    (replenishment tasks where a face holds less than the wave needs).
    """
    with atomic():
        # One release per warehouse at a time: the second waits, then plans what the first left.
        db.session.execute(select(Warehouse.id).where(Warehouse.id == warehouse_id).with_for_update())
        floor = _load_floor(warehouse_id, lock=True)
        plan = _plan(floor, warehouse_id, rules)
        waves = []
        demand: dict[int, int] = defaultdict(int)
        for proposal in plan.waves:
            wave = Wave(reference=next_reference("W"), warehouse_id=warehouse_id, kind=proposal.kind, status="released",
                        rules=json.dumps(asdict(rules), default=str), estimated_distance_m=proposal.distance_m,
                        estimated_minutes=proposal.minutes, created_by_id=user_id, released_at=utcnow())
            db.session.add(wave)
            db.session.flush()
            for row in _create_lists(wave, proposal, floor, user_id):
                demand[row["sku_id"]] += row["quantity"]
            waves.append(wave)
        if demand:
            # Where a pick face holds less than the waves need, replenishment tasks open now.
            replenish_for_demand(warehouse_id, dict(demand), reference=",".join(w.reference for w in waves))
        ids = [w.id for w in waves]
        on_commit(lambda: events.waves_released(warehouse_id, ids))
    return waves, plan


@dataclass(frozen=True)
class CartPlan:
    """One planned pick list as release needs it (plain data: a release job keeps its plan as JSON)."""

    order_ids: tuple[int, ...]
    zone: str
    length_m: float
    method: str
    stops: tuple[str, ...]  # the route's bin keys in visiting order ("" for a stop without a bin)

    @classmethod
    def of(cls, cart) -> CartPlan:
        return cls(tuple(cart.order_ids), cart.zone, round(cart.route.length, 2), cart.route.method,
                   tuple(visit.key or "" for visit in cart.route.visits))


def _create_lists(wave: Wave, proposal, floor: _Floor, user_id: int | None) -> list[dict]:
    """Pick lists per cart; tasks in the order the route visits their bins; orders get their slot.
    Returns the task rows, inserted in one executemany."""
    placed: dict[int, WaveOrder] = {}
    wall_slots = free_put_wall_slots(wave.warehouse_id, len(proposal.order_ids)) if wave.kind == "batch_sort" else None
    rows: list[dict] = []
    for n, cart in enumerate(proposal.carts, start=1):
        rows += create_list(wave, n, CartPlan.of(cart), floor, placed, wall_slots, user_id)
    if rows:
        db.session.execute(insert(PickTask.__table__), rows)
    return rows


def create_list(wave: Wave, sequence: int, cart: CartPlan, floor: _Floor, placed: dict[int, WaveOrder],
                wall_slots: list[int] | None, user_id: int | None) -> list[dict]:
    """One cart's pick list of the wave: each of its orders (those in ``floor.orders``) placed in the
    wave once (``placed``: the wave's orders so far; the n-th takes ``wall_slots[n]`` on a put wall) and
    moved to `picking`; returns its task rows, in the order the route visits their bins (to be inserted)."""
    pick_list = PickList(wave_id=wave.id, sequence=sequence, zone=cart.zone, route_length_m=cart.length_m,
                         route_method=cart.method)
    db.session.add(pick_list)
    db.session.flush()
    cart_loc = _cart_location(wave.warehouse_id, pick_list)
    stop = {key: i for i, key in enumerate(cart.stops) if key}
    tasks = []
    for slot, order_id in enumerate((o for o in cart.order_ids if o in floor.orders), start=1):
        order = floor.orders[order_id]
        if order_id not in placed:  # zone picking puts one order on several lists
            placed[order_id] = WaveOrder(wave_id=wave.id, order_id=order_id, pick_list_id=pick_list.id,
                                         sequence=len(placed) + 1,
                                         slot=wall_slots[len(placed)] if wall_slots is not None else slot)
            db.session.add(placed[order_id])
            transition(order, "picking", code="not_releasable")
            record_event(order, "wave", f"in wave {wave.reference}", user_id)
        for line in _pick_lines(order):
            for r in line.reservations:
                key = floor.key(r.location)
                if cart.zone and not key.startswith(f"{cart.zone}:"):
                    continue
                tasks.append((stop.get(key, len(stop)), r.location.code, order_id, line, r))
    return [{"pick_list_id": pick_list.id, "sequence": seq, "order_id": order_id, "order_line_id": line.id,
             "sku_id": line.sku_id, "location_id": r.location_id, "lot_id": r.lot_id,
             "tote_location_id": cart_loc.id, "quantity": r.quantity, "picked_quantity": 0, "short_quantity": 0,
             "status": "open", "slot": placed[order_id].slot if wave.kind == "cluster" else None}
            for seq, (_stop, _code, order_id, line, r) in enumerate(sorted(tasks, key=lambda t: t[:3]), start=1)]


def free_put_wall_slots(warehouse_id: int, count: int) -> list[int]:
    """Put-wall slot numbers not held by an order of another batch wave still being picked or sorted."""
    held = set(db.session.scalars(
        select(WaveOrder.slot).join(Wave).join(Order, Order.id == WaveOrder.order_id)
        .where(Wave.warehouse_id == warehouse_id, Wave.kind == "batch_sort",
               Order.status.in_(("picking", "picked", "sorted")), WaveOrder.slot.is_not(None))))
    free, number = [], 0
    while len(free) < count:
        number += 1
        if number not in held:
            free.append(number)
    return free


def extra_pick_list(warehouse_id: int, order_id: int, order_line_id: int, sku_id: int,
                    reserved: list[tuple[int, int | None, int]], *, user_id: int | None = None) -> PickList:
    """A small pick list for units re-allocated to an order after its wave (the exceptions desk): a
    wave of its own (released; the order keeps its place in its first wave), one task per bin and lot
    in `reserved` [(location id, lot id, units)], into a cart of its own."""
    wave = Wave(reference=next_reference("W"), warehouse_id=warehouse_id, kind="single", status="released",
                rules=json.dumps({"reallocation": order_id}), created_by_id=user_id, released_at=utcnow())
    db.session.add(wave)
    db.session.flush()
    pick_list = PickList(wave_id=wave.id, sequence=1, route_method="reallocation")
    db.session.add(pick_list)
    db.session.flush()
    cart = _cart_location(warehouse_id, pick_list)
    for seq, (location_id, lot_id, qty) in enumerate(reserved, start=1):
        db.session.add(PickTask(pick_list_id=pick_list.id, sequence=seq, order_id=order_id,
                                order_line_id=order_line_id, sku_id=sku_id, location_id=location_id, lot_id=lot_id,
                                tote_location_id=cart.id, quantity=qty))
    db.session.flush()
    on_commit(lambda: events.waves_released(warehouse_id, [wave.id]))
    return pick_list
