"""The handheld's pick, short-pick and put-wall scans as services: one scan, one unit of work.

Each reads the task, asks the pure step function (`pick_steps`, `sort_steps`) what the scan means
and, when the scan completes a pick, a short pick or a sort, confirms it through the picking
services. All of it runs in one `atomic()`: inside the request's own transaction (the idempotency
layer's) that is a savepoint, so a refused or failed scan undoes exactly its own work, whatever it
wrote before failing, and the route answers with the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from erp_core.auth.object_access import require_warehouse_of
from erp_core.db import atomic
from erp_core.errors import DomainError, NotFound
from erp_core.extensions import db
from wms.scanning import BinLabel

from . import pick_lots, pick_steps, put_wall, services, sort_steps, stops
from .errors import TaskNotYours
from .models import PickList, PickTask

_view = pick_lots.task_view


def _my_task(task_id: int, user_id: int) -> PickTask:
    task = db.session.get(PickTask, task_id or 0)
    if task is None or task.pick_list.picker_id != user_id:
        raise TaskNotYours("This task is not on your cart.")
    return task


def my_cart(task_id: int, user_id: int) -> PickList | None:
    """The cart of a task when it is the user's: what the pick screen shows after a refusal."""
    task = db.session.get(PickTask, task_id or 0)
    return task.pick_list if task is not None and task.pick_list.picker_id == user_id else None


@dataclass(frozen=True)
class PickAnswer:
    pick_list: PickList
    step: pick_steps.Step


def _stop_view(task: PickTask) -> pick_steps.PickTaskView:
    """The task as the steps see it, its remaining the whole stop's (a cart picked by location
    shows one stop per bin, SKU and lot; a cluster cart's stop is the task itself)."""
    return replace(_view(task), remaining=stops.stop_of(task).remaining)


def _fresh(pick_list: PickList) -> PickList:
    """The cart read afresh: the confirmations wrote its progress by conditional UPDATEs. Only the
    cart and its tasks are expired (what else was loaded, the user say, is not read again)."""
    db.session.flush()
    for task in pick_list.tasks:
        db.session.expire(task)
    db.session.expire(pick_list)
    return db.session.get(PickList, pick_list.id)


def scan_pick(task_id: int, state: pick_steps.PickState, code: str, *, user_id: int) -> PickAnswer:
    """One scan of the pick screen: the bin, the item, the slot; the last one confirms the pick.
    On a cart picked by location `task_id` names its stop (`stops`), and the pick is shared out
    over the stop's tasks (`stops.confirm_stop`).

    Locks and guarantees: those of `services.confirm_pick` (the task's progress and the bin's quant,
    by conditional updates) or `stops.confirm_stop`; the task must be on the picker's cart. A
    refused scan, or a pick that fails part-way through its moves, changes nothing.
    """
    with atomic():
        task = _my_task(task_id, user_id)
        scan = pick_steps.Scan(code)
        if state.step == "item" and code.strip():
            item = pick_lots.read_item_scan(code)
            scan = pick_steps.Scan(item.code, item.sku.id if item.sku else None, item.lot)
        step = pick_steps.next_step(state, scan, _stop_view(task))
        if isinstance(step, DomainError):
            raise step
        if step.confirm:
            picked, pick_list = step.state, task.pick_list
            where = (task.location_id, task.sku_id, task.lot_id)
            if stops.by_location(pick_list):
                stops.confirm_stop(pick_list.id, *where, bin_scan=picked.bin, item_scan=picked.item,
                                   quantity=picked.qty, user_id=user_id, lot_number=picked.lot)
                pick_list = _fresh(pick_list)
                left = stops.left_at(pick_list, *where)
            else:
                services.confirm_pick(task.id, bin_scan=picked.bin, item_scan=picked.item, quantity=picked.qty,
                                      user_id=user_id, lot_number=picked.lot)
                pick_list = _fresh(pick_list)
                following = services.next_task(pick_list)
                left = _view(following).remaining if following is not None and following.id == task.id else 0
            step = pick_steps.after_pick(picked, cart_done=pick_list.status == "done", left_here=left,
                                         destination=stops.destination(pick_list))
            return PickAnswer(pick_list, step)
        return PickAnswer(task.pick_list, step)


def short_pick(task_id: int, found: int, *, user_id: int) -> PickAnswer:
    """The picker found only `found` of the units left in the bin (缺货): `services.report_short`
    re-sources the rest and asks for a count of the bin; at a stop of a cart picked by location the
    units found are shared out over its tasks (`stops.report_stop_short`). All of it or nothing."""
    with atomic():
        task = _my_task(task_id, user_id)
        step = pick_steps.short_step(found, _stop_view(task))
        if isinstance(step, DomainError):
            raise step
        if stops.by_location(task.pick_list):
            stops.report_stop_short(task.pick_list_id, task.location_id, task.sku_id, task.lot_id, found=found,
                                    user_id=user_id)
        else:
            services.report_short(task.id, found=found, user_id=user_id)
        return PickAnswer(_fresh(task.pick_list), step)


# --- put wall ------------------------------------------------------------------------------------

def cart(list_id: int | None, warehouse_ids: set[int] | None) -> PickList | None:
    """A pick list, when it lies in a warehouse the user may work in."""
    pick_list = db.session.get(PickList, list_id) if list_id else None
    if pick_list is None or (warehouse_ids is not None and pick_list.wave.warehouse_id not in warehouse_ids):
        return None
    return pick_list


def _cart_view(code: str, warehouse_ids: set[int] | None) -> sort_steps.CartView | None:
    found = put_wall.find_cart(code)
    pick_list = cart(found.id, warehouse_ids) if found is not None else None
    if pick_list is None:
        return None
    return sort_steps.CartView(pick_list.id, pick_list.wave.reference, pick_list.wave.kind == "batch_sort")


def _slot_view(pick_list: PickList, line_id: int, sku_id: int, slot: int,
               lot_id: int | None = None) -> sort_steps.SlotView:
    label = put_wall.slot_location(pick_list.wave.warehouse_id, slot)
    return sort_steps.SlotView(line_id, sku_id, slot, BinLabel(label.code, label.barcode), lot_id)


@dataclass(frozen=True)
class SortAnswer:
    pick_list: PickList
    step: sort_steps.Step


def scan_sort(state: sort_steps.SortState, code: str, *, user_id: int,
              warehouse_ids: set[int] | None, typed_lot: str = "") -> SortAnswer:
    """One put-wall scan: the cart, an item (where it goes), or the slot, which confirms the sort.
    An item of a lot-tracked SKU goes with its lot (its GS1 label's, or `typed_lot`).

    Locks and guarantees: those of `put_wall.confirm_sort`; carts of warehouses the user may not
    work in are unknown to them. A refused scan, or a sort failing part-way, changes nothing.
    """
    with atomic():
        if state.step == "cart":
            view = _cart_view(code, warehouse_ids)
        else:
            pick_list = cart(state.list_id, warehouse_ids)
            if pick_list is None:
                raise NotFound("No such cart.")
            if state.step == "item":
                where = put_wall.where_does_it_go(pick_list.id, code, typed_lot)
                view = _slot_view(pick_list, where.order_line_id, where.sku_id, where.slot, where.lot_id)
            else:
                # The slot step names its order line in the form: it must be this cart's, in this warehouse.
                require_warehouse_of("order_line", state.line_id, allowed=warehouse_ids)
                put_wall.require_line_on_cart(pick_list, state.line_id)
                view = _slot_view(pick_list, state.line_id, state.sku_id, state.slot, state.lot_id)
        step = sort_steps.next_step(state, code, view)
        if isinstance(step, DomainError):
            raise step
        if step.confirm:
            done = put_wall.confirm_sort(state.list_id, state.line_id, state.sku_id, code, user_id=user_id,
                                         lot_id=state.lot_id)
            step = sort_steps.after_sort(step.state, slot=done.slot, order_number=done.order_number,
                                         slot_complete=done.slot_complete, left_on_cart=done.left_on_cart)
            return SortAnswer(db.session.get(PickList, state.list_id), step)
        return SortAnswer(db.session.get(PickList, step.state.list_id), step)
