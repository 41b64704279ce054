"""Holding stock in tests the way the app does: every reserved unit belongs to an order line.

`reserve(sku, location, qty)` and `release(...)` keep the old quant-level signatures for tests that
only need "someone holds these units": the units are reserved for the line of a placeholder
order the floor is picking (one per SKU), through the reservation API, so the invariants still hold.
"""

from __future__ import annotations

from sqlalchemy import select

HOLDER_CHANNEL = "TEST-HOLD"


def holder_line(sku_id: int) -> int:
    """The order line of the placeholder order that holds a SKU's units in tests (threads
    that race to create it all end with the one line)."""
    from sqlalchemy.exc import IntegrityError

    try:
        return _holder_line(sku_id)
    except IntegrityError:  # another thread created it first
        return _holder_line(sku_id)


def _holder_line(sku_id: int) -> int:
    from erp_core.channels.models import Channel
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderLine

    with atomic():
        channel = db.session.scalar(select(Channel).filter_by(code=HOLDER_CHANNEL))
        if channel is None:
            channel = Channel(code=HOLDER_CHANNEL, name="Test holder", platform="manual")
            db.session.add(channel)
            db.session.flush()
        line_id = db.session.scalar(select(OrderLine.id).join(Order).where(
            Order.channel_id == channel.id, Order.external_id == f"HOLD-{sku_id}"))
        if line_id is None:
            order = Order(channel_id=channel.id, external_id=f"HOLD-{sku_id}", status="picking")
            order.lines.append(OrderLine(sku_id=sku_id, quantity=10**6))
            db.session.add(order)
            db.session.flush()
            line_id = order.lines[0].id
    return line_id


def reserve(sku_id: int, location_id: int, quantity: int) -> None:
    from erp_core.inventory.reservations import reserve_at

    reserve_at(holder_line(sku_id), sku_id, location_id, quantity)


def release(sku_id: int, location_id: int, quantity: int) -> None:
    from erp_core.inventory.reservations import release_at

    release_at(holder_line(sku_id), sku_id, location_id, quantity)
