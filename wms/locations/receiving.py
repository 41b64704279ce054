"""Receiving (入库) against an ASN: scans into staging (damaged units set aside), then finishing or
closing the receipt, which plans the putaway tasks of the good units.

Counters of an ASN line: `received_quantity` counts every unit that arrived, `damaged_quantity` the
part of them set aside in the damaged bin; the good units (received - damaged) wait in staging for
putaway. A line is over-received when received > expected, under-received (still open) when
received < expected. Blind receipts have no expectation, so they are never over or under.

Lots (批次): a lot-tracked SKU is received with its lot number and expiry date (typed, from the
production date and the shelf life, or from a GS1 label), into a quant of that lot. Goods with less
remaining life than the SKU's minimum at receipt are refused, or accepted and the lot flagged when
the setting `receiving.short_dated` is "flag". Putaway tasks are planned per SKU and lot.

Every service validates before it writes: a refused scan raises before any stock moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update

from erp_core.catalog.models import Sku
from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.lot_rules import expiry_from_production, receipt_shortfall, remaining_days
from erp_core.inventory.lots import find_lot, get_or_create_lot, normalise_lot_number, shelf_life
from erp_core.inventory.models import Location, Lot, Quant, StockMove
from erp_core.inventory.reservations import business_today
from erp_core.inventory.services import lot_is, quant_is, receive
from erp_core.models_base import utcnow
from erp_core.outbox import publish
from erp_core.purchasing.services import receive_against_po
from erp_core.settings import get_setting

from ..scanning import bad_quantity
from .asn_services import damaged_bin, locked_asn, require_receivable, staging_bin
from .inbound_steps import MAX_SCAN_QUANTITY
from .models import Asn, AsnLine, PutawayTask
from .putaway import PutawaySuggestion, suggest_putaway_bin
from .putaway_tasks import OPEN_TASK

STOCK_RECEIPT_TOPIC = "finance.stock_receipt"


def _publish_plain_receipt(move, sku: Sku, asn: Asn) -> None:
    """A receipt without a purchase order: finance costs it at the SKU's standard cost (a PO's receipt
    tells finance its landed cost through `purchasing.receipt` instead)."""
    publish(STOCK_RECEIPT_TOPIC, {"move_id": move.id, "sku_id": sku.id, "sku": sku.code,
                                  "warehouse_id": asn.warehouse_id, "quantity": move.quantity,
                                  "reference": asn.reference, "at": move.created_at.isoformat()},
            key=f"stock-move-{move.id}")


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
    lot: Lot | None = None         # the lot received (None for an untracked SKU)
    short_days: int | None = None  # days short of the minimum life at receipt, accepted by setting

    @property
    def over(self) -> bool:
        return not self.asn.blind and self.line.received_quantity > self.line.expected_quantity


SHORT_DATED_SETTING = "receiving.short_dated"
SHORT_DATED_MODES = ("refuse", "flag")


def short_dated_mode() -> str:
    """What receiving does with goods below the SKU's minimum remaining life: refuse (default) or flag."""
    mode = get_setting(SHORT_DATED_SETTING, "refuse")
    return mode if mode in SHORT_DATED_MODES else "refuse"


@dataclass(frozen=True)
class LotLabel:
    """A lot as the receiver gave it: typed, or read from a GS1 label."""

    number: str = ""
    expiry_date: date | None = None
    production_date: date | None = None


def _receipt_lot(sku: Sku, label: LotLabel) -> tuple[LotLabel, int | None]:
    """The lot to receive into, checked (no write): its number, its expiry (given, the existing lot's,
    or the production date + shelf life) and how many days short of the minimum life it is, which
    refuses the scan unless the setting flags such goods."""
    number = normalise_lot_number(label.number) if label.number.strip() else ""
    if not number:
        raise ValidationFailed(f"{sku.code} is tracked by lot: give the lot number.", code="lot_required",
                               sku=sku.code)
    expiry = label.expiry_date or (expiry_from_production(label.production_date, sku.shelf_life_days)
                                   if label.production_date else None)
    existing = find_lot(sku.id, number)
    if expiry is None and existing is not None:
        expiry = existing.expiry_date
    if expiry is None:
        raise ValidationFailed(f"Lot {number} needs an expiry date (or a production date).",
                               code="lot_expiry_required", lot=number, sku=sku.code)
    today = business_today()
    short = receipt_shortfall(today, expiry, shelf_life(sku))
    if short is not None and short_dated_mode() != "flag":
        left = remaining_days(today, expiry)
        raise ValidationFailed(f"Lot {number} of {sku.code} expires on {expiry.isoformat()}: {left} days left, "
                               f"{sku.min_receipt_life_days} needed at receipt. Refused: nothing was received.",
                               code="short_shelf_life", sku=sku.code, lot=number, expiry=expiry.isoformat(),
                               days_left=left, minimum=sku.min_receipt_life_days, short=short)
    return LotLabel(number, expiry, label.production_date), short


def receive_scan(asn_id: int, sku_id: int, quantity: int = 1, *, damaged: bool = False,
                 user_id: int | None = None, lot: LotLabel | None = None) -> ReceiptScan:
    """Receive `quantity` units of a SKU against an ASN: good units into staging, damaged ones into
    the damaged bin (reason 'receipt', reference the ASN's), and the line's counters, in one transaction.
    A lot-tracked SKU needs `lot` (number and expiry, or production date): its lot is found or created
    and the units received into it; `lot` is ignored for an untracked SKU.

    Locks: the ASN row (FOR UPDATE; SQLite's write lock), so scans of one ASN apply one after another;
    for an ASN of a purchase order, then the PO row (`receive_against_po`), so scans through two ASNs of
    one PO never over-receive it together.
    Guarantees: a SKU not on a (non-blind) ASN, a closed ASN or a missing bin is refused before any
    write; over-receipt is allowed and reported (`went_over` on the scan that crosses the line); a
    missing lot or expiry, or goods below the minimum remaining life (unless flagged by setting), are
    refused before any write too: no move, no quant, no lot.
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
        checked, short = _receipt_lot(sku, lot or LotLabel()) if sku.lot_tracked else (None, None)
        if asn.purchase_order_id is not None:
            # The PO's line, receipt row and status in this same transaction; an over-receipt beyond
            # the PO's tolerance is refused here, before any stock moves (damaged units count too:
            # they arrived, and a return to the supplier is its own business).
            receive_against_po(asn.purchase_order_id, sku_id, quantity, asn_id=asn.id, asn_reference=asn.reference,
                               user_id=user_id)
        received_lot = None
        if checked is not None:
            received_lot = get_or_create_lot(sku, checked.number, expiry_date=checked.expiry_date,
                                             production_date=checked.production_date)
            if short is not None and not received_lot.short_dated_receipt:
                received_lot.short_dated_receipt = True
        if line is None:
            line = AsnLine(asn_id=asn.id, sku_id=sku_id, expected_quantity=0)
            db.session.add(line)
            db.session.flush()
        before = line.received_quantity
        move = receive(sku_id, target.id, quantity, reference=asn.reference, user_id=user_id,
                       lot_id=received_lot.id if received_lot else None)
        if asn.purchase_order_id is None:
            _publish_plain_receipt(move, sku, asn)
        db.session.execute(update(AsnLine).where(AsnLine.id == line.id).values(
            received_quantity=AsnLine.received_quantity + quantity,
            damaged_quantity=AsnLine.damaged_quantity + (quantity if damaged else 0)))
        db.session.refresh(line)
        if asn.status == "open":
            asn.status = "receiving"
        db.session.flush()
        went_over = not asn.blind and before <= line.expected_quantity < line.received_quantity
    return ReceiptScan(asn, line, sku, quantity, damaged, target, went_over, received_lot, short)


@dataclass(frozen=True)
class PlannedPutaway:
    task: PutawayTask
    suggestion: PutawaySuggestion


@dataclass(frozen=True)
class FinishedReceipt:
    asn: Asn
    putaways: list[PlannedPutaway] = field(default_factory=list)
    open_lines: list[AsnLine] = field(default_factory=list)


_ANY_LOT = object()


def _tasked(asn_id: int, sku_id: int, lot_id: object = _ANY_LOT) -> int:
    stmt = select(func.coalesce(func.sum(PutawayTask.quantity), 0)).where(
        PutawayTask.asn_id == asn_id, PutawayTask.sku_id == sku_id, PutawayTask.status != "cancelled")
    if lot_id is not _ANY_LOT:
        stmt = stmt.where(lot_is(PutawayTask.lot_id, lot_id))  # type: ignore[arg-type]
    return int(db.session.scalar(stmt) or 0)


def _free_in(location_id: int, sku_id: int, lot_id: int | None = None) -> int:
    """Units of a SKU (of one lot) in a bin not yet promised to an open putaway task."""
    on_hand = db.session.scalar(select(Quant.quantity - Quant.reserved_quantity)
                                .where(quant_is(sku_id, location_id, lot_id))) or 0
    promised = db.session.scalar(select(func.coalesce(func.sum(PutawayTask.quantity), 0)).where(
        PutawayTask.from_location_id == location_id, PutawayTask.sku_id == sku_id,
        lot_is(PutawayTask.lot_id, lot_id), PutawayTask.status.in_(OPEN_TASK))) or 0
    return int(on_hand) - int(promised)


def _lot_parts(asn: Asn, staging_id: int, sku: Sku, wanted: int) -> list[tuple[int | None, int]]:
    """How a line's units to put away split over lots: for a lot-tracked SKU, the lots this ASN
    received into staging (earliest expiry first), each less what is tasked already; one part without
    a lot otherwise. Each part is capped by what staging still holds of it."""
    if not sku.lot_tracked:
        return [(None, min(wanted, _free_in(staging_id, sku.id)))]
    received = db.session.execute(
        select(StockMove.lot_id, func.sum(StockMove.quantity)).join(Lot, Lot.id == StockMove.lot_id)
        .where(StockMove.reference == asn.reference, StockMove.reason == "receipt",
               StockMove.to_location_id == staging_id, StockMove.sku_id == sku.id)
        .group_by(StockMove.lot_id, Lot.expiry_date, Lot.id).order_by(Lot.expiry_date, Lot.id)).all()
    parts = []
    for lot_id, quantity in received:
        part = min(wanted, int(quantity) - _tasked(asn.id, sku.id, lot_id), _free_in(staging_id, sku.id, lot_id))
        if part > 0:
            parts.append((lot_id, part))
            wanted -= part
    return parts


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
        for lot_id, quantity in _lot_parts(asn, staging.id, line.sku, wanted):
            if quantity <= 0:
                continue  # already moved out of staging by other means: nothing left to put away
            suggestion = suggest_putaway_bin(asn.warehouse_id, line.sku_id, quantity, velocities=velocities,
                                             lot_id=lot_id)
            task = PutawayTask(warehouse_id=asn.warehouse_id, asn_id=asn.id, sku_id=line.sku_id, quantity=quantity,
                               from_location_id=staging.id, status="open", user_id=user_id, lot_id=lot_id,
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
