"""What left the warehouse for an order, per order line and lot: the bound of every return.

erp_core never imports wms: the floor registers where its shipped units are (its shipment lines) at
app start. Without one (an ERP without the floor), a shipped order's lines count as shipped whole,
less what was picked short or cancelled, without lots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..extensions import db
from ..orders.models import Order


@dataclass(frozen=True)
class ShippedUnits:
    order_line_id: int
    sku_id: int
    lot_id: int | None
    quantity: int


ShippedSource = Callable[[int], list[ShippedUnits]]
_SOURCES: list[ShippedSource] = []


def register_shipped_source(source: ShippedSource) -> None:
    """The floor says what it shipped for an order (wms/shipping/returns_station.py)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def shipped_units(order_id: int) -> list[ShippedUnits]:
    if _SOURCES:
        return _SOURCES[-1](order_id)
    order = db.session.get(Order, order_id)
    if order is None or order.status != "shipped":
        return []
    return [ShippedUnits(line.id, line.sku_id, None, line.quantity - line.short_quantity) for line in order.lines
            if not line.sku.is_kit and not line.cancelled and line.quantity > line.short_quantity]


def shipped_by_line(order_id: int) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for units in shipped_units(order_id):
        totals[units.order_line_id] += units.quantity
    return dict(totals)


def shipped_lots(order_id: int, order_line_id: int) -> dict[int | None, int]:
    """{lot id (None for an untracked SKU): units shipped} of one order line."""
    totals: dict[int | None, int] = defaultdict(int)
    for units in shipped_units(order_id):
        if units.order_line_id == order_line_id:
            totals[units.lot_id] += units.quantity
    return dict(totals)
