"""Receiving (入库) against an ASN: scans into staging (damaged units set aside), then finishing or
closing the receipt, which plans the putaway tasks of the good units.

Counters of an ASN line: `received_quantity` counts every unit that arrived, `damaged_quantity` the
part of them set aside in the damaged bin; the good units (received - damaged) wait in staging for
putaway. A line is over-received when received > expected, under-received (still open) when
received < expected. Blind receipts have no expectation, so they are never over or under.

Every service validates before it writes: a refused scan raises before any stock moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from erp_core.catalog.models import Sku
from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.inventory.services import receive
from erp_core.models_base import utcnow

from ..scanning import bad_quantity
from .asn_services import damaged_bin, locked_asn, require_receivable, staging_bin
from .inbound_steps import MAX_SCAN_QUANTITY
from .models import Asn, AsnLine, PutawayTask
from .putaway import PutawaySuggestion, suggest_putaway_bin
from .putaway_tasks import OPEN_TASK


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
        asn = locked_asn(asn_id)
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
    on_hand = db.session.scalar(select(func.coalesce(func.sum(Quant.quantity - Quant.reserved_quantity), 0))
                                .where(Quant.sku_id == sku_id, Quant.location_id == location_id)) or 0
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
        asn = locked_asn(asn_id)
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
        asn = locked_asn(asn_id)
        require_receivable(asn)
        planned = _plan_putaways(asn, user_id, None)
        db.session.refresh(asn)
        asn.status, asn.closed_at = "closed", utcnow()
        db.session.flush()
    return FinishedReceipt(asn, planned, open_lines(asn))
