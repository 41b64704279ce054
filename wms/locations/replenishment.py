"""Replenishment (补货): pick faces with a min/max, tasks that move stock from reserve bins to them,
and the scans that do a task on the handheld.

A task is planned from what the reserve bins have available (on hand minus reserved, minus what
open tasks already promised out of them), so two tasks never count on the same units. A task takes
one reserve quant, i.e. one lot of a lot-tracked SKU: reserve stock is chosen FEFO (earliest expiry
first), never from a held or expired lot, and a pick face that keeps lots apart (`mixed_lots` off)
only gets the lot it holds. Doing a task
moves the stock through the ledger (`move_stock`, reason 'replenishment', reference RPL-<id>) in
the same transaction as marking it done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update

from erp_core.db import atomic
from erp_core.errors import Conflict, DomainError, InsufficientStock, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.lots import normalise_lot_number
from erp_core.inventory.models import Location, Lot, Quant
from erp_core.inventory.reservations import sellable_lot
from erp_core.inventory.services import lot_is, move_stock
from erp_core.inventory.stock_queries import quant_in
from erp_core.models_base import utcnow

from ..scanning import ScanRefused, bad_quantity, bin_matches, wrong_bin, wrong_item
from .item_scans import read_item
from .models import PickFace, ReplenishmentTask

OPEN = ("open", "in_progress")


# --- Pick faces ------------------------------------------------------------------------------------

def _check_min_max(min_quantity: int, max_quantity: int) -> None:
    if min_quantity < 0 or max_quantity <= min_quantity:
        raise ValidationFailed("the maximum must be above the minimum, and the minimum at least 0",
                               code="bad_min_max")


def assign_pick_face(location_id: int, sku_id: int, min_quantity: int, max_quantity: int) -> PickFace:
    """Assign a SKU to a pick-face bin with its min/max. Raises when the bin is not a pick face."""
    _check_min_max(min_quantity, max_quantity)
    with atomic():
        loc = db.session.get(Location, location_id)
        if loc is None or loc.kind != "bin" or loc.bin_type != "pick" or loc.usage != "internal":
            raise ValidationFailed("only a pick-face bin can be a pick face", code="not_a_pick_bin")
        if db.session.scalar(select(PickFace.id).filter_by(location_id=location_id, sku_id=sku_id)):
            raise Conflict("this SKU is already assigned to this bin", code="pick_face_exists")
        face = PickFace(location_id=location_id, sku_id=sku_id, min_quantity=min_quantity,
                        max_quantity=max_quantity)
        db.session.add(face)
        db.session.flush()
    return face


def update_pick_face(face_id: int, min_quantity: int, max_quantity: int) -> PickFace:
    _check_min_max(min_quantity, max_quantity)
    with atomic():
        face = db.session.get(PickFace, face_id)
        if face is None:
            raise NotFound("no such pick face")
        face.min_quantity, face.max_quantity = min_quantity, max_quantity
    return face


def remove_pick_face(face_id: int) -> int:
    """Remove the assignment and cancel its replenishment tasks nobody has started; returns how many."""
    with atomic():
        face = db.session.get(PickFace, face_id)
        if face is None:
            raise NotFound("no such pick face")
        cancelled = db.session.execute(
            update(ReplenishmentTask)
            .where(ReplenishmentTask.to_location_id == face.location_id, ReplenishmentTask.sku_id == face.sku_id,
                   ReplenishmentTask.status == "open")
            .values(status="cancelled")).rowcount
        db.session.delete(face)
    return cancelled


# --- Planning --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shortage:
    """A pick face that needs units no reserve bin of the warehouse has available."""

    pick_face_id: int
    sku_id: int
    location_id: int
    missing: int


@dataclass
class ReplenishmentPlan:
    created: list[ReplenishmentTask] = field(default_factory=list)
    short: list[Shortage] = field(default_factory=list)
    already_open: int = 0  # pick faces below min that already have an open task


def _on_hand(sku_id: int, location_id: int) -> tuple[int, int]:
    """(on hand, reserved) of a SKU at a pick face: every lot that can still be picked, together
    (held or expired units there are not stock a picker can use)."""
    quantity, reserved = db.session.execute(
        select(func.coalesce(func.sum(Quant.quantity), 0), func.coalesce(func.sum(Quant.reserved_quantity), 0))
        .where(Quant.sku_id == sku_id, Quant.location_id == location_id, sellable_lot())).one()
    return int(quantity), int(reserved)


def _lot_at_face(face: PickFace) -> int | None:
    """The lot a pick face that keeps lots apart holds now (None: it mixes lots, or holds none)."""
    if face.location.mixed_lots:
        return None
    return db.session.scalar(select(Quant.lot_id).where(Quant.sku_id == face.sku_id,
                                                        Quant.location_id == face.location_id,
                                                        Quant.quantity > 0, Quant.lot_id.is_not(None)).limit(1))


def _open_quantity(**where) -> int:
    stmt = select(func.coalesce(func.sum(ReplenishmentTask.quantity), 0)).where(ReplenishmentTask.status.in_(OPEN))
    for column, value in where.items():
        stmt = stmt.where(lot_is(ReplenishmentTask.lot_id, value) if column == "lot_id"
                          else getattr(ReplenishmentTask, column) == value)
    return int(db.session.scalar(stmt))


@dataclass(frozen=True)
class ReserveStock:
    location_id: int
    lot_id: int | None
    free: int  # units free to move: not reserved, not promised to an open task


def _reserve_sources(warehouse_id: int, sku_id: int, lot_id: int | None = None) -> list[ReserveStock]:
    """The reserve quants of a SKU with units free to move, in the order to take them: earliest
    expiry first (FEFO; stock without an expiry after), then the largest. Held and expired lots are
    left out; with `lot_id`, only that lot."""
    rows = db.session.execute(
        select(Location.id, Location.code, Quant.lot_id, Lot.expiry_date, Quant.quantity - Quant.reserved_quantity)
        .join(Quant, Quant.location_id == Location.id).outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Location.warehouse_id == warehouse_id, Location.bin_type == "reserve", Location.usage == "internal",
               Location.active.is_(True), Quant.sku_id == sku_id, Quant.quantity > Quant.reserved_quantity,
               sellable_lot())).all()
    free = [(expiry, loc_id, code, lot, int(avail) - _open_quantity(from_location_id=loc_id, sku_id=sku_id,
                                                                     lot_id=lot))
            for loc_id, code, lot, expiry, avail in rows if lot_id is None or lot == lot_id]
    free.sort(key=lambda r: (r[0] is None, r[0] or date.max, -r[4], r[2]))
    return [ReserveStock(loc_id, lot, qty) for _expiry, loc_id, _code, lot, qty in free if qty > 0]


def _faces(warehouse_id: int, sku_ids: list[int] | None = None) -> list[PickFace]:
    """The warehouse's pick faces, locked in id order so two planners cannot both plan the same one."""
    stmt = (select(PickFace).join(Location, Location.id == PickFace.location_id)
            .where(Location.warehouse_id == warehouse_id, Location.active.is_(True))
            .order_by(PickFace.id).with_for_update(of=PickFace))
    if sku_ids is not None:
        stmt = stmt.where(PickFace.sku_id.in_(sku_ids))
    return list(db.session.scalars(stmt))


def _create_tasks(plan: ReplenishmentPlan, face: PickFace, warehouse_id: int, needed: int, trigger: str,
                  reference: str) -> None:
    # Tasks are not assigned when planned: whoever scans the from-bin first takes the task.
    left = needed
    keep_lot = _lot_at_face(face)
    for source in _reserve_sources(warehouse_id, face.sku_id, keep_lot):
        if not face.location.mixed_lots and keep_lot is None:
            keep_lot = source.lot_id  # an empty face that keeps lots apart: the first lot taken is its lot
        if source.lot_id != keep_lot and not face.location.mixed_lots:
            continue
        take = min(source.free, left)
        task = ReplenishmentTask(warehouse_id=warehouse_id, sku_id=face.sku_id, from_location_id=source.location_id,
                                 to_location_id=face.location_id, quantity=take, trigger=trigger,
                                 lot_id=source.lot_id, reference=reference[:40], status="open")
        db.session.add(task)
        db.session.flush()
        plan.created.append(task)
        left -= take
        if left == 0:
            break
    if left:
        plan.short.append(Shortage(face.id, face.sku_id, face.location_id, left))


def plan_replenishment(warehouse_id: int) -> ReplenishmentPlan:
    """Open 'min' tasks for every pick face whose on-hand is below its minimum, for max - on hand.

    Locks: the warehouse's pick-face rows (in id order). Guarantees: no second open task for a pick
    face that already has one; tasks only take units a reserve bin has free (not reserved, not
    promised to another open task), largest bin first, several bins when one is not enough; what no
    reserve bin has is reported in `short`.
    """
    plan = ReplenishmentPlan()
    with atomic():
        for face in _faces(warehouse_id):
            on_hand, _reserved = _on_hand(face.sku_id, face.location_id)
            if on_hand >= face.min_quantity:
                continue
            if _open_quantity(to_location_id=face.location_id, sku_id=face.sku_id):
                plan.already_open += 1
                continue
            _create_tasks(plan, face, warehouse_id, face.max_quantity - on_hand, "min", "")
    return plan


def replenish_for_demand(warehouse_id: int, demand: dict[int, int], reference: str = "") -> ReplenishmentPlan:
    """Open 'wave' tasks where a released wave needs more of a SKU than its pick face has available.

    The shortfall is the demand minus what is available at the face (on hand minus reserved) and
    minus what open tasks are already bringing there. When there is one, the task fills the face up
    to its maximum, or brings the whole shortfall when that is more. SKUs without a pick face are
    picked from where they lie and need nothing. Locks as `plan_replenishment`.
    """
    plan = ReplenishmentPlan()
    with atomic():
        seen: set[int] = set()
        for face in _faces(warehouse_id, sorted(demand)):
            if face.sku_id in seen:  # one face per SKU: the first assigned
                continue
            seen.add(face.sku_id)
            on_hand, reserved = _on_hand(face.sku_id, face.location_id)
            inbound = _open_quantity(to_location_id=face.location_id, sku_id=face.sku_id)
            shortfall = demand[face.sku_id] - (on_hand - reserved) - inbound
            if shortfall <= 0:
                continue
            needed = max(shortfall, face.max_quantity - on_hand - inbound)
            _create_tasks(plan, face, warehouse_id, needed, "wave", reference)
    return plan


# --- Doing a task on the handheld ------------------------------------------------------------------

def open_tasks(warehouse_ids: set[int] | None, *, near: tuple[float, float] = (0.0, 0.0)) -> list[ReplenishmentTask]:
    """Open tasks of the warehouses, those a wave waits for first, then the nearest from-bin first."""
    stmt = select(ReplenishmentTask).where(ReplenishmentTask.status.in_(OPEN))
    if warehouse_ids is not None:
        stmt = stmt.where(ReplenishmentTask.warehouse_id.in_(warehouse_ids))
    tasks = list(db.session.scalars(stmt))

    def distance(task: ReplenishmentTask) -> float:
        loc = task.from_location
        if loc.x is None or loc.y is None:
            return math.inf
        return abs(loc.x - near[0]) + abs(loc.y - near[1])

    return sorted(tasks, key=lambda t: (t.trigger != "wave", distance(t), t.id))


matches = bin_matches  # the name the count screens use


def task_closed() -> Conflict:
    return Conflict("This task is not open any more.", code="task_closed")


def open_task(task_id: int) -> ReplenishmentTask:
    """The task, refused (task_closed) once it is done or cancelled."""
    task = db.session.get(ReplenishmentTask, task_id)
    if task is None:
        raise NotFound("No such replenishment task.")
    if task.status not in OPEN:
        raise task_closed()
    return task


def check_from_bin(task_id: int, code: str, *, user_id: int) -> ReplenishmentTask:
    """The first scan: the reserve bin. The task becomes the scanner's (in progress)."""
    with atomic():
        task = open_task(task_id)
        if not matches(task.from_location, code):
            raise wrong_bin(code.strip(), task.from_location.code)
        task.status, task.user_id = "in_progress", user_id
    return task


def check_item(task_id: int, code: str) -> ReplenishmentTask:
    """The item scan: the task's SKU; a GS1 scan naming a lot must name the task's lot."""
    task = open_task(task_id)
    try:
        item = read_item(code) if code.strip() else None
    except DomainError:
        item = None
    if item is None or item.sku.id != task.sku_id:
        raise wrong_item(code.strip(), task.sku.code)
    scanned = item.gs1.lot_number if item.gs1 is not None else None
    if scanned and task.lot is not None and normalise_lot_number(scanned) != task.lot.lot_number:
        raise wrong_lot(normalise_lot_number(scanned), task.lot.lot_number)
    return task


def wrong_lot(scanned: str, expected: str) -> ScanRefused:
    return ScanRefused(f"This is lot {scanned}: take lot {expected}.", code="replenish_wrong_lot", scanned=scanned,
                       expected=expected)


def confirm_replenishment(task_id: int, *, from_scan: str, item_scan: str, to_scan: str, quantity: int,
                          user_id: int) -> ReplenishmentTask:
    """The last scan: the pick face. Moves `quantity` (at most the task's) from the reserve bin.

    The three scans (reserve bin, item, pick face) are all checked again here, so no step is skipped.

    Locks: the task row (conditional UPDATE from open/in progress to done) and the source quant
    (move_stock's conditional UPDATE). Guarantees: all or nothing — the move and the task's done
    state commit together; a task is done once even when two confirmations race; reserved units are
    never taken (InsufficientStock, nothing changed).
    """
    with atomic():
        task = open_task(task_id)
        if not matches(task.from_location, from_scan):
            raise wrong_bin(from_scan.strip() or "–", task.from_location.code)
        check_item(task.id, item_scan)
        if not matches(task.to_location, to_scan):
            raise wrong_bin(to_scan.strip(), task.to_location.code)
        if not 1 <= quantity <= task.quantity:
            raise bad_quantity(1, task.quantity)
        done = db.session.execute(
            update(ReplenishmentTask).where(ReplenishmentTask.id == task.id, ReplenishmentTask.status.in_(OPEN))
            .values(status="done", quantity=quantity, user_id=user_id, done_at=utcnow())).rowcount
        if done != 1:
            raise task_closed()
        try:
            move_stock(task.sku_id, task.from_location_id, task.to_location_id, quantity, reason="replenishment",
                       lot_id=task.lot_id,
                       reference=f"RPL-{task.id}", user_id=user_id)
        except InsufficientStock as error:
            raise not_free_to_move(task) from error
    db.session.refresh(task)
    return task


def free_in_bin(sku_id: int, location_id: int, lot_id: int | None = None) -> tuple[int, int]:
    """(units free to move, units reserved) of one quant (SKU + bin + lot)."""
    on_hand, reserved = quant_in(sku_id, location_id, lot_id)
    return on_hand - reserved, reserved


def not_free_to_move(task: ReplenishmentTask) -> InsufficientStock:
    """The reserve bin holds fewer units free to move than the task takes (the rest are reserved)."""
    free, reserved = free_in_bin(task.sku_id, task.from_location_id, task.lot_id)
    free, bin_code = max(free, 0), task.from_location.code
    return InsufficientStock(f"Only {free} units in {bin_code} are free to move ({reserved} are reserved for orders). "
                             "Type a smaller quantity.", code="not_free_to_move", free=free, reserved=reserved,
                             bin=bin_code, expected=str(free))
