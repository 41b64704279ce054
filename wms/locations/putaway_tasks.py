"""Putaway (上架) tasks: confirming where a task's units went from staging, choosing a task's bin
afresh, and reading the open tasks. Where units should go is `putaway`'s to suggest.

Every service validates before it writes: a refused bin changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from erp_core.db import atomic, locked
from erp_core.errors import Conflict, DomainError, NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.inventory.services import move_stock, quant_is
from erp_core.models_base import utcnow

from .inbound_steps import BinView, PutawayView, putaway_step
from .models import PutawayTask
from .putaway import STORAGE_BIN_TYPES, PutawaySuggestion, suggest_putaway_bin

OPEN_TASK = ("open", "in_progress")


def putaway_reference(task_id: int) -> str:
    return f"PA-{task_id:06d}"


def is_storage_bin(location: Location) -> bool:
    return (location.kind == "bin" and location.usage == "internal" and location.active
            and location.bin_type in STORAGE_BIN_TYPES)


def bin_on_hand(location_id: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0))
                                 .where(Quant.location_id == location_id)) or 0)


@dataclass(frozen=True)
class PutawayDone:
    task: PutawayTask
    location: Location
    quantity: int
    as_suggested: bool
    remainder: PutawayTask | None = None  # the units that did not fit the suggested bin


def _locked_task(task_id: int) -> PutawayTask:
    task = locked(PutawayTask, task_id)
    if task is None:
        raise NotFound("no such putaway task", code="unknown_task")
    if task.status not in OPEN_TASK:
        raise Conflict("This putaway task is already done.", code="task_not_open", task_status=task.status)
    return task


def confirm_putaway(task_id: int, location_id: int, *, user_id: int | None = None) -> PutawayDone:
    """Put a task's units from staging into the scanned bin (reason 'putaway', reference PA-<task id>)
    and mark the task done, in one transaction.

    The suggested bin, or another storage bin of the task's warehouse with room (capacity - on hand >=
    quantity; no capacity = unlimited), recorded as the done location with a note on the move. When
    the suggested bin has room for only part, that part goes in and the rest becomes a new task.
    Locks: the task row and the bin row (FOR UPDATE), so two confirmations never both apply and two
    putaways never overfill one bin. Guarantees: a refused bin changes nothing.
    """
    with atomic():
        task = _locked_task(task_id)
        loc = locked(Location, location_id)
        if loc is None:
            raise NotFound("No such bin.", code="unknown_bin", scanned="–")
        available = db.session.scalar(select(Quant.quantity - Quant.reserved_quantity).where(
            quant_is(task.sku_id, task.from_location_id, task.lot_id))) or 0
        placed = putaway_step(
            PutawayView(task.warehouse_id, task.quantity, task.suggested_location_id, int(available)),
            BinView(loc.id, loc.code, loc.warehouse_id, loc.warehouse.code if loc.warehouse else "",
                    is_storage_bin(loc), None if loc.capacity is None else loc.capacity - bin_on_hand(loc.id)))
        if isinstance(placed, DomainError):
            raise placed
        quantity, as_suggested = placed.quantity, placed.as_suggested
        note = "" if as_suggested else (
            f"suggested {task.suggested_location.code}, put in {loc.code}" if task.suggested_location
            else f"no suggestion, put in {loc.code}")
        move_stock(task.sku_id, task.from_location_id, loc.id, quantity, reason="putaway", lot_id=task.lot_id,
                   reference=putaway_reference(task.id), note=note, user_id=user_id)
        remainder = None
        if quantity < task.quantity:
            remainder = PutawayTask(warehouse_id=task.warehouse_id, asn_id=task.asn_id, sku_id=task.sku_id,
                                    quantity=task.quantity - quantity, from_location_id=task.from_location_id,
                                    status="open", user_id=user_id)
        task.quantity, task.status, task.done_location_id = quantity, "done", loc.id
        task.done_at, task.user_id = utcnow(), user_id
        db.session.flush()
        if remainder is not None:
            found = suggest_putaway_bin(task.warehouse_id, task.sku_id, remainder.quantity)
            remainder.suggested_location_id = found.bin.id if found.bin else None
            db.session.add(remainder)
            db.session.flush()
    return PutawayDone(task, loc, quantity, as_suggested, remainder)


def suggest_again(task_id: int) -> PutawaySuggestion:
    """Choose the task's bin afresh (the suggested one filled up, or none fitted before)."""
    with atomic():
        task = _locked_task(task_id)
        found = suggest_putaway_bin(task.warehouse_id, task.sku_id, task.quantity, exclude_task_id=task.id)
        task.suggested_location_id = found.bin.id if found.bin else None
        db.session.flush()
    return found


# --- Reading --------------------------------------------------------------------------------------

def open_tasks(warehouse_ids: set[int] | None, *, sku_id: int | None = None) -> list[PutawayTask]:
    """Open putaway tasks, oldest first."""
    stmt = select(PutawayTask).where(PutawayTask.status.in_(OPEN_TASK))
    if warehouse_ids is not None:
        stmt = stmt.where(PutawayTask.warehouse_id.in_(warehouse_ids))
    if sku_id is not None:
        stmt = stmt.where(PutawayTask.sku_id == sku_id)
    return list(db.session.scalars(stmt.order_by(PutawayTask.id)))


def asn_tasks(asn_id: int) -> list[PutawayTask]:
    return list(db.session.scalars(select(PutawayTask).filter_by(asn_id=asn_id).order_by(PutawayTask.id)))
