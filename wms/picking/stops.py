"""Batch picking by location: a cart carrying many orders' units is picked stop by stop.

A batch-and-sort cart (its units are sorted at the put wall afterwards) and a bulk single-SKU cart
mix the units of many orders, so the picker need not know which order a unit is for: the open
tasks of one bin, SKU and lot are one stop (`pick_steps.group_stops`), shown once with the total.
The tasks stay one per order line and lot, so the ledger, the reservations (one per order line)
and every invariant are those of a single task's pick; only the screen and the confirmation see
them together. Cluster carts (one tote slot per order) keep one task per stop.

The rule of sharing: units confirmed at a stop go to its tasks in a fixed order — the oldest order
of the wave first (its WaveOrder sequence), then task id — each filled before the next gets any.
A short pick at a stop is shared out the same way: the units found fill the oldest orders' lines,
the shortage falls on the newest ones (each of those lines is then re-sourced from other bins, or
marked short for the office, as a single task's short pick is).
"""

from __future__ import annotations

from sqlalchemy import select

from erp_core.db import atomic
from erp_core.errors import ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.services import lot_is
from wms.scanning import bad_quantity, bin_matches

from . import pick_lots, services
from .errors import TaskNotYours, WrongBinScanned, WrongItemScanned, bin_empty, too_many
from .models import PickList, PickTask, WaveOrder
from .pick_steps import Stop, TaskLine, group_stops, share_order, share_out

# Wave kinds whose carts are picked by location (one stop per bin, SKU and lot).
BY_LOCATION = frozenset({"batch_sort", "single_sku"})


def by_location(pick_list: PickList) -> bool:
    """Whether the cart is picked stop by stop (its units are not kept apart per order)."""
    return pick_list.wave.kind in BY_LOCATION


def destination(pick_list: PickList) -> str:
    """Where the finished cart goes: the put wall (batch-and-sort carts) or packing."""
    return "put_wall" if pick_list.wave.kind == "batch_sort" else "packing"


def _ranks(wave_id: int) -> dict[int, int]:
    rows = db.session.execute(select(WaveOrder.order_id, WaveOrder.sequence).where(WaveOrder.wave_id == wave_id))
    return {order_id: sequence for order_id, sequence in rows}


def _lines(tasks: list[PickTask], ranks: dict[int, int]) -> list[TaskLine]:
    return [TaskLine(t.id, t.sequence, t.location_id, t.sku_id, t.lot_id,
                     t.quantity - t.picked_quantity - t.short_quantity, ranks.get(t.order_id, 0))
            for t in tasks if t.status == "open"]


def stops(pick_list: PickList) -> list[Stop]:
    """The cart's open stops in route order: one per task on a cluster cart, one per bin, SKU and
    lot on a cart picked by location."""
    tasks = list(pick_list.tasks)
    if not by_location(pick_list):
        return [Stop(t.location_id, t.sku_id, t.lot_id, t.remaining, (t.id,)) for t in _lines(tasks, {})]
    return group_stops(_lines(tasks, _ranks(pick_list.wave_id)))


def stop_of(task: PickTask) -> Stop:
    """The stop a task belongs to (itself alone on a cluster cart; nothing left: remaining 0)."""
    pick_list = task.pick_list
    if by_location(pick_list):
        for stop in stops(pick_list):
            if (stop.location_id, stop.sku_id, stop.lot_id) == (task.location_id, task.sku_id, task.lot_id):
                return stop
        return Stop(task.location_id, task.sku_id, task.lot_id, 0, (task.id,))
    left = task.quantity - task.picked_quantity - task.short_quantity if task.status == "open" else 0
    return Stop(task.location_id, task.sku_id, task.lot_id, left, (task.id,))


def totals(pick_list: PickList) -> dict[str, int]:
    """The cart's running totals: stops (lines) done of all, units done (picked or short) of all."""
    live = [t for t in pick_list.tasks if t.status != "cancelled"]
    if by_location(pick_list):
        keys = {(t.location_id, t.sku_id, t.lot_id) for t in live}
        open_keys = {(t.location_id, t.sku_id, t.lot_id) for t in live if t.status == "open"}
        lines, lines_done = len(keys), len(keys - open_keys)
    else:
        lines, lines_done = len(live), sum(1 for t in live if t.status != "open")
    return {"lines": lines, "lines_done": lines_done, "units": sum(t.quantity for t in live),
            "units_done": sum(t.picked_quantity + t.short_quantity for t in live)}


def _lock_stop(list_id: int, location_id: int, sku_id: int, lot_id: int | None, user_id: int) -> list[PickTask]:
    """The stop's open task rows, locked in id order (a second confirmation of the stop waits here,
    then reads what the first left), in the order units are shared out."""
    tasks = db.session.scalars(
        select(PickTask).where(PickTask.pick_list_id == list_id, PickTask.location_id == location_id,
                               PickTask.sku_id == sku_id, lot_is(PickTask.lot_id, lot_id), PickTask.status == "open")
        .order_by(PickTask.id).with_for_update().execution_options(populate_existing=True)).all()
    pick_list = db.session.get(PickList, list_id)
    if pick_list is None or pick_list.picker_id != user_id:
        raise TaskNotYours("this cart is someone else's; ask your supervisor")
    if not tasks:
        raise bin_empty()
    ranks = _ranks(pick_list.wave_id)
    by_id = {t.id: t for t in tasks}
    return [by_id[line.id] for line in share_order(_lines(tasks, ranks))]


def _parts(tasks: list[PickTask]) -> list[tuple[int, int]]:
    return [(t.id, t.quantity - t.picked_quantity - t.short_quantity) for t in tasks]


def confirm_stop(list_id: int, location_id: int, sku_id: int, lot_id: int | None, *, bin_scan: str, item_scan: str,
                 quantity: int, user_id: int, lot_number: str = "") -> list[tuple[int, int]]:
    """Confirm `quantity` units picked at one stop (bin, SKU, lot) of a cart picked by location:
    shared out over the stop's tasks, oldest order of the wave first (`pick_steps.share_out`), each
    share confirmed by `services.confirm_pick` (bin -> cart through `move_reserved` with the task's
    lot, or another lot as good for its order, swapped in), all in one transaction.

    Locks: the stop's open task rows in id order first, then what each `confirm_pick` locks (the
    bin's and the cart's quants and the line's reservations, the list, the order, the wave).
    Guarantees: wrong bin, wrong item, too many or any share refused changes nothing at all; two
    confirmations of one stop at once — the second waits for the first, then takes only what is
    left (refused `bin_empty` when nothing is). Returns [(task id, units)] as shared out.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity")
    with atomic():
        tasks = _lock_stop(list_id, location_id, sku_id, lot_id, user_id)
        head = tasks[0]
        if not bin_matches(head.location, bin_scan):
            raise WrongBinScanned(f"wrong bin {bin_scan}: go to {head.location.code}", code="wrong_bin",
                                  expected=head.location.code)
        item = pick_lots.read_item_scan(item_scan, lot_number)
        if item.sku is None or item.sku.id != sku_id:
            raise WrongItemScanned(f"wrong item {item_scan}: pick {head.sku.code} {head.sku.name}",
                                   code="wrong_item", expected=head.sku.code)
        parts = _parts(tasks)
        total = sum(wanted for _, wanted in parts)
        if quantity > total:
            raise too_many(total)
        shares = share_out(quantity, parts)
        for task_id, units in shares:
            services.confirm_pick(task_id, bin_scan=bin_scan, item_scan=item_scan, quantity=units, user_id=user_id,
                                  lot_number=lot_number)
        return shares


def report_stop_short(list_id: int, location_id: int, sku_id: int, lot_id: int | None, *, found: int,
                      user_id: int) -> list[tuple[int, int]]:
    """The stop's bin holds only `found` of the units its tasks still want (缺货): the units found
    are shared out oldest order first (`share_out`), and every task of the stop is reported short
    with its share (`services.report_short`: the missing units released and re-sourced, or the line
    marked short for the office; the bin counted once). All of it in one transaction.

    Locks: the stop's open task rows in id order, then what `report_short` locks, task by task.
    Returns [(task id, units found for it)] for every task of the stop (0 for those left short).
    """
    with atomic():
        tasks = _lock_stop(list_id, location_id, sku_id, lot_id, user_id)
        parts = _parts(tasks)
        total = sum(wanted for _, wanted in parts)
        if found < 0 or found > total:
            raise bad_quantity(0, total)
        given = dict(share_out(found, parts))
        for task in tasks:
            services.report_short(task.id, found=given.get(task.id, 0), user_id=user_id)
        return [(task.id, given.get(task.id, 0)) for task in tasks]


def left_at(pick_list: PickList, location_id: int, sku_id: int, lot_id: int | None) -> int:
    """Units still to pick at one stop of the cart (read afresh)."""
    return sum(s.remaining for s in stops(pick_list) if (s.location_id, s.sku_id, s.lot_id) == (location_id, sku_id,
                                                                                                  lot_id))


def cart_label(pick_list: PickList) -> str:
    """The barcode of the cart's label (<WH>-CART-<id>): the cart the picker takes, and the put wall scans."""
    from erp_core.inventory.models import Location

    return db.session.scalar(select(Location.barcode).filter_by(warehouse_id=pick_list.wave.warehouse_id,
                                                                code=f"CART-{pick_list.id}")) or ""
