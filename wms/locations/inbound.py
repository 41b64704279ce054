"""Inbound (入库): ASNs, receiving scans into staging (damaged units set aside), putaway (上架).

Counters of an ASN line: `received_quantity` counts every unit that arrived, `damaged_quantity` the
part of them set aside in the damaged bin; the good units (received - damaged) wait in staging for
putaway. A line is over-received when received > expected, under-received (still open) when
received < expected. Blind receipts have no expectation, so they are never over or under.

Every service validates before it writes: a refused scan raises before any stock moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from erp_core.catalog.models import Sku
from erp_core.db import atomic
from erp_core.errors import Conflict, DomainError, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant, Warehouse
from erp_core.inventory.services import move_stock, receive
from erp_core.models_base import utcnow

from ..scanning import bad_quantity
from .inbound_steps import MAX_SCAN_QUANTITY, BinView, PutawayView, putaway_step
from .models import Asn, AsnLine, PutawayTask
from .putaway import STORAGE_BIN_TYPES, PutawaySuggestion, suggest_putaway_bin

RECEIVABLE = ("open", "receiving")
OPEN_TASK = ("open", "in_progress")
MAX_ASN_QUANTITY = 10_000_000
# What the screens, and the refusals, call each status of an ASN.
ASN_STATUS_LABELS = {"open": _l("Awaiting receipt"), "receiving": _l("Receiving"), "closed": _l("Closed"),
                     "cancelled": _l("Cancelled")}


# --- ASNs -----------------------------------------------------------------------------------------

def create_asn(warehouse_id: int, lines: Iterable[tuple[int, int]], *, reference: str = "", supplier: str = "",
               expected_at: datetime | None = None, user_id: int | None = None) -> Asn:
    """An ASN with its expected lines (sku_id, quantity); lines of one SKU are added together.

    Without a reference one is given (ASN-000123). Raises asn_exists, no_lines, bad_quantity, unknown_sku.
    """
    reference = reference.strip()
    wanted: dict[int, int] = {}
    for sku_id, quantity in lines:
        if not isinstance(quantity, int) or not 0 < quantity <= MAX_ASN_QUANTITY:
            raise bad_quantity(1, MAX_ASN_QUANTITY)
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    if not wanted:
        raise ValidationFailed("Enter at least one line with a SKU and a quantity.", code="no_lines")
    if len(reference) > 40:
        raise ValidationFailed("a reference has at most 40 characters", code="bad_reference")
    with atomic():
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        if reference and db.session.scalar(select(Asn.id).filter_by(reference=reference)):
            raise Conflict(f"ASN {reference} already exists.", code="asn_exists", reference=reference)
        known = set(db.session.scalars(select(Sku.id).where(Sku.id.in_(wanted))))
        if known != set(wanted):
            raise NotFound("no such SKU", code="unknown_sku")
        asn = Asn(reference=reference or f"ASN-new-{uuid.uuid4().hex[:12]}", warehouse_id=warehouse_id,
                  supplier=supplier.strip()[:120], expected_at=expected_at, created_by_id=user_id, status="open",
                  lines=[AsnLine(sku_id=s, expected_quantity=q) for s, q in wanted.items()])
        db.session.add(asn)
        db.session.flush()
        if not reference:
            asn.reference = f"ASN-{asn.id:06d}"
            db.session.flush()
    return asn


def start_blind_receipt(warehouse_id: int, *, supplier: str = "", user_id: int | None = None) -> Asn:
    """A blind receipt: an ASN with no expected lines (BLIND-000123); every scanned SKU becomes a line."""
    with atomic():
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        staging_bin(warehouse_id)  # say so now, not at the first scan
        asn = Asn(reference=f"BLIND-new-{uuid.uuid4().hex[:12]}", warehouse_id=warehouse_id, blind=True,
                  supplier=supplier.strip()[:120], created_by_id=user_id, status="open")
        db.session.add(asn)
        db.session.flush()
        asn.reference = f"BLIND-{asn.id:06d}"
        db.session.flush()
    return asn


def _bin_of_type(warehouse_id: int, bin_type: str) -> Location | None:
    return db.session.scalar(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.usage == "internal",
        Location.bin_type == bin_type, Location.active.is_(True)).order_by(Location.id).limit(1))


def staging_bin(warehouse_id: int) -> Location:
    """The warehouse's receiving staging bin (the first active one). Raises no_staging_bin."""
    found = _bin_of_type(warehouse_id, "staging")
    if found is None:
        code = db.session.scalar(select(Warehouse.code).filter_by(id=warehouse_id))
        raise ValidationFailed(f"Warehouse {code} has no staging bin: create a bin of type staging first.",
                               code="no_staging_bin", warehouse=code)
    return found


def damaged_bin(warehouse_id: int) -> Location:
    """The warehouse's bin for damaged goods. Raises no_damaged_bin."""
    found = _bin_of_type(warehouse_id, "damaged")
    if found is None:
        code = db.session.scalar(select(Warehouse.code).filter_by(id=warehouse_id))
        raise ValidationFailed(f"Warehouse {code} has no damaged-goods bin: create one to set units aside.",
                               code="no_damaged_bin", warehouse=code)
    return found


def _locked_asn(asn_id: int) -> Asn:
    asn = db.session.scalar(select(Asn).where(Asn.id == asn_id).with_for_update()
                            .execution_options(populate_existing=True))
    if asn is None:
        raise NotFound("No such ASN.", code="unknown_asn", scanned="–")
    return asn


def require_receivable(asn: Asn) -> None:
    """Refused (asn_not_receivable) when the ASN is closed or cancelled."""
    if asn.status not in RECEIVABLE:
        # status_label: the status in the reader's language; the English sentence uses the English one.
        raise Conflict(f"ASN {asn.reference} is {asn.status.capitalize()}: nothing more can be received on it.",
                       code="asn_not_receivable", reference=asn.reference, asn_status=asn.status,
                       status_label=ASN_STATUS_LABELS.get(asn.status, asn.status))


# --- Receiving ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptScan:
    """What one receiving scan did."""

    asn: Asn
    line: AsnLine
    sku: Sku
    quantity: int
    damaged: bool
    location: Location
    went_over: bool  # this scan took the line past its expected quantity (the first time)

    @property
    def over(self) -> bool:
        return not self.asn.blind and self.line.received_quantity > self.line.expected_quantity


def receive_scan(asn_id: int, sku_id: int, quantity: int = 1, *, damaged: bool = False,
                 user_id: int | None = None) -> ReceiptScan:
    """Receive `quantity` units of a SKU against an ASN: good units into staging, damaged ones into
    the damaged bin (reason 'receipt', reference the ASN's), and the line's counters, in one transaction.

    Locks: the ASN row (FOR UPDATE; SQLite's write lock), so scans of one ASN apply one after another.
    Guarantees: a SKU not on a (non-blind) ASN, a closed ASN or a missing bin is refused before any
    write; over-receipt is allowed and reported (`went_over` on the scan that crosses the line).
    """
    if not isinstance(quantity, int) or not 0 < quantity <= MAX_SCAN_QUANTITY:
        raise bad_quantity(1, MAX_SCAN_QUANTITY)
    with atomic():
        asn = _locked_asn(asn_id)
        require_receivable(asn)
        sku = db.session.get(Sku, sku_id)
        if sku is None:
            raise NotFound("no such SKU", code="unknown_sku")
        line = db.session.scalar(select(AsnLine).filter_by(asn_id=asn.id, sku_id=sku_id)
                                 .execution_options(populate_existing=True))
        if line is None and not asn.blind:
            expected = list(db.session.scalars(select(Sku.code).join(AsnLine, AsnLine.sku_id == Sku.id)
                                               .where(AsnLine.asn_id == asn.id).order_by(Sku.code)))
            skus = ", ".join(expected) or "–"
            raise ValidationFailed(f"{sku.code} is not on ASN {asn.reference}. It expects: {skus}.", code="not_on_asn",
                                   sku=sku.code, reference=asn.reference, skus=skus, expected=expected)
        target = damaged_bin(asn.warehouse_id) if damaged else staging_bin(asn.warehouse_id)
        if line is None:
            line = AsnLine(asn_id=asn.id, sku_id=sku_id, expected_quantity=0)
            db.session.add(line)
            db.session.flush()
        before = line.received_quantity
        receive(sku_id, target.id, quantity, reference=asn.reference, user_id=user_id)
        db.session.execute(update(AsnLine).where(AsnLine.id == line.id).values(
            received_quantity=AsnLine.received_quantity + quantity,
            damaged_quantity=AsnLine.damaged_quantity + (quantity if damaged else 0)))
        db.session.refresh(line)
        if asn.status == "open":
            asn.status = "receiving"
        db.session.flush()
        went_over = not asn.blind and before <= line.expected_quantity < line.received_quantity
    return ReceiptScan(asn, line, sku, quantity, damaged, target, went_over)


@dataclass(frozen=True)
class PlannedPutaway:
    task: PutawayTask
    suggestion: PutawaySuggestion


@dataclass(frozen=True)
class FinishedReceipt:
    asn: Asn
    putaways: list[PlannedPutaway] = field(default_factory=list)
    open_lines: list[AsnLine] = field(default_factory=list)


def _tasked(asn_id: int, sku_id: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(PutawayTask.quantity), 0)).where(
        PutawayTask.asn_id == asn_id, PutawayTask.sku_id == sku_id, PutawayTask.status != "cancelled")) or 0)


def _free_in(location_id: int, sku_id: int) -> int:
    """Units of a SKU in a bin not yet promised to an open putaway task."""
    on_hand = db.session.scalar(select(Quant.quantity - Quant.reserved_quantity)
                                .filter_by(sku_id=sku_id, location_id=location_id)) or 0
    promised = db.session.scalar(select(func.coalesce(func.sum(PutawayTask.quantity), 0)).where(
        PutawayTask.from_location_id == location_id, PutawayTask.sku_id == sku_id,
        PutawayTask.status.in_(OPEN_TASK))) or 0
    return int(on_hand) - int(promised)


def _plan_putaways(asn: Asn, user_id: int | None, velocities: Mapping[int, str] | None) -> list[PlannedPutaway]:
    planned: list[PlannedPutaway] = []
    lines = list(db.session.scalars(select(AsnLine).filter_by(asn_id=asn.id).order_by(AsnLine.id)
                                    .execution_options(populate_existing=True)))
    todo = [(line, line.received_quantity - line.damaged_quantity - _tasked(asn.id, line.sku_id)) for line in lines]
    todo = [(line, qty) for line, qty in todo if qty > 0]
    if not todo:
        return planned
    staging = staging_bin(asn.warehouse_id)
    for line, wanted in todo:
        quantity = min(wanted, _free_in(staging.id, line.sku_id))
        if quantity <= 0:
            continue  # already moved out of staging by other means: nothing left to put away
        suggestion = suggest_putaway_bin(asn.warehouse_id, line.sku_id, quantity, velocities=velocities)
        task = PutawayTask(warehouse_id=asn.warehouse_id, asn_id=asn.id, sku_id=line.sku_id, quantity=quantity,
                           from_location_id=staging.id, status="open", user_id=user_id,
                           suggested_location_id=suggestion.bin.id if suggestion.bin else None)
        db.session.add(task)
        db.session.flush()  # the next suggestion counts these units as promised to that bin
        planned.append(PlannedPutaway(task, suggestion))
    return planned


def open_lines(asn: Asn) -> list[AsnLine]:
    """Lines still short of their expected quantity (under-received so far)."""
    return [line for line in asn.lines if line.received_quantity < line.expected_quantity]


def finish_receipt(asn_id: int, *, user_id: int | None = None,
                   velocities: Mapping[int, str] | None = None) -> FinishedReceipt:
    """End a receiving session: a putaway task per SKU for its good units still in staging, each with a
    suggested bin; the ASN closes, or stays receiving while lines are short.

    Locks: the ASN row. Guarantees: a unit is never in two tasks (units already tasked, for this ASN
    or another, are left out), so finishing twice creates nothing new.
    """
    with atomic():
        asn = _locked_asn(asn_id)
        require_receivable(asn)
        planned = _plan_putaways(asn, user_id, velocities)
        db.session.refresh(asn)
        short = open_lines(asn)
        if not short:
            asn.status, asn.closed_at = "closed", utcnow()
        elif any(line.received_quantity for line in asn.lines):
            asn.status = "receiving"
        db.session.flush()
    return FinishedReceipt(asn, planned, short)


def close_asn(asn_id: int, *, user_id: int | None = None) -> FinishedReceipt:
    """Close an ASN from the office, short lines and all (they stay flagged as under-received);
    good units not yet in a putaway task get one. Locks: the ASN row."""
    with atomic():
        asn = _locked_asn(asn_id)
        require_receivable(asn)
        planned = _plan_putaways(asn, user_id, None)
        db.session.refresh(asn)
        asn.status, asn.closed_at = "closed", utcnow()
        db.session.flush()
    return FinishedReceipt(asn, planned, open_lines(asn))


# --- Putaway --------------------------------------------------------------------------------------

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
    task = db.session.scalar(select(PutawayTask).where(PutawayTask.id == task_id).with_for_update()
                             .execution_options(populate_existing=True))
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
        loc = db.session.scalar(select(Location).where(Location.id == location_id).with_for_update())
        if loc is None:
            raise NotFound("No such bin.", code="unknown_bin", scanned="–")
        available = db.session.scalar(select(Quant.quantity - Quant.reserved_quantity).filter_by(
            sku_id=task.sku_id, location_id=task.from_location_id)) or 0
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
        move_stock(task.sku_id, task.from_location_id, loc.id, quantity, reason="putaway",
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

@dataclass(frozen=True)
class AsnTotals:
    expected: int = 0
    received: int = 0
    damaged: int = 0
    over_lines: int = 0   # lines received beyond what was expected
    short_lines: int = 0  # lines received less than expected


def asn_totals(asn_ids: Iterable[int]) -> dict[int, AsnTotals]:
    """Received / expected per ASN, with the number of over- and under-received lines."""
    ids = list(asn_ids)
    if not ids:
        return {}
    over = func.sum(case((AsnLine.received_quantity > AsnLine.expected_quantity, 1), else_=0))
    short = func.sum(case((AsnLine.received_quantity < AsnLine.expected_quantity, 1), else_=0))
    rows = db.session.execute(
        select(AsnLine.asn_id, func.sum(AsnLine.expected_quantity), func.sum(AsnLine.received_quantity),
               func.sum(AsnLine.damaged_quantity), over, short)
        .where(AsnLine.asn_id.in_(ids)).group_by(AsnLine.asn_id))
    blind = set(db.session.scalars(select(Asn.id).where(Asn.id.in_(ids), Asn.blind.is_(True))))
    return {a: AsnTotals(int(e or 0), int(r or 0), int(d or 0), 0 if a in blind else int(o or 0),
                         0 if a in blind else int(s or 0)) for a, e, r, d, o, s in rows}


def asn_page(warehouse_ids: set[int] | None, *, status: str = "", page: int = 1,
             per_page: int = 50) -> tuple[list[Asn], int]:
    """ASNs newest first, filtered by status, with the total count."""
    stmt = select(Asn)
    if warehouse_ids is not None:
        stmt = stmt.where(Asn.warehouse_id.in_(warehouse_ids))
    if status:
        stmt = stmt.where(Asn.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(stmt.order_by(Asn.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return list(items), int(total)


def receivable_asns(warehouse_ids: set[int] | None, limit: int = 30) -> list[Asn]:
    """Open and receiving ASNs, oldest expected first (the dock's to-do list)."""
    stmt = select(Asn).where(Asn.status.in_(RECEIVABLE))
    if warehouse_ids is not None:
        stmt = stmt.where(Asn.warehouse_id.in_(warehouse_ids))
    return list(db.session.scalars(stmt.order_by(Asn.expected_at.is_(None), Asn.expected_at, Asn.id).limit(limit)))


def asn_by_reference(reference: str) -> Asn | None:
    return db.session.scalar(select(Asn).filter_by(reference=reference.strip()))


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
