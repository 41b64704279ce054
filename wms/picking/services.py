"""Picking use-cases: hand out pick lists, confirm picks, report short picks (waves: `waves.py`).

Each function is one transaction. Picks move stock from the bin to the cart's location in the ledger
(consuming the bin's reservation and re-reserving on the cart for the same order line), so on-hand
always equals the sum of moves and reservations never exceed what is on hand. Live boards hear of
every change after commit (`wms.picking.events`).
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from erp_core.db import atomic, locked, on_commit
from erp_core.errors import Conflict, DomainError, InsufficientStock, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.lots import order_shipping_limits
from erp_core.inventory.reservations import move_reserved, release_at, reservable_bins, reserve_at
from erp_core.models_base import utcnow
from erp_core.orders.models import Order, OrderLine
from erp_core.orders.services import record_event
from erp_core.orders.states import lock_order, transition
from erp_core.statemachine import compare_and_set
from wms.locations.count_planning import request_bin_count
from wms.scanning import bin_matches

from . import events, interrupts, pick_lots
from .errors import BinEmpty, TaskNotYours, TooManyPicked, WrongBinScanned, WrongItemScanned
from .models import LIST_TRANSITIONS, WAVE_TRANSITIONS, PickList, PickTask, Wave
from .pick_steps import lot_to_pick

SHORT_COUNT_KIND = "short_pick"
CLAIM_BATCH = 20  # carts a picker tries to claim per read


def pick_list_for(user_id: int, warehouse_ids: set[int] | None) -> PickList | None:
    """The picker's list in progress, else the next open one (claimed by a conditional UPDATE so no one
    else takes it; then the wave, under its row lock, moves on to `picking`)."""
    with atomic():
        mine = db.session.scalar(select(PickList).where(PickList.picker_id == user_id,
                                                        PickList.status == "in_progress"))
        if mine is not None:
            return mine
        stmt = (select(PickList.id).join(Wave).where(PickList.status.in_(("open", "paused")),
                                                       Wave.status.in_(("released", "picking")))
                .order_by(Wave.id, PickList.sequence))
        if warehouse_ids is not None:
            stmt = stmt.where(Wave.warehouse_id.in_(warehouse_ids))
        # A shift starting at once reads the same first carts: a picker whose every candidate was taken
        # by a colleague reads the next ones, and is told "no work" only when there are none left.
        tried: set[int] = set()
        while candidates := db.session.scalars(stmt.where(PickList.id.not_in(tried)).limit(CLAIM_BATCH)).all():
            for list_id in candidates:
                claimed = db.session.execute(
                    update(PickList).where(PickList.id == list_id, PickList.status.in_(("open", "paused")))
                    .values(status="in_progress", picker_id=user_id,
                            started_at=func.coalesce(PickList.started_at, utcnow())))
                if claimed.rowcount == 1:
                    pick_list = db.session.get(PickList, list_id)
                    db.session.refresh(pick_list)
                    _wave_to(pick_list.wave, "picking")
                    on_commit(lambda lid=list_id: events.list_changed(lid))
                    return pick_list
            tried.update(candidates)
    return None


def pause_list(list_id: int, user_id: int) -> PickList:
    """The picker stops; the cart waits for them or for someone else to continue it."""
    with atomic():
        pick_list = _own_list(list_id, user_id)
        compare_and_set(pick_list, "paused", LIST_TRANSITIONS, what=f"pick list {list_id}", code="list_not_pausable",
                        picker_id=None)
        on_commit(lambda: events.list_changed(list_id))
    return pick_list


def assign_list(list_id: int, picker_id: int | None) -> PickList:
    """A supervisor gives a list to a picker (or takes it back). Locks the list, then the wave."""
    with atomic():
        pick_list = locked(PickList, list_id)
        if pick_list is None:
            raise NotFound("no such pick list", code="unknown_pick_list")
        if pick_list.status in ("done", "cancelled"):
            raise Conflict("this pick list is finished", code="list_finished")
        previous, wanted = pick_list.picker_id, "in_progress" if picker_id else "open"
        if pick_list.status != wanted:
            compare_and_set(pick_list, wanted, LIST_TRANSITIONS, what=f"pick list {list_id}", code="list_finished")
        pick_list.picker_id = picker_id
        if picker_id:
            _wave_to(pick_list.wave, "picking")  # a cart given to a picker is being picked
        on_commit(lambda: events.list_changed(list_id))
        interrupts.cart_reassigned(list_id, previous, picker_id)  # the pickers' handhelds, after commit
    return pick_list


def _own_list(list_id: int, user_id: int) -> PickList:
    pick_list = db.session.get(PickList, list_id)
    if pick_list is None:
        raise NotFound("no such pick list")
    if pick_list.picker_id != user_id:
        raise TaskNotYours("this cart is someone else's; ask your supervisor")
    return pick_list


def next_task(pick_list: PickList) -> PickTask | None:
    return next((t for t in pick_list.tasks if t.status == "open"), None)


def check_bin(task_id: int, scanned: str) -> PickTask:
    """The bin scan of a task: refused with the expected bin when it is another one."""
    task = _task(task_id)
    if not bin_matches(task.location, scanned):
        raise WrongBinScanned(f"wrong bin {scanned}: go to {task.location.code}", code="wrong_bin",
                              expected=task.location.code)
    return task


def _task(task_id: int, *, lock: bool = False) -> PickTask:
    # Locked: the progress is read afresh under the task's row lock.
    task = locked(PickTask, task_id) if lock else db.session.get(PickTask, task_id)
    if task is None:
        raise NotFound("no such pick task", code="unknown_pick_task")
    return task


def confirm_pick(task_id: int, *, bin_scan: str, item_scan: str, quantity: int = 1, user_id: int,
                 lot_number: str = "") -> PickTask:
    """Confirm `quantity` units of a task picked into the cart: bin and item must match.

    The item scan is a barcode, a SKU code or a GS1 element string (its GTIN names the SKU, its AI 10
    the lot); `lot_number` is a lot typed by hand (a GS1 scan's lot wins). For a task with a lot the
    units are the task's lot, or (`pick_steps.lot_to_pick`) another lot of the bin as good for the
    order: its reservation is swapped in and the pick is booked on a task of that lot
    (`pick_lots.take_other_lot`: the whole task changes lot, or the picked units split off).

    Locks: the task row (read under FOR UPDATE, progress by conditional UPDATE), then through the
    reservation API the bin's quants (the other lot's, on a swap), the line's reservation rows and
    the cart's quant, then (when the order's picking is complete) the order row. Guarantees: wrong
    bin, wrong item, wrong lot or too many change nothing; two pickers confirming the last unit at
    once — one wins, the other is told the bin is empty; the units and their reservation move
    bin -> cart together, of the lot the picker took. Returns the task `task_id`.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity")
    with atomic():
        task = _task(task_id, lock=True)
        pick_list = task.pick_list
        if pick_list.picker_id != user_id:
            raise TaskNotYours("this cart is someone else's; ask your supervisor")
        if not bin_matches(task.location, bin_scan):
            raise WrongBinScanned(f"wrong bin {bin_scan}: go to {task.location.code}", code="wrong_bin",
                                  expected=task.location.code)
        item = pick_lots.read_item_scan(item_scan, lot_number)
        sku = item.sku
        if sku is None or sku.id != task.sku_id:
            raise WrongItemScanned(f"wrong item {item_scan}: pick {task.sku.code} {task.sku.name}",
                                   code="wrong_item", expected=task.sku.code)
        remaining = task.quantity - task.picked_quantity - task.short_quantity
        if remaining <= 0:
            raise BinEmpty("already picked by someone else: the bin is empty for this task", code="bin_empty")
        if quantity > remaining:
            raise TooManyPicked(f"too many: only {remaining} left to pick here", code="too_many",
                                expected=str(remaining))
        asked = task
        if task.lot_id is not None:
            lot = lot_to_pick(pick_lots.task_view(task), item.lot, quantity)
            if isinstance(lot, DomainError):
                raise lot
            if lot != task.lot.lot_number:
                task = pick_lots.take_other_lot(task, lot, quantity)
        taken = db.session.execute(
            update(PickTask).where(PickTask.id == task.id, PickTask.status == "open",
                                   PickTask.picked_quantity + PickTask.short_quantity + quantity <= PickTask.quantity)
            .values(picked_quantity=PickTask.picked_quantity + quantity))
        if taken.rowcount != 1:
            raise BinEmpty("already picked by someone else: the bin is empty for this task", code="bin_empty")
        try:
            move_reserved(task.order_line_id, task.sku_id, task.location_id, task.tote_location_id, quantity,
                          reason="pick", reference=f"PICK-{task.id}", user_id=user_id, lot_id=task.lot_id)
        except (InsufficientStock, Conflict) as error:
            raise BinEmpty(f"the bin {task.location.code} has no more reserved units", code="bin_empty",
                           expected=task.location.code) from error
        if task is not asked:  # the asked task was read under its row lock, and the UPDATE above
            db.session.refresh(task)  # synchronised it (the ORM evaluates `+ quantity` on it)
        task.done_by_id, task.done_at = user_id, utcnow()
        if task.picked_quantity + task.short_quantity == task.quantity:
            task.status = "done" if task.short_quantity == 0 else "short"
        _after_progress(task)
        wave_id = pick_list.wave_id
        on_commit(lambda: events.wave_changed(wave_id))
    return asked


def _after_progress(task: PickTask) -> None:
    """Close the list, the order and the wave whose picking is now complete.

    Each is locked before its completion is judged from fresh rows (list, then order, then wave:
    the order every picking service takes them in), so two pickers finishing the last tasks of one
    order or one wave at once cannot both see the other's work as still open: the second waits for
    the first to commit, then sees it and completes what is complete. The wave is locked only by the
    pick that completes a list: only those can complete the wave.
    """
    db.session.flush()
    pick_list = locked(PickList, task.pick_list_id)
    if pick_list.status not in ("done", "cancelled") and not _open_tasks(PickTask.pick_list_id == pick_list.id):
        compare_and_set(pick_list, "done", LIST_TRANSITIONS, what=f"pick list {pick_list.id}", code="list_finished",
                        completed_at=utcnow())
    order = lock_order(task.order_id)
    if order.status == "picking" and not _open_tasks(PickTask.order_id == order.id):
        transition(order, "picked")
        shorts = db.session.scalar(select(func.coalesce(func.sum(PickTask.short_quantity), 0))
                                   .where(PickTask.order_id == order.id))
        record_event(order, "picked", f"{shorts} short" if shorts else "complete", task.done_by_id)
    if pick_list.status not in ("done", "cancelled"):
        # The wave cannot be complete while this list is open: skip its lock, which would otherwise make
        # every pick of the wave wait for the others' commits (20 carts of one wave picking in series).
        return
    wave = locked(Wave, pick_list.wave_id)
    unfinished = db.session.scalar(select(func.count(PickList.id)).where(
        PickList.wave_id == wave.id, PickList.status.not_in(("done", "cancelled"))))
    if not unfinished:
        _wave_to(wave, "picked", completed_at=utcnow())


def _open_tasks(where) -> int:
    return db.session.scalar(select(func.count(PickTask.id)).where(where, PickTask.status == "open"))


def _wave_to(wave: Wave, to: str, **values) -> None:
    """Move a wave on with picking (released -> picking -> picked), under the wave's row lock; a no-op
    when it is there already (or further on)."""
    wave = locked(Wave, wave.id)
    if wave.status == to or (to == "picking" and wave.status == "picked"):
        return
    compare_and_set(wave, to, WAVE_TRANSITIONS, what=f"wave {wave.reference}", code="wave_status_conflict",
                    details={"wave": wave.reference}, **values)


def report_short(task_id: int, *, found: int, user_id: int) -> PickTask:
    """The bin holds fewer than the task asks (缺货): pick what is there, find the rest elsewhere.

    Locks: the task row first (a second report of the same task waits, then is refused), then the
    quants through the reservation API.
    The missing units' reservation is released from the bin; another bin of the warehouse with
    available stock gets a new task on the same list; failing that the order line is marked short and
    the order flagged for the office. Either way the bin gets a cycle count.
    """
    with atomic():
        task = _task(task_id, lock=True)
        if task.status != "open":
            raise BinEmpty("this task is finished already", code="bin_empty", expected=task.location.code)
        if task.pick_list.picker_id != user_id:
            raise TaskNotYours("this cart is someone else's; ask your supervisor")
        remaining = task.quantity - task.picked_quantity - task.short_quantity
        if found < 0 or found > remaining:
            raise ValidationFailed(f"found must be between 0 and {remaining}", code="bad_quantity")
        bin_code = task.location.code
        missing = remaining - found
        if missing:
            _shortage(task, missing, user_id)
        _request_count(task.location_id, task.pick_list.wave.warehouse_id, user_id, f"short pick at {bin_code}")
        db.session.flush()
        if found:  # the units found are of the task's lot: the picker counted the task's lot
            sku_code, lot_number = task.sku.code, task.lot.lot_number if task.lot_id else ""
            confirm_pick(task.id, bin_scan=task.location.barcode or bin_code, item_scan=sku_code, quantity=found,
                         user_id=user_id, lot_number=lot_number)
        else:
            task.done_by_id, task.done_at = user_id, utcnow()  # the board counts it as this picker's line
            if task.picked_quantity + task.short_quantity == task.quantity:
                task.status = "short" if task.short_quantity else "done"
            _after_progress(task)
        wave_id = task.pick_list.wave_id
        on_commit(lambda: events.wave_changed(wave_id))
    return task


def _shortage(task: PickTask, missing: int, user_id: int) -> None:
    """Release the missing units from the bin and re-source them: other bins first, else short."""
    release_at(task.order_line_id, task.sku_id, task.location_id, missing, lot_id=task.lot_id)
    task.short_quantity += missing
    db.session.flush()
    warehouse_id = task.pick_list.wave.warehouse_id
    last = max(t.sequence for t in task.pick_list.tasks)
    left = missing
    limit = order_shipping_limits(task.order).get(task.sku_id)
    for stock in reservable_bins(task.sku_id, warehouse_id, exclude_location_id=task.location_id,
                                 bin_types=("pick", "reserve"), min_expiry=limit):
        take = min(left, stock.free)
        try:
            reserve_at(task.order_line_id, task.sku_id, stock.location_id, take, lot_id=stock.lot_id)
        except InsufficientStock:
            continue  # taken by another transaction since we looked
        last += 1
        db.session.add(PickTask(pick_list_id=task.pick_list_id, sequence=last, order_id=task.order_id,
                                order_line_id=task.order_line_id, sku_id=task.sku_id, location_id=stock.location_id,
                                lot_id=stock.lot_id, tote_location_id=task.tote_location_id, slot=task.slot,
                                quantity=take))
        left -= take
        if left == 0:
            break
    db.session.flush()
    order = db.session.get(Order, task.order_id)
    if left:
        from wms.shipping.services import open_exception

        db.session.execute(update(OrderLine).where(OrderLine.id == task.order_line_id)
                           .values(short_quantity=OrderLine.short_quantity + left))
        record_event(order, "short_pick", f"{left} x {task.sku.code} not found; re-allocate or ship partial", user_id)
        # The office decides on the exceptions desk: re-allocate, ship partial or cancel the line.
        open_exception("short_pick", order.id, warehouse_id=warehouse_id, user_id=user_id,
                       order_line_id=task.order_line_id, sku=task.sku.code, missing=left, bin=task.location.code)
    else:
        record_event(order, "short_pick", f"{missing} x {task.sku.code} re-sourced from other bins", user_id)


def _request_count(location_id: int, warehouse_id: int, user_id: int, note: str) -> None:
    request_bin_count(warehouse_id, location_id, kind=SHORT_COUNT_KIND, note=note, user_id=user_id)


def cancel_order_tasks(order_id: int, *, user_id: int | None = None) -> int:
    """The order was intercepted: its open pick tasks are cancelled and the units they were still to
    pick are released from their bins (what was picked stays reserved on the cart until put back).
    Lists (and waves) with nothing left open are finished. Returns the tasks cancelled.

    Locks: the order's open tasks in id order (callers take them before the order's row lock, as
    confirm_pick does), then through the reservation API each bin's quant, then each list and wave.
    """
    with atomic():
        tasks = db.session.scalars(select(PickTask).where(PickTask.order_id == order_id, PickTask.status == "open")
                                   .order_by(PickTask.id).with_for_update()
                                   .execution_options(populate_existing=True)).all()
        lists = {}
        for task in tasks:
            left = task.quantity - task.picked_quantity - task.short_quantity
            if left:
                release_at(task.order_line_id, task.sku_id, task.location_id, left, lot_id=task.lot_id)
            task.status, task.done_by_id, task.done_at = "cancelled", user_id, utcnow()
            lists.setdefault(task.pick_list_id, task)
        for task in lists.values():
            _after_progress(task)
        for list_id in lists:
            on_commit(lambda lid=list_id: events.list_changed(lid))
        return len(tasks)
