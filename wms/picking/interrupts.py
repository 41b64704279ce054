"""Live interrupts on the picker's handheld: an order on their cart was stopped, or the cart was given away.

Server -> one picker (`user:<id>`, joined on connect in wms.realtime): `handheld_interrupt`
{kind, code, order, cart, messages: {en, zh}} after the change commits; the page
(static/js/interrupts.js) shows a banner and plays an alarm. Nobody else hears it.

How the floor learns of it without erp_core knowing the floor (erp_core never imports wms):
- an interception (拦截) calls the interceptors the WMS registers at app start. The one here notes,
  under the floor's locks and before the pick tasks are cancelled, which pickers' carts hold the
  order, and announces it to them after commit. An order not yet on the floor (pending .. released)
  is cancelled by `cancel_order` and is on nobody's cart: no interrupt is due.
- a supervisor reassigning a cart (`services.assign_list`) announces it after commit here.

The next scan of a stopped order's task is refused by `refuse_stopped_task` with what to do.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from erp_core.auth.models import User
from erp_core.db import on_commit
from erp_core.errors import Conflict
from erp_core.extensions import db
from erp_core.i18n import LOCALES
from erp_core.messages import describe_code
from erp_core.orders.intercept import Interceptor, register_interceptor
from erp_core.orders.models import Order
from wms.scanning import ScanRefused

from .models import PickList, PickTask

EVENT = "handheld_interrupt"
STOPPED_STATUSES = ("intercepted", "cancelled")
# What each stop is called on the banner (the order's status after the change).
STOP_CODES = {"intercepted": "order_intercepted_on_cart", "cancelled": "order_cancelled_on_cart"}
_NOTED = "interrupt_carts"  # session.info key: order id -> {(list id, picker id)} noted under the locks


class OrderStopped(ScanRefused):
    """A scan for a task whose order was intercepted or cancelled while it was on the cart."""


class CartReassigned(Conflict):
    code = "cart_reassigned"


# --- what the picker reads -----------------------------------------------------------------------

# The banners that are news, not refusals (a refusal's text is its code's in erp_core.messages).
BANNERS = {
    "cart_given_to_other": _l("Cart %(cart)s was given to %(picker)s: stop picking it and ask your supervisor "
                              "where to leave it."),
    "cart_taken_back": _l("Cart %(cart)s was taken back by your supervisor: stop picking it and ask where to "
                          "leave it."),
    "cart_given_to_you": _l("Cart %(cart)s was given to you: open Pick to continue it."),
}


def _texts(code: str, fallback: str, **details) -> dict[str, str]:
    """The message in every language, for the page to show the one it reads."""
    context = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with context:
        texts = {}
        for locale in LOCALES:
            with force_locale(locale):
                banner = BANNERS.get(code)
                texts[locale] = str(banner) % details if banner is not None else describe_code(code, fallback,
                                                                                                **details)
        return texts


def _send(user_id: int, payload: dict) -> None:
    from wms.realtime import broadcast, user_room

    broadcast(EVENT, payload, user_room(user_id))


def _held_on_cart(order_id: int, list_id: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(PickTask.picked_quantity), 0))
                                 .where(PickTask.order_id == order_id, PickTask.pick_list_id == list_id)))


def announce_order_stopped(order_id: int, carts: set[tuple[int, int]]) -> None:
    """After commit: each picker whose cart held the order hears it was stopped, and what to do."""
    order = db.session.get(Order, order_id)
    if order is None or order.status not in STOPPED_STATUSES:
        return
    code = STOP_CODES[order.status]
    for list_id, picker_id in sorted(carts):
        units = _held_on_cart(order_id, list_id)
        details = {"order": order.external_id, "cart": f"CART-{list_id}", "units": units}
        _send(picker_id, {"kind": "order_stopped", "code": code, "order": order.external_id, "order_id": order.id,
                          "cart": details["cart"], "units": units,
                          "messages": _texts(code, f"order {order.external_id} was {order.status}", **details)})


def announce_cart_reassigned(list_id: int, previous: int | None, picker_id: int | None) -> None:
    """After commit: the picker who lost the cart hears it at once; the one who got it is told too."""
    cart = f"CART-{list_id}"
    if previous and previous != picker_id:
        new = db.session.get(User, picker_id) if picker_id else None
        code = "cart_given_to_other" if new is not None else "cart_taken_back"
        details = {"cart": cart, "picker": (new.full_name or new.username) if new is not None else ""}
        _send(previous, {"kind": "cart_reassigned", "code": code, "cart": cart,
                         "messages": _texts(code, f"cart {cart} was reassigned", **details)})
    if picker_id and previous != picker_id:
        _send(picker_id, {"kind": "cart_assigned", "code": "cart_given_to_you", "cart": cart,
                          "messages": _texts("cart_given_to_you", f"cart {cart} is yours", cart=cart)})


def cart_reassigned(list_id: int, previous: int | None, picker_id: int | None) -> None:
    """Called inside `assign_list`'s transaction: announce after it commits."""
    on_commit(lambda: announce_cart_reassigned(list_id, previous, picker_id))


# --- the floor's part of an interception ---------------------------------------------------------

def _note_carts(order_id: int) -> None:
    """Under the floor's locks (taken just before by the shipping interceptor), before the tasks are
    cancelled: the carts being picked that hold an open task of the order, and their pickers."""
    rows = db.session.execute(
        select(PickList.id, PickList.picker_id).join(PickTask, PickTask.pick_list_id == PickList.id)
        .where(PickTask.order_id == order_id, PickTask.status == "open", PickList.picker_id.is_not(None),
               PickList.status.in_(("open", "in_progress", "paused"))).distinct()).all()
    db.session.info.setdefault(_NOTED, {})[order_id] = {(list_id, picker_id) for list_id, picker_id in rows}


def _announce_after_commit(order: Order, reason: str, user_id: int | None) -> None:  # noqa: ARG001
    carts = db.session.info.get(_NOTED, {}).pop(order.id, set())
    if carts:
        on_commit(lambda: announce_order_stopped(order.id, carts))


def register_interrupts() -> None:
    """At app start, after the shipping interceptor (whose lock this one relies on)."""
    register_interceptor(Interceptor(lock=_note_carts, stop=_announce_after_commit, settled=lambda order, user: None))


# --- the next scan -------------------------------------------------------------------------------

def refuse_stopped_task(task_id: int, user_id: int) -> PickTask | None:
    """Refuse a scan for a task the picker's screen still shows but that is no longer theirs to pick:
    its order was stopped (what to do with the units already on the cart), or the cart went to
    someone else. Anything else is left to the scan itself, which may use the task returned (held by
    the caller, the session does not read it again)."""
    task = db.session.get(PickTask, task_id or 0)
    if task is None:
        return None
    pick_list = task.pick_list
    if pick_list.picker_id != user_id:
        if pick_list.status not in ("done", "cancelled"):
            raise CartReassigned(f"cart CART-{pick_list.id} was reassigned", code="cart_reassigned",
                                 cart=f"CART-{pick_list.id}")
        return task
    if task.status == "open":
        return task
    order = db.session.get(Order, task.order_id)
    if order is None or order.status not in STOPPED_STATUSES:
        return task
    cart, units = f"CART-{pick_list.id}", _held_on_cart(order.id, pick_list.id)
    what_to_do = "put the units in the exception tote; they go back to stock through put-back"
    if order.status == "intercepted":
        raise OrderStopped(f"order {order.external_id} was intercepted: {what_to_do}", code="order_intercepted_on_cart",
                           order=order.external_id, cart=cart, units=units)
    raise OrderStopped(f"order {order.external_id} was cancelled: {what_to_do}", code="order_cancelled_on_cart",
                       order=order.external_id, cart=cart, units=units)

