"""Cycle counts (盘点), counting: blind counting by scan on the handheld, bin by bin.

The counter sees the count's bins, never the books. A line is counted when its bin is finished
(`counted_at`); the last bin finished closes the count for the office to review.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from erp_core.catalog.services import find_sku_by_scan
from erp_core.db import atomic, locked
from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.models_base import utcnow

from ..scanning import MAX_TYPED_QUANTITY_DIGITS, bad_quantity, unknown_code
from .count_steps import bin_counted, bin_not_in_count, count_closed
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


def _line_for(task: CountTask, location_id: int, sku_id: int) -> CountLine:
    for line in task.lines:
        if line.location_id == location_id and line.sku_id == sku_id:
            return line
    # Found where the books (at creation) had none: a new line, expected what the books hold now (0).
    expected = db.session.scalar(select(Quant.quantity).filter_by(sku_id=sku_id, location_id=location_id)) or 0
    line = CountLine(task_id=task.id, location_id=location_id, sku_id=sku_id, expected_quantity=int(expected))
    task.lines.append(line)
    db.session.flush()
    return line


def _bin_open(task: CountTask, location_id: int) -> None:
    lines = [line for line in task.lines if line.location_id == location_id]
    if not lines:
        loc = db.session.get(Location, location_id)
        raise bin_not_in_count(loc.code if loc is not None else "")
    if all(line.counted_at is not None for line in lines):
        raise bin_counted(lines[0].location.code)


def count_item(task_id: int, location_id: int, code: str, *, user_id: int) -> CountLine:
    """One scan of an item in the bin being counted: +1 on its line (a new line if the books had none)."""
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        sku = find_sku_by_scan(code) if code.strip() else None
        if sku is None:
            raise unknown_code(code.strip())
        line = _line_for(task, location_id, sku.id)
        db.session.execute(update(CountLine).where(CountLine.id == line.id)
                           .values(counted_quantity=func.coalesce(CountLine.counted_quantity, 0) + 1,
                                   counted_by_id=user_id))
        db.session.refresh(line)
    return line


def set_counted(task_id: int, location_id: int, sku_id: int, quantity: int, *, user_id: int) -> CountLine:
    """The counter typed how many of the last scanned item lie in the bin."""
    if quantity < 0:
        raise bad_quantity(0, MAX_COUNTED)
    with atomic():
        task = _open_task(task_id)
        _bin_open(task, location_id)
        line = _line_for(task, location_id, sku_id)
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
