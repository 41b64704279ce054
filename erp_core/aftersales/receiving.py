"""Returned units on the floor: received from the customer into a returns bin, then inspected back
to sellable stock, to the damaged-goods bin, or scrapped. Each is a ledger move (erp_core.inventory)
with the case number as its reference, in the same transaction as the case line's counters.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..inventory.models import Location, Lot
from ..inventory.services import move_stock, required_bin, virtual_location
from ..outbox import publish
from . import domain
from .models import AfterSalesCase, AfterSalesLine, AfterSalesReceipt
from .services import lock_case, set_status
from .shipped import shipped_lots

RECEIVING = frozenset({"awaiting_return"})
INSPECTING = frozenset({"awaiting_return", "received"})
SELLABLE_BIN_TYPES = frozenset({"pick", "reserve"})
# The ledger reason of each step (stock_moves.reason is a closed list).
REASONS = {"receive": "return", "sellable": "putaway", "damaged": "move", "scrap": "scrap"}


def returns_bin(warehouse_id: int) -> Location:
    """The warehouse's returns bin (the first active one). Raises no_returns_bin."""
    return required_bin(warehouse_id, "returns", code="no_returns_bin",
                        message="Warehouse {warehouse} has no returns bin: create a bin of type returns first.")


def _fitting_bin(location_id: int | None, case: AfterSalesCase, types: frozenset[str]) -> Location | None:
    """The bin, when it is an active bin of one of `types` in the case's warehouse (else None)."""
    loc = db.session.get(Location, location_id) if location_id else None
    if loc is None or loc.warehouse_id != case.warehouse_id or loc.kind != "bin" or not loc.active \
            or loc.bin_type not in types:
        return None
    return loc


def _line(case: AfterSalesCase, line_id: int) -> AfterSalesLine:
    line = next((line for line in case.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("this line is not on the case", code="unknown_case_line", case=case.number)
    return line


def received_lots(order_line_id: int) -> dict[int | None, int]:
    """{lot id: units} received back of an order line, over every case."""
    rows = db.session.execute(select(AfterSalesReceipt.lot_id, func.sum(AfterSalesReceipt.quantity))
                              .join(AfterSalesLine, AfterSalesLine.id == AfterSalesReceipt.line_id)
                              .where(AfterSalesLine.order_line_id == order_line_id)
                              .group_by(AfterSalesReceipt.lot_id))
    return {lot: int(qty) for lot, qty in rows}


def lot_options(case: AfterSalesCase, line: AfterSalesLine) -> list[Lot]:
    """The lots shipped on the line that may still come back (what the station asks to choose from)."""
    shipped = shipped_lots(case.order_id, line.order_line_id)
    back = received_lots(line.order_line_id)
    ids = [lot for lot, units in shipped.items() if lot is not None and units - back.get(lot, 0) > 0]
    return list(db.session.scalars(select(Lot).where(Lot.id.in_(ids)).order_by(Lot.lot_number))) if ids else []


def receive_return(case_id: int, line_id: int, quantity: int = 1, *, lot_id: int | None = None,
                   location_id: int | None = None, user_id: int | None = None) -> AfterSalesReceipt:
    """Units of a case line are back: CUSTOMER -> the returns bin, of the lot that was shipped.

    Locks: the case row, then the line by a conditional UPDATE (`received + q <= quantity`, row count
    checked). Guarantees: never more received than the case line says (two desks scanning the last
    unit: one receives it, the other is refused `return_fully_received`); a lot-tracked unit goes back
    to a lot shipped on that order line (asked, `lot_choice_needed`, when several could be it);
    refused, nothing changes. The case is `received` when every line is.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity")
    with atomic():
        case = lock_case(case_id)
        if case.status not in RECEIVING:
            raise Conflict(f"case {case.number} is {case.status}: it does not wait for goods",
                           code="case_not_receiving", case=case.number, current=case.status)
        line = _line(case, line_id)
        bin_ = _fitting_bin(location_id, case, frozenset({"returns"})) if location_id \
            else returns_bin(case.warehouse_id)
        if bin_ is None:
            raise ValidationFailed("choose a returns bin of the case's warehouse", code="not_a_returns_bin",
                                   case=case.number)
        lot = domain.lot_to_receive(shipped_lots(case.order_id, line.order_line_id),
                                    received_lots(line.order_line_id), lot_id)
        if lot == "ask":
            raise ValidationFailed(f"{line.sku.code} was shipped from several lots: say which one came back",
                                   code="lot_choice_needed", sku=line.sku.code,
                                   lots=[found.lot_number for found in lot_options(case, line)])
        if lot == "none":
            raise Conflict(f"no unit of {line.sku.code} of this lot was shipped on this order and not returned",
                           code="lot_not_shipped", sku=line.sku.code, case=case.number)
        done = db.session.execute(update(AfterSalesLine).where(
            AfterSalesLine.id == line.id, AfterSalesLine.received_quantity + quantity <= AfterSalesLine.quantity)
            .values(received_quantity=AfterSalesLine.received_quantity + quantity)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise Conflict(f"{line.sku.code}: every unit of case {case.number} is received already",
                           code="return_fully_received", sku=line.sku.code, case=case.number)
        db.session.refresh(line)
        move_stock(line.sku_id, virtual_location("CUSTOMER").id, bin_.id, quantity, reason=REASONS["receive"],
                   reference=case.number, note=f"returned: {line.reason_code}", user_id=user_id, lot_id=lot)
        receipt = AfterSalesReceipt(line_id=line.id, location_id=bin_.id, lot_id=lot, quantity=quantity,
                                    user_id=user_id)
        db.session.add(receipt)
        db.session.flush()
        if all(item.to_receive == 0 for item in case.lines):
            set_status(case, "received")
    return receipt


def _destination(case: AfterSalesCase, outcome: str, to_location_id: int | None) -> Location:
    if outcome == "sellable":
        found = _fitting_bin(to_location_id, case, SELLABLE_BIN_TYPES)
        if found is None:
            scanned = db.session.get(Location, to_location_id) if to_location_id else None
            raise ValidationFailed("choose a pick or reserve bin of the case's warehouse", code="not_a_sellable_bin",
                                   case=case.number, bin=scanned.code if scanned else "–")
        return found
    if outcome == "damaged":
        if to_location_id:
            found = _fitting_bin(to_location_id, case, frozenset({"damaged"}))
            if found is None:
                raise ValidationFailed("choose a damaged-goods bin of the case's warehouse",
                                       code="not_a_damaged_bin", case=case.number)
            return found
        return required_bin(case.warehouse_id, "damaged", code="no_damaged_bin",
                            message="Warehouse {warehouse} has no damaged-goods bin: create one to set units aside.")
    if outcome == "scrap":
        return virtual_location("INV-LOSS")
    raise ValidationFailed(f"unknown outcome {outcome}", code="unknown_outcome", outcome=outcome)


def inspect_return(case_id: int, line_id: int, quantity: int, outcome: str, *, to_location_id: int | None = None,
                   lot_id: int | None = None, note: str = "", user_id: int | None = None) -> list:
    """Inspect received units: back to sellable stock (a pick or reserve bin), to the damaged-goods
    bin, or scrapped (-> INV-LOSS); one ledger move per lot, the outcome counted on the case line.

    Locks: the case row, then each receipt by a conditional UPDATE (`inspected + q <= quantity`).
    Guarantees: never more inspected than received (refused `nothing_to_inspect`, nothing changed);
    the case is `inspected` once receiving is over and every received unit is inspected.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity")
    with atomic():
        case = lock_case(case_id)
        if case.status not in INSPECTING:
            raise Conflict(f"case {case.number} is {case.status}: nothing to inspect", code="case_not_inspecting",
                           case=case.number, current=case.status)
        line = _line(case, line_id)
        dest = _destination(case, outcome, to_location_id)
        receipts = [domain.OpenReceipt(r.id, r.lot_id, r.quantity - r.inspected_quantity) for r in line.receipts]
        chosen = domain.take_from_receipts(receipts, quantity, lot_id, any_lot=lot_id is None)
        if not chosen:
            raise Conflict(f"{line.sku.code}: only {line.to_inspect} received units wait for inspection",
                           code="nothing_to_inspect", sku=line.sku.code, left=line.to_inspect, case=case.number)
        moves = []
        by_id = {r.id: r for r in line.receipts}
        for receipt_id, units in chosen:
            receipt = by_id[receipt_id]
            done = db.session.execute(update(AfterSalesReceipt).where(
                AfterSalesReceipt.id == receipt_id,
                AfterSalesReceipt.inspected_quantity + units <= AfterSalesReceipt.quantity)
                .values(inspected_quantity=AfterSalesReceipt.inspected_quantity + units)
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise Conflict("these units were inspected meanwhile", code="nothing_to_inspect", sku=line.sku.code,
                               left=0, case=case.number)
            moves.append(move_stock(line.sku_id, receipt.location_id, dest.id, units, reason=REASONS[outcome],
                                    reference=case.number, note=f"return {outcome}: {note}".strip()[:255],
                                    user_id=user_id, lot_id=receipt.lot_id))
            if outcome != "scrap":
                _publish_back_in_stock(case, line, moves[-1], dest)
        counter = {"sellable": "restocked_quantity", "damaged": "damaged_quantity",
                   "scrap": "scrapped_quantity"}[outcome]
        column = getattr(AfterSalesLine, counter)
        db.session.execute(update(AfterSalesLine).where(AfterSalesLine.id == line.id)
                           .values({counter: column + quantity}).execution_options(synchronize_session=False))
        for item in case.lines:
            db.session.refresh(item)
        if case.status == "received" and all(item.to_inspect == 0 for item in case.lines):
            set_status(case, "inspected")
    return moves


RETURN_TOPIC = "finance.return_to_stock"


def _publish_back_in_stock(case: AfterSalesCase, line: AfterSalesLine, move, dest: Location) -> None:
    """Returned units leave the returns bin for stock (sellable or damaged): finance puts them back
    into inventory at the cost they left with (through the outbox, keyed by the stock move)."""
    publish(RETURN_TOPIC, {"move_id": move.id, "sku_id": line.sku_id, "sku": line.sku.code,
                           "warehouse_id": dest.warehouse_id, "quantity": move.quantity,
                           "order_line_id": line.order_line_id, "reference": case.number,
                           "at": move.created_at.isoformat()}, key=f"stock-move-{move.id}")
