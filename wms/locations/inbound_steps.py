"""The receiving and putaway scans' rules (入库, 上架), as plain functions.

Pure: plain data in, the step or a refusal out; neither Flask nor the database. Receiving: one scan
of an item, with a quantity typed before it ('12*' in the scan field, or the quantity field), the
damaged switch and, for a lot-tracked SKU, the lot number and its expiry or production date as typed
(a GS1 lot label scanned instead carries them; `scan_services` reads it). Putaway: one scan of the
bin the units went into; `putaway_step` decides how many go there, or why none may
(`putaway_tasks.confirm_putaway` asks it with the task and bin locked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

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
    lot: str = ""          # the lot number as typed (批次号)
    expiry: str = ""       # the expiry date as typed: 2026-03-31 or 20260331
    production: str = ""   # the production date as typed, when the label shows only that

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ReceiveState:
        return cls(form.get("code", "").strip(), (form.get("quantity") or "").strip(), form.get("damaged") == "1",
                   (form.get("lot") or "").strip(), (form.get("expiry") or "").strip(),
                   (form.get("production") or "").strip())


@dataclass(frozen=True)
class ReceiveStep:
    """What to receive: the item's code, how many, whether they go to the damaged bin, and the lot as typed."""

    code: str
    quantity: int
    damaged: bool
    lot: str = ""
    expiry: date | None = None
    production: date | None = None


def typed_date(text: str) -> date | None | ValidationFailed:
    """A date as a person types it on the handheld (ISO 2026-03-31, or 20260331); None when empty."""
    text = text.strip()
    if not text:
        return None
    digits = text.replace("-", "").replace("/", "").replace(".", "")
    try:
        if len(digits) == 8 and digits.isdigit():
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        pass
    return ValidationFailed(f"Not a date: {text} (write it as 2026-03-31).", code="bad_lot_date", value=text)


def receive_step(state: ReceiveState) -> ReceiveStep | ScanRefused | ValidationFailed:
    """'12*6901234567892' (a quantity typed before the scan, in the scan field), else the quantity
    field, else one unit; a quantity must be a whole number from 1 to MAX_SCAN_QUANTITY. Typed dates
    must be dates; whether a lot is needed at all is the SKU's to say (`receiving.receive_scan`)."""
    expiry, production = typed_date(state.expiry), typed_date(state.production)
    for parsed in (expiry, production):
        if isinstance(parsed, ValidationFailed):
            return parsed
    head, star, tail = state.code.partition("*")
    if star and head.strip().isdigit():
        quantity, code = int(head), tail.strip()
    elif not state.typed:
        quantity, code = 1, state.code
    else:
        quantity, code = (int(state.typed) if state.typed.isdigit() else 0), state.code
    if not 1 <= quantity <= MAX_SCAN_QUANTITY:
        return bad_quantity(1, MAX_SCAN_QUANTITY)
    return ReceiveStep(code, quantity, state.damaged, state.lot, expiry, production)  # type: ignore[arg-type]


# --- Putaway --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PutawayView:
    """The task as the rule sees it: its warehouse, its units, its suggested bin, what staging holds."""

    warehouse_id: int
    quantity: int
    suggested_bin_id: int | None
    staging_available: int  # units of the SKU (and the task's lot) in the task's staging bin not reserved
    lot: str = ""           # the task's lot number (empty for an untracked SKU)


@dataclass(frozen=True)
class BinView:
    """The scanned bin: where it is, whether it stores goods (pick face or reserve), its room."""

    id: int
    code: str
    warehouse_id: int
    warehouse_code: str
    storage: bool
    room: int | None  # capacity - on hand; None: no capacity set (unlimited)
    other_lot: str = ""  # a single-lot bin (mixed_lots off) holding another lot of the task's SKU: that lot


@dataclass(frozen=True)
class Placement:
    """How many of the task's units go into the bin; the rest (if any) becomes a new task."""

    quantity: int
    as_suggested: bool


def putaway_step(task: PutawayView, scanned: BinView) -> Placement | DomainError:
    """The suggested bin, or another storage bin of the task's warehouse with room for all units;
    the suggested bin with room for part takes that part. A single-lot bin holding another lot of the
    SKU is refused whatever it was suggested for (lots kept apart, so a pick there is never ambiguous)."""
    if scanned.warehouse_id != task.warehouse_id:
        return ValidationFailed(f"Bin {scanned.code} is in warehouse {scanned.warehouse_code}, not in this task's "
                                "warehouse.", code="wrong_warehouse", bin=scanned.code,
                                warehouse=scanned.warehouse_code)
    if not scanned.storage:
        return ValidationFailed(f"{scanned.code} is not a storage bin (pick face or reserve): scan another bin.",
                                code="not_storage_bin", bin=scanned.code)
    if scanned.other_lot:
        return ValidationFailed(f"Bin {scanned.code} holds lot {scanned.other_lot} of this SKU and takes one lot "
                                f"only: put lot {task.lot or '–'} into another bin.", code="lot_mixing_refused",
                                bin=scanned.code, lot=scanned.other_lot, task_lot=task.lot or "–")
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
