"""The shipping desk's use-cases: pack out an order into a shipment, give it a tracking number,
cancel it at the desk, ship it. Each owns one transaction (erp_core.db.atomic) and moves stock only
through the reservation API: bin -> cart -> slot -> *packing* (pack_out) -> *customer* (ship).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from erp_core.catalog.models import Sku
from erp_core.db import atomic, locked, on_commit
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.inventory.reservations import consume_reserved, line_reservations, move_reserved
from erp_core.inventory.services import virtual_location
from erp_core.models_base import utcnow
from erp_core.orders.allocation import pick_lines
from erp_core.orders.models import Order
from erp_core.orders.services import record_event
from erp_core.orders.states import lock_order, transition
from erp_core.outbox import publish
from erp_core.sequences import next_reference
from erp_core.statemachine import compare_and_set
from wms.picking import events as board_events

from . import carrier_choice
from .carriers import adapter_for
from .models import (
    SHIPMENT_TRANSITIONS,
    BoxType,
    Carrier,
    CarrierRule,
    Package,
    Shipment,
    ShipmentLine,
    ShippingException,
)
from .rules import WeightCheck, weight_check
from .webhook_events import announce_shipped

PACKABLE = frozenset({"picked", "sorted"})


@dataclass(frozen=True)
class PackedPackage:
    """One parcel as the desk closes it: the box, the measured weight, {order line id: units}."""

    box_type_id: int | None
    weight_g: int
    lines: dict[int, int]


@dataclass
class PackOutcome:
    """What pack-out did: a shipment, or (the weight check failed) an exception for the office."""

    shipment: Shipment | None = None
    exception: ShippingException | None = None
    weight: WeightCheck | None = None
    notes: list[str] = field(default_factory=list)


def open_exception(kind: str, order_id: int, *, shipment_id: int | None = None, warehouse_id: int | None = None,
                   user_id: int | None = None, **details: object) -> ShippingException:
    """Put an order on the exceptions desk (异常) with what was seen."""
    row = ShippingException(kind=kind, order_id=order_id, shipment_id=shipment_id, warehouse_id=warehouse_id,
                            created_by_id=user_id, details=json.dumps(details, ensure_ascii=False, default=str))
    db.session.add(row)
    db.session.flush()
    on_commit(lambda: board_events.order_changed(order_id))
    return row


def wave_kind_of(order_id: int) -> str | None:
    """The kind of the wave the order was picked in (batch_sort orders must be sorted before packing)."""
    from wms.picking.models import Wave, WaveOrder

    return db.session.scalar(select(Wave.kind).join(WaveOrder, WaveOrder.wave_id == Wave.id)
                             .where(WaveOrder.order_id == order_id).order_by(Wave.id.desc()).limit(1))


def station_bin(location_id: int, warehouse_id: int) -> Location:
    """The pack station: an active packing bin of the order's warehouse."""
    loc = db.session.get(Location, location_id)
    if loc is None or loc.warehouse_id != warehouse_id or loc.bin_type != "packing" or not loc.active:
        raise ValidationFailed("choose a packing station (a packing bin) of the order's warehouse",
                               code="not_a_pack_station")
    return loc


def expected_weight(lines: dict[int, int], order: Order, boxes: list[BoxType]) -> int:
    """SKU weights of the packed units plus the boxes' tare."""
    skus = {line.id: line.sku_id for line in order.lines}
    weights = dict(db.session.execute(select(Sku.id, Sku.weight_g).where(Sku.id.in_(set(skus.values())))).all())
    return sum(weights.get(skus[line_id], 0) * qty for line_id, qty in lines.items()) + sum(b.tare_g for b in boxes)


def pack_out(order_id: int, *, station_location_id: int, packages: list[PackedPackage], user_id: int | None,
             carrier_code: str | None = None, override_weight: bool = False) -> PackOutcome:
    """Close the pack-out check (复核) of an order: every unit it holds is in a package.

    Locks: the order row first (two desks packing one order: one packs, the other is refused
    `not_packable`), then through the reservation API each quant the line's units leave and reach.
    Guarantees: the packages hold exactly the units the order's lines hold (refused `pack_incomplete`
    or `pack_too_many` otherwise, nothing changed); a measured weight outside the warehouse's tolerance
    changes nothing but opens a weight exception (unless a supervisor overrides); on success the units
    and their reservations move to the packing bin, a Shipment with its packages and lines (with lots)
    exists, the carrier is chosen and its tracking number taken, and the order is `packed`.
    """
    if not packages:
        raise ValidationFailed("pack at least one package", code="no_packages")
    with atomic():
        order = lock_order(order_id)
        if order.status not in PACKABLE:
            raise Conflict(f"order {order.external_id} is {order.status}: it cannot be packed", code="not_packable",
                           order=order.external_id, order_status=order.status)
        if order.status == "picked" and wave_kind_of(order.id) == "batch_sort":
            raise Conflict(f"order {order.external_id} is still on the put wall: sort it first", code="not_sorted",
                           order=order.external_id)
        station = station_bin(station_location_id, order.warehouse_id)
        packed: dict[int, int] = defaultdict(int)
        for package in packages:
            if package.weight_g <= 0:
                raise ValidationFailed("weigh the package: its weight is needed", code="weight_required")
            for line_id, qty in package.lines.items():
                if qty < 0:
                    raise ValidationFailed("quantities cannot be negative", code="bad_quantity")
                packed[line_id] += qty
        held = _held_by_line(order)
        _check_complete(order, held, packed)
        boxes = [db.session.get(BoxType, p.box_type_id) for p in packages if p.box_type_id]
        warehouse = db.session.get(Warehouse, order.warehouse_id)
        check = weight_check(expected_weight(packed, order, boxes), sum(p.weight_g for p in packages),
                             tolerance_pct=warehouse.weight_tolerance_pct, tolerance_g=warehouse.weight_tolerance_g)
        if not check.ok and not override_weight:
            exception = open_exception("weight", order.id, warehouse_id=order.warehouse_id, user_id=user_id,
                                       expected_g=check.expected_g, measured_g=check.measured_g,
                                       allowed_g=check.allowed_g, station_location_id=station.id,
                                       carrier_code=carrier_code or "",
                                       packages=[{"box_type_id": p.box_type_id, "weight_g": p.weight_g,
                                                  "lines": {str(k): v for k, v in p.lines.items()}}
                                                 for p in packages])
            record_event(order, "pack_exception", f"weight {check.measured_g} g, expected {check.expected_g} g "
                                                  f"± {check.allowed_g} g", user_id)
            return PackOutcome(exception=exception, weight=check)
        shipment = Shipment(reference=next_reference("SHP"), order_id=order.id, warehouse_id=order.warehouse_id,
                            station_location_id=station.id, expected_weight_g=check.expected_g,
                            measured_weight_g=check.measured_g, packed_by_id=user_id)
        db.session.add(shipment)
        db.session.flush()
        lots_at_station = _move_to_station(order, station, shipment.reference, user_id)
        _add_packages(shipment, packages, order, lots_at_station)
        carrier, note = choose_carrier(order, check.measured_g, carrier_code)
        if carrier is not None:
            _assign_carrier(shipment, carrier, note)
        transition(order, "packed", code="not_packable")
        on_commit(lambda: board_events.order_changed(order_id))
        record_event(order, "packed", f"{shipment.reference}: {len(packages)} package(s), {check.measured_g} g"
                     + (f", {carrier.code} {shipment.tracking_number}".rstrip() if carrier else ""), user_id)
        return PackOutcome(shipment=shipment, weight=check)


def _held_by_line(order: Order) -> dict[int, list[tuple[int, int | None, int]]]:
    return {line.id: line_reservations(line.id) for line in pick_lines(order)}


def _check_complete(order: Order, held: dict, packed: dict[int, int]) -> None:
    unknown = set(packed) - set(held)
    if unknown:
        raise ValidationFailed("a packed line is not one of this order's lines", code="not_an_order_line",
                               order=order.external_id)
    lines = {line.id: line for line in order.lines}
    missing = {lines[i].sku.code: sum(q for *_, q in rows) - packed.get(i, 0) for i, rows in held.items()
               if sum(q for *_, q in rows) > packed.get(i, 0)}
    extra = {lines[i].sku.code: packed[i] - sum(q for *_, q in held[i]) for i in packed
             if packed[i] > sum(q for *_, q in held[i])}
    if extra:
        raise ValidationFailed("more units are packed than the order holds", code="pack_too_many",
                               skus=", ".join(f"{k} +{v}" for k, v in sorted(extra.items())))
    if missing:
        raise ValidationFailed("units of the order are not packed yet", code="pack_incomplete",
                               skus=", ".join(f"{k} ×{v}" for k, v in sorted(missing.items())))


def _move_to_station(order: Order, station: Location, reference: str, user_id: int | None) -> dict[int, list]:
    """Move every reserved unit of the order to the packing bin; {line id: [(lot id, units)]} there."""
    at_station: dict[int, list] = defaultdict(list)
    for line in pick_lines(order):
        for location_id, lot_id, qty in line_reservations(line.id):
            if location_id != station.id:
                move_reserved(line.id, line.sku_id, location_id, station.id, qty, reason="pack", reference=reference,
                              user_id=user_id, lot_id=lot_id)
            at_station[line.id].append([lot_id, qty])
    return at_station


def _add_packages(shipment: Shipment, packages: list[PackedPackage], order: Order, lots: dict[int, list]) -> None:
    skus = {line.id: line.sku_id for line in order.lines}
    for sequence, spec in enumerate(packages, start=1):
        package = Package(shipment_id=shipment.id, sequence=sequence, box_type_id=spec.box_type_id,
                          weight_g=spec.weight_g)
        db.session.add(package)
        db.session.flush()
        for line_id, qty in spec.lines.items():
            left = qty
            for entry in lots[line_id]:  # the line's lots, taken in the order they are held
                take = min(left, entry[1])
                if take:
                    db.session.add(ShipmentLine(shipment_id=shipment.id, package_id=package.id, order_line_id=line_id,
                                                sku_id=skus[line_id], lot_id=entry[0], quantity=take))
                    entry[1] -= take
                    left -= take
    db.session.flush()


def choose_carrier(order: Order, weight_g: int, carrier_code: str | None = None) -> tuple[Carrier | None, str]:
    """The carrier for an order and why: the desk's choice, else the order's carrier, else the first
    matching rule (priority order: warehouse, channel, destination province, weight)."""
    if carrier_code:
        carrier = db.session.scalar(select(Carrier).filter_by(code=carrier_code.strip().upper(), active=True))
        if carrier is None:
            raise NotFound(f"no active carrier {carrier_code}", code="unknown_carrier", carrier=carrier_code)
        return carrier, "chosen at the desk"
    if order.carrier:
        carrier = db.session.scalar(select(Carrier).filter_by(code=order.carrier.upper(), active=True))
        if carrier is not None:
            return carrier, "the order's carrier"
    choice = carrier_choice.choose(rule_specs(), carrier_choice.Parcel(
        warehouse_id=order.warehouse_id, channel_id=order.channel_id, province=order.ship_province or "",
        weight_g=weight_g))
    if choice is not None:
        return db.session.get(Carrier, choice.carrier_id), choice.note
    return None, "no carrier rule matched: choose one at the desk"


def rule_specs() -> list[carrier_choice.RuleSpec]:
    """The active rules of active carriers, as the pure carrier choice reads them."""
    from erp_core.channels.models import Channel

    rows = db.session.execute(
        select(CarrierRule, Carrier.code, Warehouse.code, Channel.code)
        .join(Carrier, Carrier.id == CarrierRule.carrier_id)
        .outerjoin(Warehouse, Warehouse.id == CarrierRule.warehouse_id)
        .outerjoin(Channel, Channel.id == CarrierRule.channel_id)
        .where(CarrierRule.active.is_(True), Carrier.active.is_(True))).all()
    return [carrier_choice.RuleSpec(
        id=rule.id, priority=rule.priority, carrier_id=rule.carrier_id, carrier_code=carrier_code,
        warehouse_id=rule.warehouse_id, warehouse_code=warehouse_code or "", channel_id=rule.channel_id,
        channel_code=channel_code or "", provinces=carrier_choice.provinces_of(rule.provinces or ""),
        min_weight_g=rule.min_weight_g, max_weight_g=rule.max_weight_g) for rule, carrier_code, warehouse_code,
        channel_code in rows]


def _assign_carrier(shipment: Shipment, carrier: Carrier, note: str) -> None:
    adapter = adapter_for(carrier)
    label = adapter.issue_tracking_number(shipment)
    shipment.carrier_id, shipment.carrier_note = carrier.id, note[:300]
    # The price from the carrier's cost table (weight bracket, per province); 0 when it has none.
    cost = carrier_choice.shipping_cost(carrier.cost_table, shipment.order.ship_province or "",
                                        shipment.measured_weight_g)
    shipment.shipping_cost = cost if cost is not None else Decimal("0")
    shipment.tracking_number, shipment.routing_code, shipment.hub_code = (label.tracking_number, label.routing_code,
                                                                          label.hub_code)
    for package in shipment.packages:
        if package.sequence == 1:
            package.tracking_number = label.tracking_number
        elif label.tracking_number:  # each further parcel of a multi-package shipment has its own number
            package.tracking_number = adapter.issue_tracking_number(shipment).tracking_number
    db.session.flush()


def lock_shipment(shipment_id: int) -> Shipment:
    shipment = locked(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("no such shipment", code="unknown_shipment", shipment_id=shipment_id)
    return shipment


def assign_carrier(shipment_id: int, carrier_code: str, *, user_id: int | None = None) -> Shipment:
    """Give a packed shipment its carrier (a manual override at the desk) and tracking number.

    Locks: the shipment row. Refused once it is on a handover or shipped, or while it has a number
    (cancel the waybill first)."""
    with atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.status != "packed" or shipment.tracking_number:
            raise Conflict("the shipment has its waybill already: cancel it first", code="waybill_exists",
                           reference=shipment.reference)
        carrier, note = choose_carrier(shipment.order, shipment.measured_weight_g, carrier_code)
        _assign_carrier(shipment, carrier, note)
        record_event(shipment.order, "carrier", f"{shipment.reference}: {carrier.code} {shipment.tracking_number}",
                     user_id)
        return shipment


def set_tracking_number(shipment_id: int, number: str, *, user_id: int | None = None) -> Shipment:
    """The number of a manual carrier's pre-printed waybill, typed or scanned at the desk.

    Locks: the shipment row. Refused when the number is empty or already on another live shipment of
    the carrier."""
    number = "".join(number.split()).upper()
    if not number or len(number) > 40:
        raise ValidationFailed("scan or type the waybill's tracking number", code="tracking_number_required")
    with atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.status not in ("packed", "manifested") or shipment.carrier_id is None:
            raise Conflict("choose the carrier of a packed shipment first", code="waybill_exists",
                           reference=shipment.reference)
        clash = db.session.scalar(select(Shipment.reference).where(
            Shipment.carrier_id == shipment.carrier_id, Shipment.tracking_number == number,
            Shipment.id != shipment.id, Shipment.status != "cancelled"))
        if clash:
            raise Conflict(f"tracking number {number} is on {clash} already", code="tracking_number_taken",
                           number=number, reference=clash)
        shipment.tracking_number = number
        for package in shipment.packages:
            if package.sequence == 1:
                package.tracking_number = number
        record_event(shipment.order, "carrier", f"{shipment.reference}: tracking {number}", user_id)
        return shipment


def cancel_shipment(shipment_id: int, *, reason: str, user_id: int | None = None) -> Shipment:
    """Undo a pack-out before the parcel leaves: the waybill is cancelled with the carrier, the units
    stay reserved at the packing bin (repacking moves nothing), the order goes back to picked/sorted.

    Locks: the shipment row, then the order row."""
    with atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.status not in ("packed", "manifested"):
            raise Conflict(f"shipment {shipment.reference} is {shipment.status}", code="shipment_not_cancellable",
                           reference=shipment.reference, current=shipment.status)
        if shipment.carrier is not None and shipment.tracking_number:
            adapter_for(shipment.carrier).cancel(shipment)
        compare_and_set(shipment, "cancelled", SHIPMENT_TRANSITIONS, what=f"shipment {shipment.reference}",
                        code="shipment_not_cancellable", details={"reference": shipment.reference},
                        cancelled_at=utcnow(), manifest_id=None)
        order = lock_order(shipment.order_id)
        if order.status == "packed":
            transition(order, "sorted" if wave_kind_of(order.id) == "batch_sort" else "picked")
        record_event(order, "shipment_cancelled", f"{shipment.reference}: {reason}"[:500], user_id)
        on_commit(lambda: board_events.order_changed(order.id))
        return shipment


def ship_shipment(shipment_id: int, *, user_id: int | None = None) -> Shipment:
    """The parcel left (ship confirmation, 发货): its units move packing -> customer with their
    reservations consumed, the shipment and the order are `shipped`, and the channel and the finance
    feed are told through the outbox, all in one transaction.

    Locks: the shipment row, the order row, then each packing-bin quant (consume_reserved). Refused
    without a tracking number, or when already shipped or cancelled (a second confirmation of one
    parcel is a clean 409)."""
    with atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.status not in ("packed", "manifested"):
            raise Conflict(f"shipment {shipment.reference} is {shipment.status}", code="shipment_not_shippable",
                           reference=shipment.reference, current=shipment.status)
        if not shipment.tracking_number:
            raise Conflict("the shipment has no tracking number yet", code="tracking_number_missing",
                           reference=shipment.reference)
        order = lock_order(shipment.order_id)
        if order.status != "packed":
            raise Conflict(f"order {order.external_id} is {order.status}", code="shipment_not_shippable",
                           reference=shipment.reference, current=order.status)
        customer = virtual_location("CUSTOMER")
        for line in shipment.lines:
            consume_reserved(line.order_line_id, line.sku_id, shipment.station_location_id, customer.id, line.quantity,
                             reason="ship", reference=shipment.reference, user_id=user_id, lot_id=line.lot_id)
        now = utcnow()
        compare_and_set(shipment, "shipped", SHIPMENT_TRANSITIONS, what=f"shipment {shipment.reference}",
                        code="shipment_not_shippable", details={"reference": shipment.reference}, shipped_at=now)
        transition(order, "shipped")
        on_commit(lambda: board_events.order_changed(order.id))
        record_event(order, "shipped", f"{shipment.reference}: {shipment.carrier.code if shipment.carrier else ''} "
                                       f"{shipment.tracking_number}", user_id)
        _publish_shipped(shipment, order)
        return shipment


def _publish_shipped(shipment: Shipment, order: Order) -> None:
    carrier = shipment.carrier
    publish("channel.ship_confirmation", {
        "channel_id": order.channel_id, "order_id": order.id, "order_number": order.external_id,
        "carrier_code": carrier.code if carrier else "", "tracking_number": shipment.tracking_number,
        "shipment": shipment.reference, "packages": [p.tracking_number for p in shipment.packages]},
        key=f"ship:{shipment.reference}")
    announce_shipped(shipment, order)
    publish("finance.shipment", {
        "shipment": shipment.reference, "order_id": order.id, "warehouse_id": shipment.warehouse_id,
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
        "shipping_cost": str(shipment.shipping_cost),
        "lines": [{"order_line_id": line.order_line_id, "sku_id": line.sku_id, "lot_id": line.lot_id,
                   "quantity": line.quantity} for line in shipment.lines]}, key=f"finance:{shipment.reference}")
