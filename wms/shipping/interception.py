"""The floor's part of an interception (拦截) and the put-back (还库) of an intercepted order's units.

erp_core.orders.intercept owns the order's side and calls the interceptor registered here at app
start: the order's open pick tasks are cancelled (their bins' reservations released), a packed
shipment's waybill is cancelled with the carrier, and an exception of kind "intercept" opens. The
units already picked stay reserved where they lie (cart, put-wall slot, packing bin) until a put-back
scans them into a sellable bin; when the order holds nothing any more it is cancelled and the
exception resolves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from erp_core.db import atomic, on_commit
from erp_core.errors import Conflict
from erp_core.extensions import db
from erp_core.inventory.models import Location, Lot, Quant, StockReservation
from erp_core.inventory.reservations import NOT_RESERVABLE_BIN_TYPES, line_reserved, release_at
from erp_core.inventory.services import move_stock
from erp_core.models_base import utcnow
from erp_core.orders.intercept import Interceptor, cancel_intercepted, held_units, register_interceptor
from erp_core.orders.models import Order, OrderLine
from erp_core.orders.services import record_event
from erp_core.orders.states import lock_order
from erp_core.statemachine import compare_and_set
from wms.picking import events as board_events
from wms.scanning import ScanRefused, bin_matches

from .models import EXCEPTION_TRANSITIONS, Manifest, Shipment, ShippingException
from .services import cancel_shipment, open_exception

LIVE_SHIPMENTS = ("packed", "manifested")


# --- the interceptor -------------------------------------------------------------------------------

def _lock_floor(order_id: int) -> None:
    """The order's open pick tasks, then its live shipments, each in id order: the rows the floor's
    own services lock before the order (confirm_pick: task then order; ship: shipment then order)."""
    from wms.picking.models import PickTask

    db.session.execute(select(PickTask.id).where(PickTask.order_id == order_id, PickTask.status == "open")
                       .order_by(PickTask.id).with_for_update())
    db.session.execute(select(Shipment.id).where(Shipment.order_id == order_id, Shipment.status.in_(LIVE_SHIPMENTS))
                       .order_by(Shipment.id).with_for_update())


def _stop_floor(order: Order, reason: str, user_id: int | None) -> None:
    from wms.picking.services import cancel_order_tasks

    tasks = cancel_order_tasks(order.id, user_id=user_id)
    voided = []
    for shipment in db.session.scalars(select(Shipment).where(Shipment.order_id == order.id,
                                                              Shipment.status.in_(LIVE_SHIPMENTS))
                                       .order_by(Shipment.id)).all():
        manifest = db.session.get(Manifest, shipment.manifest_id) if shipment.manifest_id else None
        if manifest is not None and manifest.status == "closed":
            raise Conflict(f"shipment {shipment.reference} was handed over to the carrier",
                           code="shipment_handed_over", reference=shipment.reference)
        voided.append(f"{shipment.reference} {shipment.tracking_number}".strip())
        cancel_shipment(shipment.id, reason=f"intercepted: {reason}", user_id=user_id)
    open_exception("intercept", order.id, warehouse_id=order.warehouse_id, user_id=user_id, reason=reason,
                   tasks_cancelled=tasks, shipments_cancelled=voided, units_to_put_back=held_units(order.id))


def _settled(order: Order, user_id: int | None) -> None:
    resolve_open(order.id, "intercept", "put back: the order holds nothing, it is cancelled", user_id)


def register_interception() -> None:
    register_interceptor(Interceptor(lock=_lock_floor, stop=_stop_floor, settled=_settled))


def resolve_open(order_id: int, kind: str, resolution: str, user_id: int | None) -> int:
    """Resolve the order's open exceptions of a kind (compare-and-set each); returns how many."""
    rows = db.session.scalars(select(ShippingException).where(
        ShippingException.order_id == order_id, ShippingException.kind == kind, ShippingException.status == "open")
        .order_by(ShippingException.id)).all()
    for row in rows:
        resolve(row, resolution, user_id)
    return len(rows)


def resolve(row: ShippingException, resolution: str, user_id: int | None, **values: object) -> None:
    """Resolve an exception with who, when and how (compare-and-set: resolving twice is a clean 409)."""
    compare_and_set(row, "resolved", EXCEPTION_TRANSITIONS, what=f"exception {row.id}", code="exception_resolved",
                    details={"exception": row.id}, resolution=resolution[:300], resolved_by_id=user_id,
                    resolved_at=utcnow(), **values)
    on_commit(lambda: board_events.order_changed(row.order_id))


# --- put-back --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PutBackItem:
    """Units of an intercepted order still reserved in one place (cart, slot, packing bin)."""

    order_line_id: int
    sku_code: str
    sku_name: str
    barcodes: tuple[str, ...]
    location_id: int
    location_code: str
    lot_id: int | None
    lot_number: str
    quantity: int


def put_back_orders(warehouse_ids: set[int] | None) -> list[tuple[Order, int]]:
    """The put-back task list: intercepted orders (in these warehouses) with the units they still hold."""
    stmt = select(Order).where(Order.status == "intercepted").order_by(Order.id)
    if warehouse_ids is not None:
        stmt = stmt.where(Order.warehouse_id.in_(warehouse_ids))
    return [(order, held_units(order.id)) for order in db.session.scalars(stmt)]


def put_back_items(order_id: int) -> list[PutBackItem]:
    """Where the order's units lie, per line, place and lot."""
    rows = db.session.execute(
        select(StockReservation.order_line_id, StockReservation.location_id, StockReservation.lot_id,
               StockReservation.quantity)
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
        .where(OrderLine.order_id == order_id).order_by(StockReservation.id)).all()
    items = []
    for line_id, location_id, lot_id, qty in rows:
        line, location = db.session.get(OrderLine, line_id), db.session.get(Location, location_id)
        lot = db.session.get(Lot, lot_id) if lot_id else None
        items.append(PutBackItem(line_id, line.sku.code, line.sku.name, tuple(b.code for b in line.sku.barcodes),
                                 location_id, location.code, lot_id, lot.lot_number if lot else "", int(qty)))
    return items


def put_back_bin(warehouse_id: int, scanned: str) -> Location:
    """The bin a put-back scans: an active, sellable (reservable) bin of the order's warehouse."""
    code = scanned.strip()
    candidates = db.session.scalars(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin",
        (Location.barcode == code) | (db.func.upper(Location.code) == code.upper()))).all()
    location = next((c for c in candidates if bin_matches(c, code)), None)
    if (location is None or not location.active or location.usage != "internal"
            or location.bin_type in NOT_RESERVABLE_BIN_TYPES):
        raise ScanRefused(f"{code or '–'} is not a sellable bin of this warehouse: scan a storage bin's label",
                          code="not_a_put_back_bin", scanned=code or "–")
    return location


def put_back(order_id: int, *, order_line_id: int, from_location_id: int, lot_id: int | None, quantity: int,
             bin_scan: str, user_id: int | None = None) -> Order:
    """Put units of an intercepted order back into a sellable bin (还库), with their lot.

    Locks: the order row, then through the reservation API the reservation rows and the quant where
    the units lie, then the bin's quant. Guarantees: in one transaction the units' reservation is
    released and the units move there -> bin (reason "move", lot kept); refused with nothing changed
    when the order is not intercepted, the bin is not a sellable bin of its warehouse, the bin keeps
    lots apart and holds another lot, or the order holds fewer units there. When the order then holds
    nothing it is cancelled and its interception exception resolved.
    """
    with atomic():
        order = lock_order(order_id)
        if order.status != "intercepted":
            raise Conflict(f"order {order.external_id} is {order.status}", code="not_intercepted",
                           order=order.external_id, order_status=order.status)
        line = db.session.get(OrderLine, order_line_id)
        if line is None or line.order_id != order.id:
            raise ScanRefused("this is not a line of the order", code="put_back_not_held", scanned=str(order_line_id))
        target = put_back_bin(order.warehouse_id, bin_scan)
        held = line_reserved(line.id, from_location_id, lot_id)
        if quantity <= 0 or quantity > held:
            raise ScanRefused(f"the order holds {held} of {line.sku.code} there", code="put_back_not_held",
                              expected=str(held), sku=line.sku.code, held=held)
        if lot_id is not None and not target.mixed_lots and db.session.scalar(
                select(Quant.id).where(Quant.sku_id == line.sku_id, Quant.location_id == target.id,
                                       Quant.lot_id != lot_id, Quant.quantity > 0)):
            raise Conflict(f"{target.code} holds another lot of this SKU", code="bin_holds_other_lot",
                           bin=target.code)
        source = db.session.get(Location, from_location_id)
        release_at(line.id, line.sku_id, from_location_id, quantity, lot_id=lot_id)
        move_stock(line.sku_id, from_location_id, target.id, quantity, reason="move",
                   reference=f"PUTBACK-{order.external_id}"[:80], note="put back after interception", user_id=user_id,
                   lot_id=lot_id)
        record_event(order, "put_back", f"{quantity} x {line.sku.code} {source.code} -> {target.code}", user_id)
        if held_units(order.id) == 0:
            cancel_intercepted(order.id, user_id=user_id)
        return order
