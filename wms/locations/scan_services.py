"""The handheld's receiving, putaway, replenishment and count scans as services: one scan, one unit of work.

Each resolves what was scanned, asks the flow's pure step function (`inbound_steps`,
`replenish_steps`, `count_steps`) what the scan means and, when it completes something, confirms it
through the flow's service (`receiving.receive_scan`, `putaway_tasks.confirm_putaway`,
`replenishment.confirm_replenishment`, `counting.count_item` ...). All of it runs in one `atomic()`:
inside the request's own transaction (the idempotency layer's) that is a savepoint, so a refused or
failed scan undoes exactly its own work, whatever it wrote before failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from erp_core.catalog.models import Sku
from erp_core.catalog.services import scan_sku
from erp_core.db import atomic
from erp_core.errors import DomainError, NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location

from ..scanning import BinLabel, unknown_code
from . import asn_services, count_steps, counting, putaway_tasks, receiving, replenish_steps, replenishment
from .count_steps import CountState
from .inbound_steps import ReceiveState, receive_step
from .item_scans import read_item
from .models import Asn, CountLine, CountTask, PutawayTask, ReplenishmentTask
from .replenish_steps import ReplenishState

# --- Receiving ------------------------------------------------------------------------------------


def open_receipt(code: str, *, warehouse_ids: set[int] | None) -> Asn:
    """The ASN whose reference was scanned, when it lies in the user's warehouses and can be received."""
    code = code.strip()
    asn = asn_services.asn_by_reference(code) if code else None
    if asn is None or (warehouse_ids is not None and asn.warehouse_id not in warehouse_ids):
        raise NotFound(f"No ASN has this reference: {code or '–'}", code="unknown_asn", scanned=code or "–")
    asn_services.require_receivable(asn)
    return asn


def scan_receipt(asn_id: int, state: ReceiveState, *, user_id: int) -> receiving.ReceiptScan:
    """One receiving scan: the units into staging, or into the damaged bin (`receiving.receive_scan`,
    which locks the ASN). The item is a barcode (the lot then as typed) or one GS1-128 / DataMatrix
    lot label: GTIN, lot (AI 10) and expiry (AI 17) or production date (AI 11) from one scan, what the
    label lacks taken from the typed fields. A refused or failed scan receives nothing."""
    with atomic():
        step = receive_step(state)
        if isinstance(step, DomainError):
            raise step
        sku, gs1 = scan_sku(step.code) if step.code else (None, None)
        if sku is None:
            raise unknown_code(step.code)
        lot = receiving.LotLabel(step.lot, step.expiry, step.production)
        if gs1 is not None:
            lot = receiving.LotLabel(gs1.lot_number or step.lot,
                                     gs1.expiry_date or (None if gs1.production_date else step.expiry),
                                     gs1.production_date or step.production)
        return receiving.receive_scan(asn_id, sku.id, step.quantity, damaged=step.damaged, user_id=user_id,
                                      lot=lot)


# --- Putaway --------------------------------------------------------------------------------------

def find_putaway(code: str, *, warehouse_ids: set[int] | None) -> PutawayTask:
    """The oldest open putaway task of the item scanned in staging."""
    code = code.strip()
    sku, gs1 = scan_sku(code) if code else (None, None)
    if sku is None:
        raise unknown_code(code)
    tasks = putaway_tasks.open_tasks(warehouse_ids, sku_id=sku.id, lot_number=gs1.lot_number if gs1 else None)
    if not tasks:
        raise NotFound(f"No open putaway task for {sku.code}.", code="no_putaway_task", sku=sku.code)
    return tasks[0]


def scan_putaway(task_id: int, code: str, *, user_id: int) -> putaway_tasks.PutawayDone:
    """The bin the units went into was scanned: `putaway_tasks.confirm_putaway` (task and bin locked)."""
    code = code.strip()
    with atomic():
        loc = db.session.scalar(select(Location).where(Location.barcode == code, Location.kind == "bin")) \
            if code else None
        if loc is None:
            raise NotFound(f"No bin has this barcode: {code or '–'}", code="unknown_bin", scanned=code or "–")
        return putaway_tasks.confirm_putaway(task_id, loc.id, user_id=user_id)


# --- Replenishment --------------------------------------------------------------------------------

def _item_sku(code: str) -> Sku | None:
    """The SKU an item scan names (a barcode, a SKU code or a GS1 code), None when unknown."""
    try:
        return read_item(code).sku
    except DomainError:
        return None


def _label(location: Location) -> BinLabel:
    return BinLabel(location.code, location.barcode)


@dataclass(frozen=True)
class ReplenishAnswer:
    task: ReplenishmentTask | None  # the task the screen shows next (None: no open task left)
    step: replenish_steps.Step


def scan_replenishment(task_id: int, state: ReplenishState, code: str, *, user_id: int,
                       warehouse_ids: set[int] | None) -> ReplenishAnswer:
    """One scan of a replenishment task: the reserve bin claims it, the pick face confirms the move
    (`replenishment.confirm_replenishment`, which checks all three scans again); after the move the
    screen shows the open task nearest the pick face. A refused or failed scan changes nothing."""
    with atomic():
        task = replenishment.open_task(task_id)
        sku = _item_sku(code) if state.step == "item" and code.strip() else None
        view = replenish_steps.ReplenishTaskView(_label(task.from_location), _label(task.to_location), task.sku_id,
                                                 task.sku.code, task.quantity)
        step = replenish_steps.next_step(state, replenish_steps.Scan(code, sku.id if sku else None), view)
        if isinstance(step, DomainError):
            raise step
        if step.action == "claim":
            replenishment.check_from_bin(task.id, code, user_id=user_id)
        elif state.step == "item":
            replenishment.check_item(task.id, code)  # a GS1 label must name the task's lot
        elif step.action == "confirm":
            replenishment.confirm_replenishment(task.id, from_scan=state.from_code, item_scan=state.item_code,
                                                to_scan=code, quantity=step.params["n"], user_id=user_id)
            here = task.to_location
            following = replenishment.open_tasks(warehouse_ids, near=(here.x or 0.0, here.y or 0.0))
            return ReplenishAnswer(following[0] if following else None, step)
        return ReplenishAnswer(task, step)


# --- Cycle counts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountAnswer:
    task: CountTask
    state: CountState        # where the counter is now
    said: str                # start_bin | counted | lot_wanted | bin_finished | count_finished
    location: Location | None = None  # the bin just started or finished
    line: CountLine | None = None     # the line just counted
    sku: Sku | None = None            # lot_wanted: the tracked item scanned without its lot


def _count_view(task: CountTask) -> count_steps.CountView:
    return count_steps.CountView(task.status == "open", tuple(
        count_steps.CountBin(b.location.id, _label(b.location), b.finished) for b in counting.bins_of(task)))


def _do_count(task: CountTask, state: CountState, code: str, step: count_steps.Step, user_id: int,
              expiry_date: date | None = None) -> CountAnswer:
    if step.action == "start_bin":
        location = counting.start_bin(task.id, code)
        return CountAnswer(task, step.state, "start_bin", location=location)
    if step.action == "finish_bin":
        location = db.session.get(Location, state.location_id)
        task = counting.finish_bin(task.id, location.id, user_id=user_id)
        return CountAnswer(task, step.state, "count_finished" if task.status == "counted" else "bin_finished",
                           location=location)
    if step.action == "set_counted":
        line = counting.set_counted(task.id, state.location_id, state.sku_id, step.quantity, user_id=user_id,
                                    lot_id=state.lot_id)
    elif step.action == "give_lot":
        line = counting.count_lot(task.id, state.location_id, state.sku_id, code, user_id=user_id,
                                  expiry_date=expiry_date)
    else:
        # The last item's lot carries on while the same SKU is scanned by its plain barcode.
        line = counting.count_item(task.id, state.location_id, code, user_id=user_id, lot_id=state.lot_id)
    if isinstance(line, counting.LotWanted):
        return CountAnswer(task, CountState(state.location_id, line.sku.id, lot_wanted=True), "lot_wanted",
                           sku=line.sku)
    return CountAnswer(task, CountState(state.location_id, line.sku_id, line.lot_id), "counted", line=line)


def scan_count(task_id: int, state: CountState, code: str, *, user_id: int,
               expiry_date: date | None = None) -> CountAnswer:
    """One scan of a blind count: a bin starts it; then an item counts +1, a typed quantity sets the
    last item's count, the bin again finishes it (`counting.start_bin`, `count_item`, `set_counted`,
    `finish_bin`, which lock the count). A lot-tracked item scanned without its lot waits for the lot
    (`counting.count_lot`; `expiry_date` for a lot new to the books). A refused or failed scan changes
    nothing."""
    with atomic():
        task = db.session.get(CountTask, task_id)
        if task is None:
            raise NotFound("No such count.")
        step = count_steps.next_step(state, code, _count_view(task))
        if isinstance(step, DomainError):
            raise step
        return _do_count(task, state, code, step, user_id, expiry_date)


def finish_count_bin(task_id: int, location_id: int, *, user_id: int) -> CountAnswer:
    """The Finish bin button: what was not found in the bin counts 0 (`counting.finish_bin`)."""
    with atomic():
        task = db.session.get(CountTask, task_id)
        if task is None:
            raise NotFound("No such count.")
        step = count_steps.finish_step(location_id, _count_view(task))
        if isinstance(step, DomainError):
            raise step
        return _do_count(task, CountState(location_id), "", step, user_id)
