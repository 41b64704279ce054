"""What the floor knows about a lot's orders, given to erp_core's trace (which never imports wms):
the pick tasks that took units of a lot, so an order stays traceable after its reservation is consumed."""

from __future__ import annotations

from sqlalchemy import func, select

from erp_core.extensions import db
from erp_core.inventory.lot_trace import register_order_source

from .picking.models import PickTask


def picked_orders(lot_id: int) -> dict[int, int]:
    """{order id: units of the lot picked for it}."""
    rows = db.session.execute(select(PickTask.order_id, func.sum(PickTask.picked_quantity))
                              .where(PickTask.lot_id == lot_id, PickTask.picked_quantity > 0)
                              .group_by(PickTask.order_id))
    return {int(order_id): int(units) for order_id, units in rows}


def register_lot_sources() -> None:
    register_order_source(picked_orders)
