"""Cycle counts (盘点), closing them: the variance report; approval that posts the differences, and
recounts of the large ones; cancelling a count.

Lines are per quant (SKU + lot), so each lot's variance posts to that lot alone. Stock keeps moving
while a count is open, so the variance of a line is measured against the books at the moment its bin
was finished: book = quant now - net ledger moves since `counted_at`. Approval
sets the quant to the counted quantity plus what moved since the count, through `adjust()` (note
"count <reference>"), so picks after the count are not undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from erp_core.db import atomic
from erp_core.errors import Conflict, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import StockMove
from erp_core.inventory.services import adjust, lot_is
from erp_core.inventory.stock_queries import quant_in
from erp_core.models_base import utcnow
from erp_core.settings import get_setting, put_setting

from . import count_rules as rules
from .count_planning import new_count_task
from .counting import locked_task
from .models import CountLine, CountTask

THRESHOLD_KEY = "counts.recount_threshold"


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


def _net_since(sku_id: int, location_id: int, since: datetime, lot_id: int | None = None) -> int:
    """Units of one quant (SKU + bin + lot) moved in minus moved out since `since`."""
    def total(column) -> int:
        return int(db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.sku_id == sku_id, column == location_id, lot_is(StockMove.lot_id, lot_id),
            StockMove.created_at > since)))

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
    recounted = {(line.location_id, line.sku_id, line.lot_id): rc for rc in recounts for line in rc.lines}
    report = VarianceReport(task)
    for line in sorted(task.lines, key=lambda li: (li.location.code, li.sku.code if li.sku else "",
                                                   li.lot.lot_number if li.lot else "")):
        row = VarianceRow(line, recounted_in=recounted.get((line.location_id, line.sku_id, line.lot_id)))
        if line.counted_at is not None and line.sku_id is not None:
            now_qty, _reserved = quant_in(line.sku_id, line.location_id, line.lot_id)
            row.book = now_qty - _net_since(line.sku_id, line.location_id, line.counted_at, line.lot_id)
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
        task = locked_task(task_id)
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
            line = row.line
            new_quantity = (line.counted_quantity or 0) + _net_since(line.sku_id, line.location_id, line.counted_at,
                                                                     line.lot_id)
            adjust(line.sku_id, line.location_id, new_quantity, reason_note=f"count {task.reference}",
                   lot_id=line.lot_id, user_id=user_id)
            posted += 1
        task.status, task.approved_by_id, task.approved_at = "approved", user_id, utcnow()
        recount = _create_recount(task, to_recount, user_id) if to_recount else None
    return Approval(task, posted, recount)


def _create_recount(task: CountTask, lines: list[CountLine], user_id: int | None) -> CountTask:
    recount = new_count_task(task.warehouse_id, task.kind, note=f"recount of {task.reference}", user_id=user_id,
                            recount_of_id=task.id)
    for line in lines:
        now_qty, _reserved = quant_in(line.sku_id, line.location_id, line.lot_id)
        db.session.add(CountLine(task_id=recount.id, location_id=line.location_id, sku_id=line.sku_id,
                                 lot_id=line.lot_id, expected_quantity=now_qty))
    db.session.flush()
    return recount


# --- Cancelling ------------------------------------------------------------------------------------

def cancel_count(task_id: int) -> CountTask:
    with atomic():
        task = locked_task(task_id)
        if task.status not in ("open", "counted"):
            raise Conflict("only a count not yet approved can be cancelled", code="count_closed")
        task.status = "cancelled"
    return task
