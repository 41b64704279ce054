"""Transfers between warehouses (调拨): a draft is shipped into transit and received at the destination.

Shipping moves every line from the source warehouse's bins to the virtual TRANSIT location (reason
'transfer_out'), all or nothing; receiving moves units from TRANSIT into a bin of the destination
(reason 'transfer_in'), in as many receipts as needed. While units travel, the destination sees them
as "in transit" (erp_core.inventory.stock_queries.in_transit); the source's stock already went down.

Lots: a line of a lot-tracked SKU carries one lot. A line drafted without a lot takes stock FEFO
(earliest expiry first, never a held or expired lot) when it ships, and is split into one line per
lot it took; receiving moves each line's lot out of transit, so the lot arrives as it left.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, select, update

from ..catalog.models import Sku
from ..db import atomic, locked
from ..errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from .alerts import check_low_stock_after
from .models import Location, Lot, Quant, StockTransfer, StockTransferLine, Warehouse
from .reservations import sellable_lot
from .services import move_stock, virtual_location

# Bins a transfer may take stock from when its line names none: pick faces first, then reserve
# (overstock) bins, then bins without a type. Damaged, returns, staging, packing, put-wall and tote
# stock is never shipped to another warehouse unless a line names that bin.
SOURCE_BIN_ORDER = ("pick", "reserve", None)


@dataclass(frozen=True)
class TransferLineRequest:
    sku_id: int
    quantity: int
    from_location_id: int | None = None


def transfer_reference(transfer_id: int) -> str:
    return f"TR-{transfer_id:06d}"


def _line_request(raw) -> TransferLineRequest:
    if isinstance(raw, TransferLineRequest):
        return raw
    sku_id, quantity, *rest = raw
    return TransferLineRequest(int(sku_id), int(quantity), rest[0] if rest else None)


def _stock_bin(location_id: int, warehouse_id: int) -> Location:
    loc = db.session.get(Location, location_id)
    if loc is None or loc.warehouse_id != warehouse_id or loc.usage != "internal":
        raise ValidationFailed("the bin is not a stock location of that warehouse", code="bin_not_in_warehouse")
    return loc


def create_transfer(from_warehouse_id: int, to_warehouse_id: int,
                    lines: Iterable[TransferLineRequest | tuple], note: str = "",
                    user_id: int | None = None) -> StockTransfer:
    """A draft transfer; nothing moves until it ships. Lines are (sku_id, qty, from_location_id|None)."""
    wanted = [_line_request(raw) for raw in lines]
    if from_warehouse_id == to_warehouse_id:
        raise ValidationFailed("a transfer goes to another warehouse", code="same_warehouse")
    if not wanted:
        raise ValidationFailed("a transfer needs at least one line", code="no_lines")
    with atomic():
        for wh_id in (from_warehouse_id, to_warehouse_id):
            if db.session.get(Warehouse, wh_id) is None:
                raise NotFound("no such warehouse")
        transfer = StockTransfer(reference=f"TR-new-{uuid.uuid4().hex[:12]}", from_warehouse_id=from_warehouse_id,
                                 to_warehouse_id=to_warehouse_id, note=note.strip()[:255], created_by_id=user_id,
                                 status="draft")
        for line in wanted:
            if line.quantity <= 0:
                raise ValidationFailed("quantities must be positive", code="bad_quantity")
            if db.session.get(Sku, line.sku_id) is None:
                raise NotFound("no such SKU", code="unknown_sku")
            if line.from_location_id is not None:
                _stock_bin(line.from_location_id, from_warehouse_id)
            transfer.lines.append(StockTransferLine(sku_id=line.sku_id, quantity=line.quantity,
                                                    from_location_id=line.from_location_id))
        db.session.add(transfer)
        db.session.flush()
        transfer.reference = transfer_reference(transfer.id)
        db.session.flush()
    return transfer


def get_transfer(transfer_id: int) -> StockTransfer:
    transfer = db.session.get(StockTransfer, transfer_id)
    if transfer is None:
        raise NotFound("no such transfer", code="unknown_transfer")
    return transfer


def _claim(transfer_id: int, from_status: str, to_status: str, **values) -> StockTransfer:
    """Change the status only if it still is `from_status`: two clerks cannot both ship one transfer."""
    transfer = get_transfer(transfer_id)
    done = db.session.execute(update(StockTransfer)
                              .where(StockTransfer.id == transfer_id, StockTransfer.status == from_status)
                              .values(status=to_status, **values)
                              .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(f"transfer {transfer.reference} is {transfer.status}, not {from_status}",
                       code="transfer_status", status_now=transfer.status, reference=transfer.reference)
    db.session.refresh(transfer)
    return transfer


def _sources(sku_id: int, warehouse_id: int, *, location_id: int | None = None,
             lot_id: int | None = None) -> list[tuple[int, int | None, int]]:
    """(location id, lot id, available) of the warehouse's quants of the SKU, in the order stock is
    taken: earliest expiry first (FEFO; untracked stock has none), then by bin type and code. Held and
    expired lots are left out unless the line names its lot; a named bin is the only source."""
    rank = case({code: i for i, code in enumerate(SOURCE_BIN_ORDER) if code is not None},
                value=Location.bin_type, else_=len(SOURCE_BIN_ORDER))
    available = Quant.quantity - Quant.reserved_quantity
    stmt = (select(Location.id, Quant.lot_id, available)
            .join(Quant, Quant.location_id == Location.id).outerjoin(Lot, Lot.id == Quant.lot_id)
            .where(Quant.sku_id == sku_id, Location.warehouse_id == warehouse_id, Location.usage == "internal",
                   Location.active.is_(True), available > 0)
            .order_by(case((Lot.expiry_date.is_(None), 1), else_=0), Lot.expiry_date, rank, Location.code,
                      Location.id))
    if location_id is not None:
        stmt = stmt.where(Location.id == location_id)
    else:
        stmt = stmt.where(Location.bin_type.is_(None) | Location.bin_type.in_([c for c in SOURCE_BIN_ORDER if c]))
    stmt = stmt.where(Quant.lot_id == lot_id) if lot_id is not None else stmt.where(sellable_lot())
    return [(loc, lot, int(qty)) for loc, lot, qty in db.session.execute(stmt)]


def ship_transfer(transfer_id: int, user_id: int | None = None) -> StockTransfer:
    """Move every line into transit; status shipped. All or nothing.

    Locks: the transfer row (conditional status UPDATE draft -> shipped) and each source quant
    (move_stock's conditional UPDATE). Guarantees: no bin goes below its reserved units; when any
    line cannot be covered, InsufficientStock is raised and nothing moved or changed status; a line
    of a lot-tracked SKU leaves with its lot, split into a line per lot when it took several.
    """
    with atomic():
        transfer = _claim(transfer_id, "draft", "shipped", shipped_at=utcnow())
        transit = virtual_location("TRANSIT")
        for sku_id in dict.fromkeys(line.sku_id for line in transfer.lines):
            check_low_stock_after(sku_id, transfer.from_warehouse_id)
        for line in list(transfer.lines):
            if line.from_location_id is not None and line.lot_id is None and not line.sku.lot_tracked:
                move_stock(line.sku_id, line.from_location_id, transit.id, line.quantity, reason="transfer_out",
                           reference=transfer.reference, user_id=user_id)
                continue
            _ship_from_sources(transfer, line, transit.id, user_id)
        db.session.flush()
    return transfer


def _ship_from_sources(transfer: StockTransfer, line: StockTransferLine, transit_id: int,
                       user_id: int | None) -> None:
    sources = _sources(line.sku_id, transfer.from_warehouse_id, location_id=line.from_location_id,
                       lot_id=line.lot_id)
    if sum(qty for _loc, _lot, qty in sources) < line.quantity:
        raise InsufficientStock(f"not enough available stock of the SKU in the source warehouse for "
                                f"{transfer.reference}", sku_id=line.sku_id, sku=line.sku.code,
                                requested=line.quantity)
    left, per_lot = line.quantity, {}
    for location_id, lot_id, available in sources:
        take = min(left, available)
        move_stock(line.sku_id, location_id, transit_id, take, reason="transfer_out", reference=transfer.reference,
                   user_id=user_id, lot_id=lot_id)
        per_lot[lot_id] = per_lot.get(lot_id, 0) + take
        left -= take
        if not left:
            break
    # One line per lot, so that each lot is received (and traced) as it left.
    (first_lot, first_qty), *others = per_lot.items()
    line.lot_id, line.quantity = first_lot, first_qty
    for lot_id, quantity in others:
        transfer.lines.append(StockTransferLine(sku_id=line.sku_id, from_location_id=line.from_location_id,
                                                lot_id=lot_id, quantity=quantity))


def receive_transfer(transfer_id: int, receipts: Mapping[int, int], to_location_id: int,
                     user_id: int | None = None) -> StockTransfer:
    """Move received units from transit into a bin of the destination; partial receipts allowed.

    Locks: the transfer row (FOR UPDATE), then each line (conditional UPDATE received + q <= quantity).
    Guarantees: a line never receives more than was shipped; all or nothing per call; the status
    becomes received when every line is complete.
    """
    wanted = {int(line_id): int(qty) for line_id, qty in receipts.items() if int(qty) != 0}
    if any(qty < 0 for qty in wanted.values()):
        raise ValidationFailed("received quantities cannot be negative", code="bad_quantity")
    if not wanted:
        raise ValidationFailed("nothing to receive", code="nothing_received")
    with atomic():
        # Receipts of one transfer queue up behind each other (FOR UPDATE on PostgreSQL; SQLite has one
        # writer at a time), so the receipt that brings the last unit always sees the others.
        transfer = locked(StockTransfer, transfer_id)
        if transfer is None:
            raise NotFound("no such transfer", code="unknown_transfer")
        if transfer.status != "shipped":
            raise Conflict(f"transfer {transfer.reference} is {transfer.status}, not shipped",
                           code="transfer_status", status_now=transfer.status, reference=transfer.reference)
        _stock_bin(to_location_id, transfer.to_warehouse_id)
        lines = {line.id: line for line in transfer.lines}
        transit = virtual_location("TRANSIT")
        for line_id, qty in sorted(wanted.items()):
            line = lines.get(line_id)
            if line is None:
                raise NotFound("the line is not part of this transfer", code="unknown_line")
            done = db.session.execute(
                update(StockTransferLine)
                .where(StockTransferLine.id == line_id,
                       StockTransferLine.received_quantity + qty <= StockTransferLine.quantity)
                .values(received_quantity=StockTransferLine.received_quantity + qty)
                .execution_options(synchronize_session=False)).rowcount
            if done != 1:
                raise ValidationFailed("cannot receive more than is still in transit", code="over_receipt",
                                       line_id=line_id, requested=qty, sku=line.sku.code,
                                       remaining=line.quantity - line.received_quantity)
            move_stock(line.sku_id, transit.id, to_location_id, qty, reason="transfer_in",
                       reference=transfer.reference, user_id=user_id, lot_id=line.lot_id)
        for line in transfer.lines:
            db.session.refresh(line)
        if all(line.received_quantity == line.quantity for line in transfer.lines):
            transfer = _claim(transfer.id, "shipped", "received", received_at=utcnow())
    return transfer


def cancel_transfer(transfer_id: int, user_id: int | None = None) -> StockTransfer:
    """Cancel a draft (nothing has moved yet). A shipped transfer cannot be cancelled: receive it."""
    with atomic():
        return _claim(transfer_id, "draft", "cancelled")


def remaining(line: StockTransferLine) -> int:
    return line.quantity - line.received_quantity


def lines_summary(lines: Sequence[StockTransferLine]) -> tuple[int, int]:
    """(units, units received) of a transfer's lines."""
    return sum(x.quantity for x in lines), sum(x.received_quantity for x in lines)
