"""Interception (拦截): stop an order the office no longer wants to ship, wherever it is.

Before the floor starts (pending .. released) an interception is a cancellation: the order's
reservations are released (`cancel_order`). Once the floor has started (picking, picked, sorted,
packed) the order becomes `intercepted`: the floor is told through the interceptors the WMS
registers at app start (erp_core never imports wms) — it cancels the open pick tasks, cancels a
packed shipment's waybill and puts the order on its exceptions desk — and the units already picked
stay reserved where they lie (cart, put-wall slot, packing bin) until they are put back. When the
order holds nothing any more it is `cancelled` (`cancel_intercepted`). A shipped order cannot be
intercepted: that is a return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..db import atomic
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..inventory.models import StockReservation
from .models import Order, OrderLine
from .services import cancel_order, record_event
from .states import EDITABLE_STATUSES, lock_order, transition

FLOOR_STATUSES = frozenset({"picking", "picked", "sorted", "packed"})


@dataclass(frozen=True)
class Interceptor:
    """What the floor does when an order is intercepted.

    `lock(order_id)` takes the floor's row locks of the order BEFORE the order's own lock (the floor's
    services lock their rows first, then the order: taking them in the same order never deadlocks);
    `stop(order, reason, user_id)` stops the floor's work (refusing with a DomainError undoes the whole
    interception); `settled(order, user_id)` is told when the order holds nothing any more and is
    cancelled."""

    lock: Callable[[int], None]
    stop: Callable[[Order, str, int | None], None]
    settled: Callable[[Order, int | None], None]


_INTERCEPTORS: list[Interceptor] = []


def register_interceptor(interceptor: Interceptor) -> None:
    """Add the floor's part of an interception (the WMS registers itself at app start)."""
    if interceptor not in _INTERCEPTORS:
        _INTERCEPTORS.append(interceptor)


def held_units(order_id: int) -> int:
    """Units still reserved for the order's lines, wherever they lie."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(StockReservation.quantity), 0))
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id).where(OrderLine.order_id == order_id)))


def intercept_order(order_id: int, reason: str, *, user_id: int | None = None) -> Order:
    """Stop an order (拦截). Returns the order, `cancelled` or `intercepted`.

    Locks: the floor's rows of the order (pick tasks, shipments: `Interceptor.lock`), then the order
    row, then through the reservation API the quants it releases. Guarantees: one transaction — the
    order is cancelled with its reservations released (not started), or intercepted with the floor
    stopped (started); a shipped or finished order is refused (409 `not_interceptable`, nothing
    changed); intercepting an intercepted order is a no-op. Raced with pack-out or shipping on one
    order, one wins and the other is refused.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("an interception needs a reason", code="reason_required")
    with atomic():
        for interceptor in _INTERCEPTORS:
            interceptor.lock(order_id)
        order = lock_order(order_id)
        if order.status in ("intercepted", "cancelled"):
            return order
        if order.status in EDITABLE_STATUSES:
            return cancel_order(order_id, f"intercepted: {reason}", user_id=user_id)
        if order.status not in FLOOR_STATUSES:
            raise Conflict(f"order {order.external_id} is {order.status}: it cannot be intercepted",
                           code="not_interceptable", order=order.external_id, order_status=order.status)
        was = order.status
        transition(order, "intercepted", code="not_interceptable", hold_reason=reason[:255])
        record_event(order, "intercepted", f"{reason} (was {was})", user_id)
        for interceptor in _INTERCEPTORS:
            interceptor.stop(order, reason, user_id)
        if held_units(order.id) == 0:
            _cancel(order, "intercepted before anything was picked", user_id)
        return order


def cancel_intercepted(order_id: int, *, user_id: int | None = None, note: str = "put back") -> Order:
    """The intercepted order holds nothing any more (every unit put back): it is `cancelled`.

    Locks: the order row. Refused (409) while it still holds units (`still_holds_units`) or when it
    is not intercepted (`not_intercepted`)."""
    with atomic():
        order = lock_order(order_id)
        if order.status != "intercepted":
            raise Conflict(f"order {order.external_id} is {order.status}", code="not_intercepted",
                           order=order.external_id, order_status=order.status)
        held = held_units(order.id)
        if held:
            raise Conflict(f"order {order.external_id} still holds {held} units: put them back first",
                           code="still_holds_units", order=order.external_id, units=held)
        _cancel(order, note, user_id)
        return order


def _cancel(order: Order, note: str, user_id: int | None) -> None:
    transition(order, "cancelled", code="not_intercepted")
    record_event(order, "cancelled", f"interception done: {note}", user_id)
    for interceptor in _INTERCEPTORS:
        interceptor.settled(order, user_id)
