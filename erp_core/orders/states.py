"""The order's states and the one way to change them.

`TRANSITIONS` is the order's whole life: from each status, the statuses it may move to. `transition()`
applies one edge through the shared compare-and-set (`erp_core.statemachine`: `UPDATE orders SET
status = :to WHERE id = :id AND status = :from`, row count checked), so of two concurrent changes of
one order exactly one takes effect and the other is refused with a clean 409. Services take the
order's row lock first (`lock_order`, in id order when several), read the status under it, and only
then change stock.

No module outside erp_core.orders assigns `Order.status`: an attribute event refuses it at run time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import attributes

from ..audit.log import acting_user_id, record
from ..db import locked
from ..errors import NotFound
from ..extensions import db
from ..statemachine import can_move as _can_move
from ..statemachine import compare_and_set
from ..webhooks.events import announce_status_changed
from .models import Order

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "held", "rejected", "cancelled"}),
    "held": frozenset({"pending", "approved", "rejected", "cancelled"}),
    "approved": frozenset({"released", "backordered", "held", "cancelled", "pending"}),
    "backordered": frozenset({"released", "held", "cancelled", "approved"}),
    "released": frozenset({"picking", "approved", "held", "cancelled"}),
    "picking": frozenset({"picked", "intercepted"}),
    "picked": frozenset({"sorted", "packed", "intercepted"}),
    "sorted": frozenset({"packed", "intercepted"}),
    "packed": frozenset({"shipped", "intercepted", "picked", "sorted"}),  # back: a shipment cancelled at the desk
    # Stopped after the floor started (拦截): its units go back to stock by put-back, then it is cancelled.
    "intercepted": frozenset({"cancelled"}),
    "shipped": frozenset(),
    "cancelled": frozenset(),
    "rejected": frozenset(),
}

# The floor has not started: the office may still change, cancel, split or merge these.
EDITABLE_STATUSES = frozenset({"pending", "held", "approved", "backordered", "released"})
OPEN_STATUSES = frozenset({"pending", "held", "approved", "backordered", "released"})
FINAL_STATUSES = frozenset({"shipped", "cancelled", "rejected"})
# Statuses that may hold stock reservations (a held, cancelled or rejected order never does).
RESERVING_STATUSES = frozenset({"released", "picking", "picked", "sorted", "packed", "intercepted"})


def lock_order(order_id: int) -> Order:
    """The order, read afresh under its row lock (SELECT ... FOR UPDATE; SQLite's writer lock)."""
    order = locked(Order, order_id)
    if order is None:
        raise NotFound("no such order", code="unknown_order", order_id=order_id)
    return order


def lock_orders(order_ids: Iterable[int]) -> list[Order]:
    """Several orders locked in id order (so two such calls never deadlock), in id order."""
    ids = sorted(set(order_ids))
    orders = db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id).with_for_update()
                                .execution_options(populate_existing=True)).all()
    if len(orders) != len(ids):
        missing = sorted(set(ids) - {o.id for o in orders})
        raise NotFound("no such order", code="unknown_order", order_id=missing[0])
    return list(orders)


def can_move(status: str, to: str) -> bool:
    return _can_move(TRANSITIONS, status, to)


def transition(order: Order, to: str, *, code: str = "order_status_conflict", **values: object) -> None:
    """Move the order from the status it was read with to `to`, as a compare-and-set.

    Refused with Conflict (409, `code`) when the table has no such edge, or (`changed_meanwhile`)
    when another transaction changed the order since it was read. `values` are other columns set
    in the same UPDATE.
    """
    previous = order.status
    compare_and_set(order, to, TRANSITIONS, what=f"order {order.external_id}", code=code,
                    details={"order": order.external_id}, **values)
    announce_status_changed(order, previous)
    if acting_user_id() is not None:  # a person's change (a background job's is in the order's events)
        record("order.status", "order", order.id, before={"status": previous}, after={"status": to},
               summary=f"order {order.external_id}: {previous} → {to}")


@event.listens_for(Order.status, "set")
def _status_only_through_transition(target: Order, value, oldvalue, initiator) -> None:  # noqa: ARG001
    """A persistent order's status changes only through `transition()` (a new order may start anywhere)."""
    if attributes.instance_state(target).persistent and value != oldvalue:
        raise RuntimeError("Order.status changes only through erp_core.orders.states.transition()")
