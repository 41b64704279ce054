"""The exceptions desk's actions (异常处理): each one transaction that fixes what an exception saw,
writes its ledger moves and an order event, and resolves the exception (compare-and-set, with who,
when and how).

- short picks (and damaged units set aside): re-allocate the missing units in the same warehouse
  onto a small pick list, ship partial (the line keeps what was picked), or cancel the line;
- pack discrepancies: re-weigh and pack (with the override when a supervisor accepts the weight);
  damaged: the unit goes to a damaged bin, then re-allocate or ship partial;
- anything else (weight, missing item, tracking, other): resolve with a note.

Every action locks the order row first, then the exception row, then (through the reservation API)
the quants; an exception resolved meanwhile is refused (409 `exception_resolved`), nothing changed.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from erp_core.db import atomic, locked
from erp_core.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.lots import order_shipping_limits
from erp_core.inventory.models import Location
from erp_core.inventory.reservations import line_reservations, line_reserved, lock_quants, release_at, reserve_line
from erp_core.inventory.services import move_stock
from erp_core.orders.intercept import intercept_order
from erp_core.orders.models import Order, OrderLine
from erp_core.orders.services import record_event
from erp_core.orders.states import lock_order

from .interception import resolve
from .models import ShippingException
from .services import PackedPackage, pack_out

AT_THE_DESK = frozenset({"picking", "picked", "sorted"})  # picked units not packed yet
NOTE_RESOLVABLE = frozenset({"weight", "missing_item", "damaged", "tracking", "other"})
SHORT_KINDS = frozenset({"short_pick", "damaged", "missing_item"})


def details_of(row: ShippingException) -> dict:
    try:
        value = json.loads(row.details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _open(exception_id: int, kinds: frozenset[str] | None = None) -> tuple[ShippingException, Order]:
    """Lock the exception's order, then the exception; refused unless it is open (and of these kinds)."""
    row = db.session.get(ShippingException, exception_id)
    if row is None:
        raise NotFound("no such exception", code="unknown_exception", exception=exception_id)
    order = lock_order(row.order_id)
    row = locked(ShippingException, exception_id)
    if row.status != "open":
        raise Conflict(f"exception {row.id} is resolved already", code="exception_resolved", exception=row.id)
    if kinds is not None and row.kind not in kinds:
        raise Conflict(f"exception {row.id} is a {row.kind} exception", code="wrong_exception_action",
                       exception=row.id, kind=row.kind)
    return row, order


def _at_desk(order: Order) -> None:
    if order.status not in AT_THE_DESK:
        raise Conflict(f"order {order.external_id} is {order.status}", code="order_not_at_desk",
                       order=order.external_id, order_status=order.status)


def _line(row: ShippingException, order: Order, line_id: int | None = None) -> OrderLine:
    line_id = line_id or details_of(row).get("order_line_id")
    line = db.session.get(OrderLine, int(line_id)) if str(line_id or "").isdigit() else None
    if line is None or line.order_id != order.id or line.cancelled:
        raise ValidationFailed("choose a line of the order", code="not_an_order_line")
    db.session.refresh(line)
    return line


def _short(line: OrderLine) -> int:
    if line.short_quantity <= 0:
        raise Conflict(f"line {line.sku.code} is not short", code="nothing_short", sku=line.sku.code)
    return line.short_quantity


def _finish(row: ShippingException, order: Order, line: OrderLine | None, resolution: str, user_id: int | None,
            **values) -> None:
    """Resolve the exception, and the order's other open short picks of the same line (one decision)."""
    resolve(row, resolution, user_id, **values)
    if line is None:
        return
    for other in db.session.scalars(select(ShippingException).where(
            ShippingException.order_id == order.id, ShippingException.kind == "short_pick",
            ShippingException.status == "open", ShippingException.id != row.id)).all():
        if details_of(other).get("order_line_id") == line.id:
            resolve(other, resolution, user_id)


# --- short picks -------------------------------------------------------------------------------------

def _reallocate(order: Order, line: OrderLine, user_id: int | None, short_bin: str = "") -> str:
    from wms.picking.waves import extra_pick_list

    missing = _short(line)
    before = {(loc, lot): q for loc, lot, q in line_reservations(line.id)}
    # Not from the bin that was just found short: it waits for its cycle count.
    skip = db.session.scalar(select(Location.id).where(Location.warehouse_id == order.warehouse_id,
                                                       Location.code == short_bin)) if short_bin else None
    lock_quants([line.sku_id], order.warehouse_id)
    try:
        reserve_line(line.id, line.sku_id, order.warehouse_id, missing, bin_types=("pick", "reserve"),
                     min_expiry=order_shipping_limits(order).get(line.sku_id), exclude_location_id=skip)
    except InsufficientStock as error:
        raise InsufficientStock(f"no stock of {line.sku.code} to re-allocate in the warehouse",
                                code="no_stock_to_reallocate", sku=line.sku.code, requested=missing,
                                available=error.details.get("available", 0)) from error
    added = [(loc, lot, q - before.get((loc, lot), 0)) for loc, lot, q in line_reservations(line.id)
             if q > before.get((loc, lot), 0)]
    pick_list = extra_pick_list(order.warehouse_id, order.id, line.id, line.sku_id, added, user_id=user_id)
    line.short_quantity = 0
    message = f"re-allocated {missing} x {line.sku.code} on pick list #{pick_list.id}"
    record_event(order, "reallocated", message, user_id)
    return message


def _ship_partial(order: Order, line: OrderLine, user_id: int | None, short_bin: str = "") -> str:
    missing = _short(line)
    held = line_reserved(line.id)
    dropped = line.quantity - held
    if held:
        line.quantity = held
        message = f"ships partial: {line.sku.code} {held + dropped} -> {held} ({missing} short accepted)"
    else:
        line.cancelled = True
        message = f"ships partial: {line.sku.code} not shipped ({missing} short accepted)"
    line.short_quantity = 0
    _less_goods(order, line, dropped)
    record_event(order, "ship_partial", message, user_id)
    return message


def _cancel_line(order: Order, line: OrderLine, user_id: int | None, short_bin: str = "") -> str:
    held = line_reserved(line.id)
    if held:
        raise Conflict(f"line {line.sku.code} holds {held} picked units", code="line_holds_units",
                       sku=line.sku.code, units=held)
    line.cancelled, line.short_quantity = True, 0
    _less_goods(order, line, line.quantity)
    message = f"line {line.sku.code} x {line.quantity} cancelled"
    record_event(order, "line_cancelled", message, user_id)
    return message


def _less_goods(order: Order, line: OrderLine, units: int) -> None:
    if line.parent_line_id is None and units > 0:
        order.goods_total = (order.goods_total or Decimal("0")) - line.unit_price * units


def _nothing_left(order: Order, user_id: int | None) -> None:
    """Every line cancelled: the order stops (intercepted, then cancelled: it holds nothing)."""
    db.session.flush()
    if all(line.cancelled for line in order.lines if not line.sku.is_kit):
        intercept_order(order.id, "every line cancelled on the exceptions desk", user_id=user_id)


SHORT_ACTIONS = {"reallocate": _reallocate, "ship_partial": _ship_partial, "cancel_line": _cancel_line}


def act_on_short(exception_id: int, action: str, *, user_id: int | None = None) -> ShippingException:
    """Decide a short pick: `reallocate`, `ship_partial` or `cancel_line` (see the module docstring).

    Locks: the order, the exception, then the SKU's quants in the warehouse (re-allocation). Refused
    (nothing changed) when the line is not short any more, the order moved on (packed, intercepted),
    or there is no stock to re-allocate (`no_stock_to_reallocate`: ship partial instead)."""
    if action not in SHORT_ACTIONS:
        raise ValidationFailed(f"unknown action {action}", code="wrong_exception_action", kind=action)
    with atomic():
        row, order = _open(exception_id, SHORT_KINDS)
        _at_desk(order)
        line = _line(row, order)
        message = SHORT_ACTIONS[action](order, line, user_id, str(details_of(row).get("bin") or ""))
        _finish(row, order, line, message, user_id)
        if action != "reallocate":
            _nothing_left(order, user_id)
        return row


# --- pack discrepancies -----------------------------------------------------------------------------

def reweigh(exception_id: int, weights_g: list[int], *, override: bool = False,
            user_id: int | None = None) -> ShippingException:
    """A weight exception re-weighed: the packages as the desk closed them, with the new weights, go
    through pack-out again (with the override when the office accepts a weight outside the tolerance).

    Locks: the order, the exception, then what pack_out locks. Refused, nothing changed, when the new
    weight is still outside the tolerance without the override (`weight_still_outside`)."""
    with atomic():
        row, order = _open(exception_id, frozenset({"weight"}))
        seen = details_of(row)
        specs = seen.get("packages") or []
        if not specs or not seen.get("station_location_id"):
            raise Conflict("the exception does not say how the order was packed: pack it at the station",
                           code="repack_at_station", exception=row.id)
        if len(weights_g) != len(specs) or any(w <= 0 for w in weights_g):
            raise ValidationFailed("weigh every package", code="weight_required")
        packages = [PackedPackage(spec.get("box_type_id"), weight, {int(k): int(v) for k, v in spec["lines"].items()})
                    for spec, weight in zip(specs, weights_g, strict=True)]
        outcome = pack_out(order.id, station_location_id=int(seen["station_location_id"]), packages=packages,
                           user_id=user_id, carrier_code=seen.get("carrier_code") or None, override_weight=override)
        if outcome.exception is not None:
            check = outcome.weight
            raise Conflict("the weight is still outside the tolerance", code="weight_still_outside",
                           measured=check.measured_g, expected=check.expected_g, allowed=check.allowed_g)
        shipment = outcome.shipment
        resolve(row, f"re-weighed {sum(weights_g)} g{' (override)' if override else ''}: packed as "
                     f"{shipment.reference}", user_id, shipment_id=shipment.id)
        return row


def set_aside_damaged(exception_id: int, *, order_line_id: int, from_location_id: int, lot_id: int | None,
                      quantity: int, damaged_bin_id: int, then: str, user_id: int | None = None) -> ShippingException:
    """A damaged unit found at packing: its reservation is released where it lies and it moves to a
    damaged bin of the warehouse (reason "move", lot kept); the line is short by it, and the desk then
    re-allocates it or ships partial.

    Locks: the order, the exception, the reservation rows and quant where the unit lies, the damaged
    bin's quant (then what the follow-up locks). All or nothing."""
    if then not in ("reallocate", "ship_partial"):
        raise ValidationFailed(f"unknown action {then}", code="wrong_exception_action", kind=then)
    with atomic():
        row, order = _open(exception_id, frozenset({"damaged"}))
        _at_desk(order)
        line = _line(row, order, order_line_id)
        bin_ = db.session.get(Location, damaged_bin_id)
        if bin_ is None or bin_.bin_type != "damaged" or not bin_.active or bin_.warehouse_id != order.warehouse_id:
            raise ValidationFailed("choose a damaged-goods bin of the order's warehouse", code="not_a_damaged_bin")
        held = line_reserved(line.id, from_location_id, lot_id)
        if quantity <= 0 or quantity > held:
            raise ValidationFailed(f"the order holds {held} of {line.sku.code} there", code="put_back_not_held",
                                   sku=line.sku.code, held=held)
        source = db.session.get(Location, from_location_id)
        release_at(line.id, line.sku_id, from_location_id, quantity, lot_id=lot_id)
        move_stock(line.sku_id, from_location_id, bin_.id, quantity, reason="move",
                   reference=f"DAMAGED-{order.external_id}"[:80], note="damaged at packing", user_id=user_id,
                   lot_id=lot_id)
        line.short_quantity += quantity
        record_event(order, "damaged", f"{quantity} x {line.sku.code} {source.code} -> {bin_.code}", user_id)
        message = SHORT_ACTIONS[then](order, line, user_id)
        resolve(row, f"{quantity} damaged to {bin_.code}; {message}", user_id)
        if then == "ship_partial":
            _nothing_left(order, user_id)
        return row


def resolve_with_note(exception_id: int, note: str, *, user_id: int | None = None) -> ShippingException:
    """Close an exception the office handled outside the system (re-packed, found, carrier called).
    Short picks and interceptions need their own actions."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("say how it was resolved", code="reason_required")
    with atomic():
        row, order = _open(exception_id, NOTE_RESOLVABLE)
        resolve(row, note, user_id)
        record_event(order, "exception_resolved", f"{row.kind}: {note}", user_id)
        return row
