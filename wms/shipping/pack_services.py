"""The pack station's scans as services (复核 / 打包): one scan, one unit of work.

Each reads what the scan names (`pack_lookup`), asks the pure steps (`pack_steps`) what it means,
stores the order's progress (`PackProgress`) and, once every package is weighed, packs the order out
through `services.pack_out`. All of it runs in one `atomic()`: inside the request's own transaction
(the idempotency layer's) that is a savepoint, so a refused scan changes nothing, and a replayed one
gets the stored answer without being counted again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from erp_core.catalog.services import find_sku_by_scan
from erp_core.db import atomic
from erp_core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location
from erp_core.inventory.reservations import line_reservations
from erp_core.models_base import utcnow
from erp_core.orders.allocation import pick_lines
from erp_core.orders.models import Order
from erp_core.orders.states import lock_order
from erp_core.statemachine import compare_and_set
from wms.scanning import ScanRefused, WrongItemScanned

from . import pack_steps as steps
from .models import EXCEPTION_TRANSITIONS, BoxType, Package, Shipment, ShippingException
from .pack_lookup import CartAtStation, cart_by_id, live_shipment, resolve_scan
from .pack_models import PackProgress
from .rules import Box, suggest_box
from .scale import parse_weight
from .services import (
    PACKABLE,
    PackedPackage,
    PackOutcome,
    assign_carrier,
    cancel_shipment,
    expected_weight,
    pack_out,
    set_tracking_number,
    wave_kind_of,
)
from .waybill_printing import print_waybill_quietly


@dataclass
class PackAnswer:
    """What a scan did, for the screen: what to say, the order (and its progress) now at the station,
    the cart kept for the next scan, the shipment packed, a weight exception opened."""

    say: str
    params: dict = field(default_factory=dict)
    order: Order | None = None
    state: steps.PackState | None = None
    cart: CartAtStation | None = None
    shipment: Shipment | None = None
    outcome: PackOutcome | None = None


def scan_first() -> ScanRefused:
    return ScanRefused("Scan the cart, the order number or the waybill first, then the items.",
                       code="pack_order_first")


def nothing_known(scanned: str) -> WrongItemScanned:
    return WrongItemScanned(f"{scanned or '–'} is no cart, put-wall slot, order, waybill or item here.",
                            code="pack_scan_unknown", scanned=scanned or "–")


def not_on_cart(sku: str, cart: str) -> WrongItemScanned:
    return WrongItemScanned(f"No order on cart {cart} waits for {sku}: put it aside for the supervisor.",
                            code="pack_not_on_cart", sku=sku, cart=cart)


def check_packable(order: Order) -> None:
    """Refused (nothing changes) unless the order waits at packing: picked, or sorted for a batch wave."""
    if order.status not in PACKABLE:
        raise Conflict(f"order {order.external_id} is {order.status}: it cannot be packed", code="not_packable",
                       order=order.external_id, order_status=order.status)
    if order.status == "picked" and wave_kind_of(order.id) == "batch_sort":
        raise Conflict(f"order {order.external_id} is still on the put wall: sort it first", code="not_sorted",
                       order=order.external_id)


def lines_to_pack(order: Order) -> list[steps.LineToPack]:
    """The order's pick lines with the units it holds (what the packages must hold)."""
    found = []
    for line in pick_lines(order):
        units = sum(q for *_, q in line_reservations(line.id))
        if units:
            found.append(steps.LineToPack(line.id, line.sku_id, line.sku.code, units))
    return found


def progress_of(order_id: int) -> steps.PackState:
    row = db.session.scalar(select(PackProgress).filter_by(order_id=order_id))
    return steps.PackState.from_json(json.loads(row.state or "{}")) if row is not None else steps.PackState()


def _save(order: Order, station: Location, state: steps.PackState, user_id: int | None) -> None:
    row = db.session.scalar(select(PackProgress).filter_by(order_id=order.id))
    if row is None:
        row = PackProgress(order_id=order.id, station_location_id=station.id)
        db.session.add(row)
    row.station_location_id, row.user_id = station.id, user_id
    row.state, row.updated_at = json.dumps(state.to_json()), utcnow()
    db.session.flush()


def _forget(order_id: int) -> None:
    row = db.session.scalar(select(PackProgress).filter_by(order_id=order_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def _order_here(order_id: int, station: Location) -> Order:
    """The order under its row lock, when it lies in the station's warehouse and waits at packing."""
    order = lock_order(order_id)
    if order.warehouse_id != station.warehouse_id:
        raise NotFound("no such order", code="unknown_order", order_id=order_id)
    check_packable(order)
    return order


def order_at_station(station: Location) -> Order | None:
    """The order the station was last working on and still waits (what a reload shows)."""
    rows = db.session.scalars(select(PackProgress).filter_by(station_location_id=station.id)
                              .order_by(PackProgress.updated_at.desc(), PackProgress.id.desc()).limit(10))
    return next((row.order for row in rows if row.order.status in PACKABLE), None)


def open_weight_exception(order_id: int) -> ShippingException | None:
    return db.session.scalar(select(ShippingException).where(
        ShippingException.order_id == order_id, ShippingException.kind == "weight",
        ShippingException.status == "open").order_by(ShippingException.id.desc()).limit(1))


def suggested_box(order: Order, lines: dict[int, int]) -> BoxType | None:
    """The smallest active box that fits these units (from the SKUs' sizes and weights)."""
    skus = {line.id: line.sku for line in order.lines}
    boxes = db.session.scalars(select(BoxType).where(BoxType.active.is_(True)).order_by(BoxType.id)).all()
    items = [((skus[i].length_mm, skus[i].width_mm, skus[i].height_mm), q) for i, q in lines.items() if q]
    weight = sum(skus[i].weight_g * q for i, q in lines.items())
    best = suggest_box(items, [Box(b.id, (b.inner_length_mm, b.inner_width_mm, b.inner_height_mm), b.tare_g,
                                   b.max_weight_g) for b in boxes], weight_g=weight)
    return db.session.get(BoxType, best.id) if best is not None else None


# --- the scans -----------------------------------------------------------------------------------

def scan(station: Location, code: str, *, order_id: int | None = None, cart_id: int | None = None,
         quantity: int = 1, weight_text: str = "", user_id: int | None = None) -> PackAnswer:
    """One scan at the station. With an order open, an item is counted into its open package; a cart,
    slot, order number or waybill opens what it names instead. With a cart of one-unit orders (or a
    single-SKU wave) at the station, the item packs the oldest (next) order waiting for it at once.

    Locks and guarantees: the order row (`lock_order`), then its progress row; counting moves no
    stock. A refused scan (wrong or extra item, unknown code) changes nothing."""
    code = code.strip()
    with atomic():
        sku = find_sku_by_scan(code) if code else None
        cart = cart_by_id(cart_id, station.warehouse_id) if cart_id else None
        if order_id and sku is not None:
            return _count(order_id, station, sku, code, quantity, user_id, cart)
        target = resolve_scan(code, station.warehouse_id)
        if target is not None:
            return _open(target, station, user_id)
        if sku is not None and cart is not None:
            if cart.single:
                return _pack_single(cart, sku, station, weight_text, user_id)
            waiting = steps.order_for_unit(cart.waiting, sku.id)
            if waiting is None:
                raise not_on_cart(sku.code, cart.location.code)
            return _count(waiting.order_id, station, sku, code, quantity, user_id, cart)
        if sku is not None:
            raise scan_first()
        raise nothing_known(code)


def _open(target, station: Location, user_id: int | None) -> PackAnswer:
    if target.shipment is not None:
        return PackAnswer("shipment_found", {"ref": target.shipment.reference}, shipment=target.shipment)
    if target.cart is not None and (target.cart.single or len(target.cart.waiting) > 1):
        return PackAnswer("cart_single" if target.cart.single else "cart_orders",
                          {"cart": target.cart.location.code, "n": len(target.cart.waiting)}, cart=target.cart)
    cart = target.cart
    order = _order_here(cart.waiting[0].order_id if cart else target.order.id, station)
    state = progress_of(order.id)
    _save(order, station, state, user_id)
    return PackAnswer("order_open", {"order": order.external_id}, order=order, state=state, cart=cart)


def _count(order_id: int, station: Location, sku, code: str, quantity: int, user_id: int | None,
           cart: CartAtStation | None) -> PackAnswer:
    order = _order_here(order_id, station)
    step = steps.count_units(progress_of(order.id), lines_to_pack(order), sku.id, code, quantity)
    if isinstance(step, DomainError):
        raise step
    _save(order, station, step.state, user_id)
    return PackAnswer(step.say, dict(step.params), order=order, state=step.state, cart=cart)


def _pack_single(cart: CartAtStation, sku, station: Location, weight_text: str, user_id: int | None) -> PackAnswer:
    """一单一货 / 爆款: the oldest (next) order of the cart that holds only this SKU, packed in one
    scan with the suggested box and the expected weight, unless the scale's weight is given."""
    waiting = steps.order_for_unit(cart.waiting, sku.id, single_only=True)
    if waiting is None:
        raise not_on_cart(sku.code, cart.location.code)
    order = _order_here(waiting.order_id, station)
    units = {line.line_id: line.units for line in lines_to_pack(order)}
    box = suggested_box(order, units)
    weight = parse_weight(weight_text) if weight_text.strip() else expected_weight(units, order, [box] if box else [])
    state = steps.PackState((steps.PackageProgress(units, box.id if box else None, weight),))
    return _pack(order, station, state, user_id, override=False, cart=cart)


def open_package(station: Location, order_id: int, *, user_id: int | None = None) -> PackAnswer:
    """Another package for the order (多包裹): the next units go into it."""
    with atomic():
        order = _order_here(order_id, station)
        step = steps.open_package(progress_of(order.id), lines_to_pack(order))
        if isinstance(step, DomainError):
            raise step
        _save(order, station, step.state, user_id)
        return PackAnswer(step.say, dict(step.params), order=order, state=step.state)


def restart(station: Location, order_id: int, *, user_id: int | None = None) -> PackAnswer:
    """Count the order again from nothing (its units were mixed up): the progress is dropped."""
    with atomic():
        order = _order_here(order_id, station)
        _save(order, station, steps.PackState(), user_id)
        return PackAnswer("restarted", {"order": order.external_id}, order=order, state=steps.PackState())


def weigh(station: Location, order_id: int, *, package: int, box_type_id: int | None, weight_text: str,
          override: bool = False, may_override: bool = False, user_id: int | None = None,
          cart_id: int | None = None) -> PackAnswer:
    """The weight of one package (typed, scanned or from the scale) and its box; the last one packs
    the order out. A weight outside the warehouse's tolerance opens a weight exception and changes
    nothing else; then only a supervisor (`may_override`) packs it, after re-weighing.

    Locks: the order row, then what `pack_out` locks."""
    with atomic():
        weight = parse_weight(weight_text)
        order = _order_here(order_id, station)
        if override and not may_override:
            raise PermissionDenied("only a supervisor may override the weight check", code="pack_override_denied")
        if not may_override and open_weight_exception(order.id) is not None:
            raise Conflict(f"order {order.external_id} is on the exceptions desk for its weight",
                           code="pack_weight_exception_open", order=order.external_id)
        if box_type_id is not None:
            box = db.session.get(BoxType, box_type_id)
            if box is None or not box.active:
                raise ValidationFailed("choose an active box type", code="unknown_box_type")
        step = steps.weigh(progress_of(order.id), lines_to_pack(order), package, box_type_id, weight)
        if isinstance(step, DomainError):
            raise step
        cart = cart_by_id(cart_id, station.warehouse_id) if cart_id else None
        if not step.confirm:
            _save(order, station, step.state, user_id)
            return PackAnswer(step.say, dict(step.params), order=order, state=step.state, cart=cart)
        return _pack(order, station, step.state, user_id, override=override, cart=cart)


def _pack(order: Order, station: Location, state: steps.PackState, user_id: int | None, *, override: bool,
          cart: CartAtStation | None) -> PackAnswer:
    packages = [PackedPackage(box, weight, lines) for box, weight, lines in steps.packages_to_pack(state)]
    outcome = pack_out(order.id, station_location_id=station.id, packages=packages, user_id=user_id,
                       override_weight=override)
    if outcome.exception is not None:
        again = steps.unweighed(state)
        _save(order, station, again, user_id)
        check = outcome.weight
        return PackAnswer("weight_exception", {"expected": check.expected_g, "measured": check.measured_g,
                                               "allowed": check.allowed_g}, order=order, state=again,
                          outcome=outcome, cart=cart)
    _forget(order.id)
    for exception in db.session.scalars(select(ShippingException).where(
            ShippingException.order_id == order.id, ShippingException.kind == "weight",
            ShippingException.status == "open")):
        how = "overridden" if override else "re-weighed within the tolerance"
        compare_and_set(exception, "resolved", EXCEPTION_TRANSITIONS, what=f"exception #{exception.id}",
                        resolution=f"{how} at the pack station: {outcome.weight.measured_g} g"[:300],
                        resolved_by_id=user_id, resolved_at=utcnow())
    if cart is not None:
        cart = cart_by_id(cart.pick_list.id, station.warehouse_id)
    shipment = outcome.shipment
    print_waybill_quietly(shipment, user_id=user_id)  # to the station's printer, after commit, if it has one
    return PackAnswer("packed", {"ref": shipment.reference, "tracking": shipment.tracking_number},
                      shipment=shipment, cart=cart if cart is not None and cart.waiting else None)


# --- after the pack-out: the waybill's number and the carrier -------------------------------------

def _shipment_here(shipment_id: int, station: Location) -> Shipment:
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or shipment.warehouse_id != station.warehouse_id:
        raise NotFound("no such shipment", code="unknown_shipment", shipment_id=shipment_id)
    return shipment


def scan_tracking_number(station: Location, shipment_id: int, number: str, *, user_id: int | None = None) -> Shipment:
    """The number of a manual carrier's pre-printed waybill, scanned at the station."""
    with atomic():
        _shipment_here(shipment_id, station)
        shipment = set_tracking_number(shipment_id, number, user_id=user_id)
        print_waybill_quietly(shipment, user_id=user_id)  # now that it has its number
        return shipment


def change_carrier(station: Location, shipment_id: int, carrier_code: str, *, user_id: int | None = None) -> Shipment:
    """The desk overrides the carrier. Without a number yet the carrier is assigned; with one, the
    waybill is cancelled (its number voided with the carrier) and the same parcels are packed again
    under the new carrier, all in one transaction (a refusal by the new carrier keeps the old waybill).

    Locks: the shipment row, then the order row (cancel_shipment), then what pack_out locks."""
    with atomic():
        shipment = _shipment_here(shipment_id, station)
        if shipment.status != "packed":
            raise Conflict(f"shipment {shipment.reference} is {shipment.status}", code="pack_carrier_locked",
                           reference=shipment.reference, current=shipment.status)
        if not shipment.tracking_number:
            return assign_carrier(shipment.id, carrier_code, user_id=user_id)
        packages = []
        for package in db.session.scalars(select(Package).filter_by(shipment_id=shipment.id)
                                          .order_by(Package.sequence)):
            lines: dict[int, int] = {}
            for line in shipment.lines:
                if line.package_id == package.id:
                    lines[line.order_line_id] = lines.get(line.order_line_id, 0) + line.quantity
            packages.append(PackedPackage(package.box_type_id, package.weight_g, lines))
        cancel_shipment(shipment.id, reason=f"carrier changed to {carrier_code.strip().upper()}", user_id=user_id)
        # The parcels were weighed and accepted when they were packed; changing the carrier weighs nothing.
        outcome = pack_out(shipment.order_id, station_location_id=shipment.station_location_id, packages=packages,
                           user_id=user_id, carrier_code=carrier_code, override_weight=True)
        return outcome.shipment


def shipment_of(order_id: int) -> Shipment | None:
    return live_shipment(order_id)
