"""What the command barcodes do on the pick and put-wall screens (see wms.commands, wms.handheld).

Pick: SKIP / NEXT move the task on screen to the end of the cart (`defer_task`) and show the next;
SHORT opens the short-pick form; UNDO takes back the bin or item scan not yet confirmed (a confirmed
pick is moved stock: there is no undo on the handheld); PAUSE pauses the cart (`services.pause_list`);
DONE goes to the next cart when this one is complete, else says how many picks are open.
Put wall: UNDO takes back the item scan whose slot is not confirmed yet; DONE finishes an empty cart;
NEXT starts over at the cart scan.
"""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from erp_core.db import atomic, locked
from erp_core.errors import NotFound
from erp_core.extensions import db
from wms.commands import Command
from wms.handheld import hx_redirect, register_commands, scan_result
from wms.scanning import ScanRefused

from . import put_wall, scan_services, services
from .errors import TaskNotYours
from .interrupts import refuse_stopped_task
from .models import PickTask
from .pick_steps import PickState
from .routes import _pick_panel, _sort_panel
from .sort_steps import SortState


def nothing_to_undo() -> ScanRefused:
    return ScanRefused("nothing to undo here", code="nothing_to_undo")


def defer_task(task_id: int, user_id: int) -> PickTask:
    """Skip a pick for now: the open task goes to the end of the picker's cart (its route order).

    Locks: the task row. Refused when the task is not on the user's cart or not open any more; a cart
    with no other open pick keeps the task where it is."""
    with atomic():
        task = locked(PickTask, task_id or 0)
        if task is None or task.pick_list.picker_id != user_id:
            raise TaskNotYours("This task is not on your cart.")
        if task.status != "open":
            raise ScanRefused("this pick is finished already", code="nothing_to_skip")
        last = db.session.scalar(select(func.max(PickTask.sequence)).where(PickTask.pick_list_id == task.pick_list_id))
        task.sequence = (last or 0) + 1
        db.session.flush()
        db.session.expire(task.pick_list, ["tasks"])
    return task


def _pick_context() -> tuple[int, PickState]:
    task_id = request.form.get("task_id", type=int) or 0
    refuse_stopped_task(task_id, current_user.id)
    return task_id, PickState.from_form(request.form)


def _cart(task_id: int):
    cart = scan_services.my_cart(task_id, current_user.id)
    if cart is None:
        raise TaskNotYours("This task is not on your cart.")
    return cart


def _pick_answer(cart, state: PickState, message: str, **extra):
    return scan_result("picking/_pick_panel.html", ok=True, message=message, **_pick_panel(cart, state), **extra)


def pick_skip():
    task_id, _state = _pick_context()
    cart = _cart(task_id)
    if sum(1 for t in cart.tasks if t.status == "open") < 2:
        raise ScanRefused("this is the last pick of the cart", code="nothing_to_skip")
    defer_task(task_id, current_user.id)
    return _pick_answer(cart, PickState(), _("Skipped: this pick comes again at the end of the cart."))


def pick_short():
    task_id, state = _pick_context()
    return _pick_answer(_cart(task_id), state, _("How many are in the bin? Type it and report the short pick."),
                        short_open=True)


def pick_undo():
    task_id, state = _pick_context()
    if state.step == "bin":
        raise nothing_to_undo()
    back = PickState() if state.step == "item" else PickState("item", state.bin, "", 1, state.lot)
    said = _("Bin scan taken back. Scan the bin.") if back.step == "bin" else _("Item scan taken back. Scan the item.")
    return _pick_answer(_cart(task_id), back, said)


def pick_pause():
    task_id, _state = _pick_context()
    services.pause_list(_cart(task_id).id, current_user.id)
    flash(_("Cart paused. You or a colleague can continue it."), "success")
    return hx_redirect(url_for("handheld.home"))


def pick_done():
    task_id, _state = _pick_context()
    cart = _cart(task_id)
    left = sum(1 for t in cart.tasks if t.status == "open")
    if left:
        raise ScanRefused(f"{left} picks are still open on this cart", code="cart_not_done", n=left)
    return hx_redirect(url_for("picking.pick"))


register_commands("pick", {Command.SKIP: pick_skip, Command.NEXT: pick_skip, Command.SHORT: pick_short,
                           Command.UNDO: pick_undo, Command.PAUSE: pick_pause, Command.DONE: pick_done})


# --- put wall ------------------------------------------------------------------------------------

def _sort_answer(state: SortState, message: str):
    pick_list = scan_services.cart(state.list_id, current_user.warehouse_ids()) if state.list_id else None
    return scan_result("picking/_sort_panel.html", ok=True, message=message, **_sort_panel(pick_list, state))


def sort_undo():
    state = SortState.from_form(request.form)
    if state.step != "slot":
        raise nothing_to_undo()
    return _sort_answer(SortState("item", state.list_id), _("Item scan taken back. Scan the item."))


def sort_done():
    state = SortState.from_form(request.form)
    if state.list_id is None:
        raise ScanRefused("scan a cart first", code="nothing_to_finish")
    if scan_services.cart(state.list_id, current_user.warehouse_ids()) is None:
        raise NotFound("No such cart.")
    left = put_wall.left_on_cart(state.list_id)
    if left:
        raise ScanRefused(f"{left} units are still on the cart", code="cart_not_empty", n=left)
    return _sort_answer(SortState(), _("Cart sorted. Scan the next cart."))


def sort_next():
    return _sort_answer(SortState(), _("Scan the next cart."))


register_commands("sort", {Command.UNDO: sort_undo, Command.DONE: sort_done, Command.NEXT: sort_next})
