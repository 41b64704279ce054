"""Cycle counts (盘点): count tasks by bins, zone, SKU or ABC schedule; blind counting by scan; the
variance report; approval that posts the differences, and recounts of the large ones.

A count always covers whole bins: every SKU the books hold in a counted bin gets a line (an empty
bin gets one line without a SKU), because the counter counts everything found there. Each line
captures the books' quantity when the task is created (`expected_quantity`, never shown to the
counter). A line is counted when its bin is finished (`counted_at`).

Stock keeps moving while a count is open, so the variance of a line is measured against the books
at the moment its bin was finished: book = quant now - net ledger moves since `counted_at`. Approval
sets the quant to the counted quantity plus what moved since the count, through `adjust()` (note
"count <reference>"), so picks after the count are not undone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from erp_core.catalog.models import Sku
from erp_core.catalog.services import find_sku_by_scan
from erp_core.db import atomic
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant, StockMove
from erp_core.inventory.services import adjust
from erp_core.models_base import utcnow
from erp_core.settings import get_setting, put_setting

from ..scanning import MAX_TYPED_QUANTITY_DIGITS, bad_quantity, unknown_code
from . import count_rules as rules
from .count_steps import bin_counted, bin_not_in_count, count_closed
from .models import CountLine, CountTask
from .replenishment import matches

THRESHOLD_KEY = "counts.recount_threshold"
MAX_COUNTED = 10**MAX_TYPED_QUANTITY_DIGITS - 1  # the largest quantity the handheld lets a counter type
USAGE_DAYS = 365
COUNTABLE = (Location.kind == "bin", Location.usage == "internal", Location.active.is_(True),
             func.coalesce(Location.bin_type, "") != "tote")


# --- Creating count tasks --------------------------------------------------------------------------

def _new_task(warehouse_id: int, kind: str, *, note: str = "", user_id: int | None = None,
              recount_of_id: int | None = None) -> CountTask:
    task = CountTask(reference=f"tmp-{uuid.uuid4().hex[:20]}", warehouse_id=warehouse_id, kind=kind,
                     status="open", note=note[:255], created_by_id=user_id, recount_of_id=recount_of_id)
    db.session.add(task)
    db.session.flush()
    task.reference = f"CNT-{task.id:06d}"
    return task


def _bins(warehouse_id: int, location_ids: list[int]) -> list[Location]:
    found = db.session.scalars(select(Location).where(Location.id.in_(location_ids), *COUNTABLE)
                               .where(Location.warehouse_id == warehouse_id).order_by(Location.code)).all()
    if len(found) != len(set(location_ids)):
        raise ValidationFailed("every counted location must be an active bin of the warehouse", code="not_a_bin")
    return list(found)


def create_count(warehouse_id: int, location_ids: list[int], *, kind: str = "bin", note: str = "",
                 user_id: int | None = None) -> CountTask:
    """A count of whole bins: a line per SKU the books hold there (expected = the quantity now)."""
    if not location_ids:
        raise ValidationFailed("a count needs at least one bin", code="no_bins")
    with atomic():
        bins = _bins(warehouse_id, location_ids)
        task = _new_task(warehouse_id, kind, note=note, user_id=user_id)
        held = defaultdict(list)
        for quant in db.session.scalars(select(Quant).where(Quant.location_id.in_([b.id for b in bins]),
                                                            Quant.quantity > 0).order_by(Quant.sku_id)):
            held[quant.location_id].append(quant)
        for loc in bins:
            for quant in held[loc.id]:
                db.session.add(CountLine(task_id=task.id, location_id=loc.id, sku_id=quant.sku_id,
                                         expected_quantity=quant.quantity))
            if not held[loc.id]:
                db.session.add(CountLine(task_id=task.id, location_id=loc.id, sku_id=None, expected_quantity=0))
        db.session.flush()
    return task


def bins_in_zone(zone_id: int) -> list[Location]:
    """The countable bins anywhere under a zone of the location tree."""
    zone = db.session.get(Location, zone_id)
    if zone is None or zone.kind != "zone":
        raise NotFound("no such zone")
    children = defaultdict(list)
    for loc_id, parent_id in db.session.execute(select(Location.id, Location.parent_id)
                                                .where(Location.warehouse_id == zone.warehouse_id)):
        children[parent_id].append(loc_id)
    under, frontier = set(), [zone.id]
    while frontier:
        frontier = [c for p in frontier for c in children[p]]
        under.update(frontier)
    return list(db.session.scalars(select(Location).where(Location.id.in_(under), *COUNTABLE)
                                   .order_by(Location.code)))


def create_zone_count(zone_id: int, *, user_id: int | None = None) -> CountTask:
    bins = bins_in_zone(zone_id)
    if not bins:
        raise ValidationFailed("this zone has no bins", code="no_bins")
    zone = db.session.get(Location, zone_id)
    return create_count(zone.warehouse_id, [b.id for b in bins], kind="zone", note=f"zone {zone.code}",
                        user_id=user_id)


def _bins_holding(warehouse_id: int, sku_ids: list[int]) -> list[int]:
    return list(db.session.scalars(
        select(Location.id).join(Quant, Quant.location_id == Location.id)
        .where(Location.warehouse_id == warehouse_id, Quant.sku_id.in_(sku_ids), Quant.quantity > 0, *COUNTABLE)
        .distinct()))


def create_sku_count(warehouse_id: int, sku_id: int, *, user_id: int | None = None) -> CountTask:
    """Every bin of the warehouse where the books hold the SKU (each counted whole)."""
    bins = _bins_holding(warehouse_id, [sku_id])
    if not bins:
        raise ValidationFailed("no bin of this warehouse holds the SKU", code="sku_not_in_stock")
    sku = db.session.get(Sku, sku_id)
    return create_count(warehouse_id, bins, kind="sku", note=f"SKU {sku.code}", user_id=user_id)


def request_bin_count(warehouse_id: int, location_id: int, *, kind: str = "bin", note: str = "",
                      user_id: int | None = None) -> CountTask:
    """A count of one bin (e.g. after a short pick), unless an open count will count it anyway."""
    with atomic():
        pending = db.session.scalar(
            select(CountTask).join(CountLine).where(CountTask.warehouse_id == warehouse_id,
                                                    CountTask.status == "open", CountLine.location_id == location_id,
                                                    CountLine.counted_at.is_(None)).limit(1))
        if pending is not None:
            return pending
        return create_count(warehouse_id, [location_id], kind=kind, note=note, user_id=user_id)


def abc_candidates(warehouse_id: int, now: datetime | None = None) -> list[tuple[rules.CountCandidate, Decimal]]:
    """The SKUs in stock in the warehouse, with their ABC class, last approved count and value.

    The value is what was picked in the last year at cost (usage value); while nothing has been picked
    in the warehouse yet, the value on hand. SKUs already on an unapproved count are left out.
    """
    now = now or utcnow()
    in_stock = dict(db.session.execute(
        select(Quant.sku_id, func.sum(Quant.quantity)).join(Location, Location.id == Quant.location_id)
        .where(Location.warehouse_id == warehouse_id, Quant.quantity > 0, *COUNTABLE).group_by(Quant.sku_id)).all())
    cost = dict(db.session.execute(select(Sku.id, Sku.cost).where(Sku.id.in_(list(in_stock)))).all())
    picked = dict(db.session.execute(
        select(StockMove.sku_id, func.sum(StockMove.quantity)).join(Location, Location.id == StockMove.from_location_id)
        .where(Location.warehouse_id == warehouse_id, StockMove.reason == "pick",
               StockMove.created_at >= now - timedelta(days=USAGE_DAYS), StockMove.sku_id.in_(list(in_stock)))
        .group_by(StockMove.sku_id)).all())
    units = picked if any(picked.values()) else in_stock
    values = {sku_id: Decimal(int(units.get(sku_id, 0))) * (cost[sku_id] or Decimal(0)) for sku_id in in_stock}
    classes = rules.classify_abc(values)
    last = dict(db.session.execute(
        select(CountLine.sku_id, func.max(CountLine.counted_at)).join(CountTask)
        .where(CountTask.warehouse_id == warehouse_id, CountTask.status == "approved", CountLine.sku_id.isnot(None))
        .group_by(CountLine.sku_id)).all())
    busy = set(db.session.scalars(select(CountLine.sku_id).join(CountTask).where(
        CountTask.warehouse_id == warehouse_id, CountTask.status.in_(("open", "counted")))))
    return [(rules.CountCandidate(sku_id, classes[sku_id], last.get(sku_id)), values[sku_id])
            for sku_id in sorted(in_stock) if sku_id not in busy]


def create_abc_count(warehouse_id: int, how_many: int, *, user_id: int | None = None,
                     now: datetime | None = None) -> CountTask:
    """Count the bins of the `how_many` SKUs most overdue by the ABC schedule (A monthly, B
    quarterly, C twice a year). Raises when nothing is due."""
    now = now or utcnow()
    candidates = [c for c, _value in abc_candidates(warehouse_id, now)]
    chosen = rules.choose_skus_to_count(candidates, now, how_many)
    if not chosen:
        raise ValidationFailed("no SKU is due for counting", code="nothing_due")
    by_class = defaultdict(int)
    for c in candidates:
        if c.sku_id in chosen:
            by_class[c.abc_class] += 1
    note = "ABC " + " ".join(f"{k}x{v}" for k, v in sorted(by_class.items()))
    return create_count(warehouse_id, _bins_holding(warehouse_id, chosen), kind="abc", note=note, user_id=user_id)


def cancel_count(task_id: int) -> CountTask:
    with atomic():
        task = _locked_task(task_id)
        if task.status not in ("open", "counted"):
            raise Conflict("only a count not yet approved can be cancelled", code="count_closed")
        task.status = "cancelled"
    return task


# --- Blind counting on the handheld ----------------------------------------------------------------

def _locked_task(task_id: int) -> CountTask:
    """The task row, locked (PostgreSQL) so scans of one count apply one after the other."""
    task = db.session.scalar(select(CountTask).where(CountTask.id == task_id).with_for_update())
    if task is None:
        raise NotFound("no such count")
    return task


def _open_task(task_id: int) -> CountTask:
    task = _locked_task(task_id)
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


# --- The variance report and approval --------------------------------------------------------------

def recount_threshold() -> rules.RecountThreshold:
    stored = get_setting(THRESHOLD_KEY) or {}
    default = rules.RecountThreshold()
    return rules.RecountThreshold(int(stored.get("units", default.units)),
                                  Decimal(str(stored.get("percent", default.percent))))


def save_recount_threshold(units: int, percent: Decimal, *, user_id: int | None = None) -> rules.RecountThreshold:
    threshold = rules.RecountThreshold(units, percent)  # refuses negatives
    put_setting(THRESHOLD_KEY, {"units": units, "percent": str(percent)}, user_id=user_id)
    return threshold


def _net_since(sku_id: int, location_id: int, since: datetime) -> int:
    def total(column) -> int:
        return int(db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.sku_id == sku_id, column == location_id, StockMove.created_at > since)))

    return total(StockMove.to_location_id) - total(StockMove.from_location_id)


@dataclass
class VarianceRow:
    line: CountLine
    book: int | None = None          # the books when the bin was counted (None: not counted yet)
    variance: int | None = None
    value: Decimal | None = None
    percent: Decimal | None = None
    recount: bool = False            # above the threshold: goes to a recount instead of posting
    recounted_in: CountTask | None = None

    @property
    def moved_since_created(self) -> bool:
        return self.book is not None and self.book != self.line.expected_quantity


@dataclass
class VarianceReport:
    task: CountTask
    rows: list[VarianceRow] = field(default_factory=list)

    @property
    def net_value(self) -> Decimal:
        return sum((r.value for r in self.rows if r.value is not None), Decimal("0.00"))

    @property
    def absolute_value(self) -> Decimal:
        return sum((abs(r.value) for r in self.rows if r.value is not None), Decimal("0.00"))

    @property
    def uncounted(self) -> int:
        return sum(1 for r in self.rows if r.line.counted_at is None)


def variance_report(task: CountTask, threshold: rules.RecountThreshold | None = None) -> VarianceReport:
    threshold = threshold or recount_threshold()
    recounts = db.session.scalars(select(CountTask).where(CountTask.recount_of_id == task.id)).all()
    recounted = {(line.location_id, line.sku_id): rc for rc in recounts for line in rc.lines}
    report = VarianceReport(task)
    for line in sorted(task.lines, key=lambda li: (li.location.code, li.sku.code if li.sku else "")):
        row = VarianceRow(line, recounted_in=recounted.get((line.location_id, line.sku_id)))
        if line.counted_at is not None and line.sku_id is not None:
            now_qty = db.session.scalar(select(Quant.quantity).filter_by(sku_id=line.sku_id,
                                                                         location_id=line.location_id)) or 0
            row.book = int(now_qty) - _net_since(line.sku_id, line.location_id, line.counted_at)
            counted = line.counted_quantity or 0
            row.variance = rules.variance(row.book, counted)
            row.value = rules.variance_value(row.book, counted, line.sku.cost or Decimal(0))
            row.percent = rules.variance_percent(row.book, counted)
            row.recount = task.recount_of_id is None and rules.needs_recount(row.book, counted, threshold)
        report.rows.append(row)
    return report


@dataclass(frozen=True)
class Approval:
    task: CountTask
    posted: int
    recount: CountTask | None


def approve_count(task_id: int, *, user_id: int) -> Approval:
    """Post the variances of a counted task; lines above the recount threshold go to a recount task
    instead (a recount's own lines all post when it is approved).

    Locks: the task row, then each quant through `adjust`. Guarantees: one transaction for the whole
    task (a refusal on any line, e.g. counting fewer than are reserved there, changes nothing); a
    task is approved once; a task with uncounted lines is refused.
    """
    with atomic():
        task = _locked_task(task_id)
        if task.status == "open":
            left = sum(1 for line in task.lines if line.counted_at is None)
            raise ValidationFailed(f"{left} lines are not counted yet", code="count_incomplete", uncounted=left)
        if task.status != "counted":
            raise Conflict("this count is approved or cancelled already", code="count_closed")
        posted, to_recount = 0, []
        for row in variance_report(task).rows:
            if row.variance is None or row.variance == 0:
                continue
            if row.recount:
                to_recount.append(row.line)
                continue
            # The count, plus what moved in or out of the bin since it was counted.
            new_quantity = (row.line.counted_quantity or 0) + _net_since(row.line.sku_id, row.line.location_id,
                                                                         row.line.counted_at)
            adjust(row.line.sku_id, row.line.location_id, new_quantity, reason_note=f"count {task.reference}",
                   user_id=user_id)
            posted += 1
        task.status, task.approved_by_id, task.approved_at = "approved", user_id, utcnow()
        recount = _create_recount(task, to_recount, user_id) if to_recount else None
    return Approval(task, posted, recount)


def _create_recount(task: CountTask, lines: list[CountLine], user_id: int | None) -> CountTask:
    recount = _new_task(task.warehouse_id, task.kind, note=f"recount of {task.reference}", user_id=user_id,
                        recount_of_id=task.id)
    for line in lines:
        now_qty = db.session.scalar(select(Quant.quantity).filter_by(sku_id=line.sku_id,
                                                                     location_id=line.location_id)) or 0
        db.session.add(CountLine(task_id=recount.id, location_id=line.location_id, sku_id=line.sku_id,
                                 expected_quantity=int(now_qty)))
    db.session.flush()
    return recount
