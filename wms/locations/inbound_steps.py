"""The receiving and putaway scans' rules (入库, 上架), as plain functions.

Pure: plain data in, the step or a refusal out; neither Flask nor the database. Receiving: one scan
of an item, with a quantity typed before it ('12*' in the scan field, or the quantity field) and
the damaged switch. Putaway: one scan of the bin the units went into; `putaway_step` decides how
many go there, or why none may (`putaway_tasks.confirm_putaway` asks it with the task and bin locked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from erp_core.errors import DomainError, InsufficientStock, ValidationFailed
from wms.scanning import ScanRefused, bad_quantity

MAX_SCAN_QUANTITY = 100_000


# --- Receiving ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiveState:
    """One receiving scan as the handheld sends it: the scan field, the quantity field, the damaged switch."""

    code: str
    typed: str = ""
    damaged: bool = False

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ReceiveState:
        return cls(form.get("code", "").strip(), (form.get("quantity") or "").strip(), form.get("damaged") == "1")


@dataclass(frozen=True)
class ReceiveStep:
    """What to receive: the item's code, how many, and whether they go to the damaged bin."""

    code: str
    quantity: int
    damaged: bool


def receive_step(state: ReceiveState) -> ReceiveStep | ScanRefused:
    """'12*6901234567892' (a quantity typed before the scan, in the scan field), else the quantity
    field, else one unit; a quantity must be a whole number from 1 to MAX_SCAN_QUANTITY."""
    head, star, tail = state.code.partition("*")
    if star and head.strip().isdigit():
        quantity, code = int(head), tail.strip()
    elif not state.typed:
        quantity, code = 1, state.code
    else:
        quantity, code = (int(state.typed) if state.typed.isdigit() else 0), state.code
    if not 1 <= quantity <= MAX_SCAN_QUANTITY:
        return bad_quantity(1, MAX_SCAN_QUANTITY)
    return ReceiveStep(code, quantity, state.damaged)


# --- Putaway --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PutawayView:
    """The task as the rule sees it: its warehouse, its units, its suggested bin, what staging holds."""

    warehouse_id: int
    quantity: int
    suggested_bin_id: int | None
    staging_available: int  # units of the SKU in the task's staging bin not reserved


@dataclass(frozen=True)
class BinView:
    """The scanned bin: where it is, whether it stores goods (pick face or reserve), its room."""

    id: int
    code: str
    warehouse_id: int
    warehouse_code: str
    storage: bool
    room: int | None  # capacity - on hand; None: no capacity set (unlimited)


@dataclass(frozen=True)
class Placement:
    """How many of the task's units go into the bin; the rest (if any) becomes a new task."""

    quantity: int
    as_suggested: bool


def putaway_step(task: PutawayView, scanned: BinView) -> Placement | DomainError:
    """The suggested bin, or another storage bin of the task's warehouse with room for all units;
    the suggested bin with room for part takes that part."""
    if scanned.warehouse_id != task.warehouse_id:
        return ValidationFailed(f"Bin {scanned.code} is in warehouse {scanned.warehouse_code}, not in this task's "
                                "warehouse.", code="wrong_warehouse", bin=scanned.code,
                                warehouse=scanned.warehouse_code)
    if not scanned.storage:
        return ValidationFailed(f"{scanned.code} is not a storage bin (pick face or reserve): scan another bin.",
                                code="not_storage_bin", bin=scanned.code)
    as_suggested = scanned.id == task.suggested_bin_id
    quantity = task.quantity
    if scanned.room is not None and scanned.room < quantity:
        room = max(scanned.room, 0)
        if not (as_suggested and room > 0):
            return ValidationFailed(f"Bin {scanned.code} has room for {room}, the task has {quantity}: scan another "
                                    "bin.", code="no_room", bin=scanned.code, room=room, quantity=quantity)
        quantity = room
    if task.staging_available < quantity:
        available = max(task.staging_available, 0)
        return InsufficientStock(f"Staging holds only {available} of these units: nothing was moved.",
                                 code="staging_short", available=available, quantity=quantity)
    return Placement(quantity, as_suggested)
