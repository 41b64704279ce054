"""Cycle counts (盘点), counting: blind counting by scan on the handheld, bin by bin.

The counter sees the count's bins, never the books. A line is counted when its bin is finished
(`counted_at`); the last bin finished closes the count for the office to review.

Lines are per quant: a lot-tracked SKU is counted per lot. A GS1 scan (GTIN + lot + expiry) names
the SKU and its lot at once; a plain barcode of a tracked SKU asks for the lot, which the counter
scans, chooses or types (then each further scan of that SKU counts in that lot). A lot the books did
not have in the bin gets a new line; a lot number never seen before becomes a new lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update

from erp_core.catalog.models import Sku
from erp_core.catalog.services import find_sku_by_scan
from erp_core.db import atomic, locked
from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.lot_rules import Gs1Data, parse_gs1
from erp_core.inventory.lots import find_lot, get_or_create_lot
from erp_core.inventory.models import Location, Lot
from erp_core.inventory.stock_queries import quant_in
from erp_core.models_base import utcnow

from ..scanning import MAX_TYPED_QUANTITY_DIGITS, bad_quantity
from .count_steps import bin_counted, bin_not_in_count, count_closed, lot_first
from .item_scans import read_item
from .models import CountLine, CountTask
from .replenishment import matches

MAX_COUNTED = 10**MAX_TYPED_QUANTITY_DIGITS - 1  # the largest quantity the handheld lets a counter type


# --- Blind counting on the handheld ----------------------------------------------------------------

def locked_task(task_id: int) -> CountTask:
    """The task row, locked (PostgreSQL) so scans of one count apply one after the other."""
    task = locked(CountTask, task_id)
    if task is None:
        raise NotFound("no such count")
    return task


def _open_task(task_id: int) -> CountTask:
    task = locked_task(task_id)
    if task.status != "open":
        raise count_closed()
    return task


@dataclass(frozen=True)
class BinProgress:
    location: Location
    finished: bool


def bins_of(task: CountTask) -> list[BinProgress]:
    """The task's bins in code order, each finished or not (nothing about quantities)."""
    state: dict[int, bool] = {}
    for line in task.lines:
        state[line.location_id] = state.get(line.location_id, True) and line.counted_at is not None
    locations = {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(list(state))))}
    return sorted((BinProgress(locations[i], done) for i, done in state.items()), key=lambda b: b.location.code)


def bin_in_task(task: CountTask, code: str) -> Location | None:
    return next((b.location for b in bins_of(task) if matches(b.location, code)), None)


def start_bin(task_id: int, code: str) -> Location:
    """The counter scanned a bin: it must be one of the count's bins not yet finished."""
    with atomic():
        task = _open_task(task_id)
        loc = bin_in_task(task, code)
        if loc is None:
            raise bin_not_in_count(code.strip())
        if all(line.counted_at is not None for line in task.lines if line.location_id == loc.id):
            raise bin_counted(loc.code)
    return loc


def is_bin_code(location_id: int, code: str) -> bool:
    loc = db.session.get(Location, location_id)
    return loc is not None and matches(loc, code)


def _line_for(task: CountTask, location_id: int, sku_id: int, lot_id: int | None = None) -> CountLine:
    for line in task.lines:
        if line.location_id == location_id and line.sku_id == sku_id and line.lot_id == lot_id:
            return line
    # Found where the books (at creation) had none: a new line, expected what the books hold now (0).
    expected, _reserved = quant_in(sku_id, location_id, lot_id)
    line = CountLine(task_id=task.id, location_id=location_id, sku_id=sku_id, lot_id=lot_id,
                     expected_quantity=int(expected))
    task.lines.append(line)
    db.session.flush()
    return line


def scanned_lot(sku: Sku, gs1: Gs1Data | None) -> Lot | None:
    """The lot a GS1 scan of a tracked SKU names, created when the books never had it (its expiry is
    required when the SKU has a shelf life: `get_or_create_lot`); None without a lot in the scan."""
    if not sku.lot_tracked or gs1 is None or not gs1.lot_number:
        return None
    return get_or_create_lot(sku, gs1.lot_number, expiry_date=gs1.expiry_date, production_date=gs1.production_date)


@dataclass(frozen=True)
class LotWanted:
    """A lot-tracked SKU was scanned without its lot: the counter must give the lot next."""

    sku: Sku


def count_item(task_id: int, location_id: int, code: str, *, user_id: int,
               lot_id: int | None = None) -> CountLine | LotWanted:
    """One scan of an item in the bin being counted: +1 on its line (a new line if the books had none).

    A lot-tracked SKU counts in the lot its GS1 scan names, else in `lot_id` (the lot the counter gave
    for the last item, when that was the same SKU); with neither, nothing is counted: LotWanted."""
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        item = read_item(code)
        lot = scanned_lot(item.sku, item.gs1)
        if item.sku.lot_tracked and lot is None:
            known = db.session.get(Lot, lot_id) if lot_id is not None else None
            if known is None or known.sku_id != item.sku.id:
                return LotWanted(item.sku)
            lot = known
        return _add_one(task, location_id, item.sku.id, lot.id if lot else None, user_id)


def count_lot(task_id: int, location_id: int, sku_id: int, text: str, *, user_id: int,
              expiry_date: date | None = None) -> CountLine | LotWanted:
    """The counter gave the lot of the tracked item just scanned (its GS1 label, a lot chosen from the
    list or a typed number, with the expiry when the lot is new): +1 for that item in that lot."""
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        sku = db.session.get(Sku, sku_id)
        if sku is None:
            raise NotFound("No such SKU.")
        gs1 = parse_gs1(text)
        if gs1 is not None:  # the lot's GS1 label: it names the item (maybe another one) and its lot
            return count_item(task_id, location_id, text, user_id=user_id)
        if find_lot(sku.id, text) is None and find_sku_by_scan(text) is not None:
            raise lot_first()  # an item's barcode, not a lot number: never make it a lot
        lot = get_or_create_lot(sku, text, expiry_date=expiry_date)
        return _add_one(task, location_id, sku.id, lot.id, user_id)


def _add_one(task: CountTask, location_id: int, sku_id: int, lot_id: int | None, user_id: int) -> CountLine:
    line = _line_for(task, location_id, sku_id, lot_id)
    db.session.execute(update(CountLine).where(CountLine.id == line.id)
                       .values(counted_quantity=func.coalesce(CountLine.counted_quantity, 0) + 1,
                               counted_by_id=user_id))
    db.session.refresh(line)
    return line


def lots_to_choose(task: CountTask, location_id: int, sku_id: int) -> list[Lot]:
    """The lots of a SKU the counter may pick from in a bin: those on the count's lines there (the
    books' lots and those counted so far), earliest expiry first. No quantities."""
    lots = {line.lot_id: line.lot for line in task.lines
            if line.location_id == location_id and line.sku_id == sku_id and line.lot is not None}
    return sorted(lots.values(), key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max,
                                                  lot.lot_number))


def _bin_open(task: CountTask, location_id: int) -> None:
    lines = [line for line in task.lines if line.location_id == location_id]
    if not lines:
        loc = db.session.get(Location, location_id)
        raise bin_not_in_count(loc.code if loc is not None else "")
    if all(line.counted_at is not None for line in lines):
        raise bin_counted(lines[0].location.code)


def set_counted(task_id: int, location_id: int, sku_id: int, quantity: int, *, user_id: int,
                lot_id: int | None = None) -> CountLine:
    """The counter typed how many of the last scanned item (of its lot) lie in the bin."""
    if quantity < 0:
        raise bad_quantity(0, MAX_COUNTED)
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        sku = db.session.get(Sku, sku_id)
        if sku is not None and sku.lot_tracked and lot_id is None:
            raise lot_first()
        line = _line_for(task, location_id, sku_id, lot_id)
        line.counted_quantity, line.counted_by_id = quantity, user_id
    return line


def finish_bin(task_id: int, location_id: int, *, user_id: int) -> CountTask:
    """The counter is done with the bin: what was not found counts 0. The last bin closes the count."""
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        now = utcnow()
        for line in task.lines:
            if line.location_id == location_id:
                line.counted_quantity = line.counted_quantity or 0
                line.counted_by_id = line.counted_by_id or user_id
                line.counted_at = now
        if all(line.counted_at is not None for line in task.lines):
            task.status = "counted"
    return task


def counted_in_bin(task: CountTask, location_id: int) -> list[CountLine]:
    """What the counter has counted in the bin so far (lines with a count; never the expected)."""
    return [line for line in task.lines if line.location_id == location_id and line.sku_id is not None
            and line.counted_quantity is not None]
