"""Cycle counts (盘点), creating them: count tasks by bins, zone, SKU or ABC schedule.

A count always covers whole bins: every quant the books hold in a counted bin gets a line, i.e. one
per SKU, and per lot for a lot-tracked SKU (an empty bin gets one line without a SKU), because the
counter counts everything found there. Each line
captures the books' quantity when the task is created (`expected_quantity`, never shown to the
counter).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from erp_core.catalog.models import Sku
from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant, StockMove
from erp_core.models_base import utcnow

from . import count_rules as rules
from .models import CountLine, CountTask

USAGE_DAYS = 365
COUNTABLE = (Location.kind == "bin", Location.usage == "internal", Location.active.is_(True),
             func.coalesce(Location.bin_type, "") != "tote")


# --- Creating count tasks --------------------------------------------------------------------------

def new_count_task(warehouse_id: int, kind: str, *, note: str = "", user_id: int | None = None,
                  recount_of_id: int | None = None) -> CountTask:
    """A new open count task, numbered CNT-<id>; its lines are the caller's to add."""
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
    """A count of whole bins: a line per quant (SKU + lot) the books hold there (expected = the quantity now)."""
    if not location_ids:
        raise ValidationFailed("a count needs at least one bin", code="no_bins")
    with atomic():
        bins = _bins(warehouse_id, location_ids)
        task = new_count_task(warehouse_id, kind, note=note, user_id=user_id)
        held = defaultdict(list)
        for quant in db.session.scalars(select(Quant).where(Quant.location_id.in_([b.id for b in bins]),
                                                            Quant.quantity > 0)
                                      .order_by(Quant.sku_id, Quant.lot_id)):
            held[quant.location_id].append(quant)
        for loc in bins:
            for quant in held[loc.id]:
                db.session.add(CountLine(task_id=task.id, location_id=loc.id, sku_id=quant.sku_id,
                                         lot_id=quant.lot_id, expected_quantity=quant.quantity))
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
