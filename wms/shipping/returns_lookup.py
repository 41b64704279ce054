"""What the returns station reads: the case a scan names (its number, the return waybill, the
outbound waybill of the order's shipment, or the order number) within the user's warehouses, and
what the floor shipped for an order (given to erp_core.aftersales, which never imports wms)."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from erp_core.aftersales.domain import OPEN_STATUSES
from erp_core.aftersales.models import AfterSalesCase
from erp_core.aftersales.shipped import ShippedUnits, register_shipped_source
from erp_core.extensions import db
from erp_core.inventory.models import Location
from erp_core.orders.models import Order

from .models import Package, Shipment, ShipmentLine


def shipped_units(order_id: int) -> list[ShippedUnits]:
    """The units (per order line and lot) of the order's shipments that left."""
    rows = db.session.execute(
        select(ShipmentLine.order_line_id, ShipmentLine.sku_id, ShipmentLine.lot_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id, Shipment.status == "shipped")
        .group_by(ShipmentLine.order_line_id, ShipmentLine.sku_id, ShipmentLine.lot_id))
    return [ShippedUnits(line_id, sku_id, lot_id, int(qty)) for line_id, sku_id, lot_id, qty in rows]


def register_shipped() -> None:
    register_shipped_source(shipped_units)


def _mine(stmt, allowed: set[int] | None, column):
    return stmt if allowed is None else stmt.where(column.in_(allowed))


def find_by_scan(code: str, allowed: set[int] | None) -> tuple[AfterSalesCase | None, Order | None]:
    """(the open case, its order) a scan names; (None, order) when the order has no open case;
    (None, None) when nothing in the user's warehouses is known by it."""
    code = code.strip()
    if not code:
        return None, None
    case = db.session.scalar(_mine(select(AfterSalesCase).where(or_(
        func.upper(AfterSalesCase.number) == code.upper(), AfterSalesCase.return_tracking_number == code))
        .where(AfterSalesCase.status.in_(OPEN_STATUSES)).order_by(AfterSalesCase.id.desc()).limit(1),
        allowed, AfterSalesCase.warehouse_id))
    if case is not None:
        return case, case.order
    order_id = db.session.scalar(_mine(select(Shipment.order_id).outerjoin(Package).where(
        or_(Shipment.tracking_number == code, Package.tracking_number == code)).order_by(Shipment.id.desc()).limit(1),
        allowed, Shipment.warehouse_id))
    if order_id is None:
        order_id = db.session.scalar(_mine(select(Order.id).where(Order.external_id == code)
                                           .order_by(Order.id.desc()).limit(1), allowed, Order.warehouse_id))
    if order_id is None:
        return None, None
    return open_case_of(order_id), db.session.get(Order, order_id)


def open_case_of(order_id: int) -> AfterSalesCase | None:
    """The order's case waiting for goods (else its newest open one)."""
    found = db.session.scalars(select(AfterSalesCase).where(
        AfterSalesCase.order_id == order_id, AfterSalesCase.status.in_(OPEN_STATUSES))
        .order_by(AfterSalesCase.id.desc())).all()
    return next((c for c in found if c.status == "awaiting_return"), found[0] if found else None)


def bin_by_scan(code: str, warehouse_id: int) -> Location | None:
    """A bin of the warehouse by its barcode or its code (any case)."""
    code = code.strip()
    if not code:
        return None
    return db.session.scalar(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin",
        or_(Location.barcode == code, func.upper(Location.code) == code.upper())).limit(1))
