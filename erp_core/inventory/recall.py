"""Recall (召回) of a lot: hold the lot (held lots are never allocated: `sellable_lot`), release the
hold, hold the open orders that reserve it (the order workflow's hold releases their reservations,
so they can be allocated again from other lots later), and the list of affected orders as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..db import atomic, locked
from ..errors import DomainError, NotFound, ValidationFailed
from ..exports import csv_bytes
from .lot_trace import LotOrder, lot_orders
from .models import Lot


def _lot(lot_id: int) -> Lot:
    lot = locked(Lot, lot_id)
    if lot is None:
        raise NotFound("no such lot", code="unknown_lot", lot_id=lot_id)
    return lot


def hold_lot(lot_id: int, reason: str) -> Lot:
    """Put a lot on hold with a reason people can read. Locks the lot row. Units already reserved
    stay reserved (see `hold_orders`); no new reservation takes the lot."""
    text = " ".join(reason.split())
    if not text:
        raise ValidationFailed("a hold needs a reason", code="reason_required")
    with atomic():
        lot = _lot(lot_id)
        lot.on_hold, lot.hold_reason = True, text[:255]
    return lot


def release_lot(lot_id: int) -> Lot:
    """Lift the hold: the lot's free units can be allocated again. Locks the lot row."""
    with atomic():
        lot = _lot(lot_id)
        lot.on_hold, lot.hold_reason = False, ""
    return lot


@dataclass
class HoldOutcome:
    held: list[str] = field(default_factory=list)
    refused: list[tuple[str, DomainError]] = field(default_factory=list)


def hold_orders(lot_id: int, reason: str, *, warehouse_ids: set[int] | None = None,
                user_id: int | None = None) -> HoldOutcome:
    """Hold every open, unpicked order that reserves units of the lot (one transaction per order,
    through `hold_order`, which locks the order and releases its reservations). An order that moved
    on meanwhile is reported, not fatal."""
    from ..orders.workflow import hold_order

    if not " ".join(reason.split()):
        raise ValidationFailed("a hold needs a reason", code="reason_required")
    outcome = HoldOutcome()
    for order in lot_orders(lot_id, warehouse_ids):
        if not order.holdable or not order.reserved:
            continue
        try:
            hold_order(order.order_id, reason, user_id=user_id)
        except DomainError as error:
            outcome.refused.append((order.external_id, error))
        else:
            outcome.held.append(order.external_id)
    return outcome


RECALL_COLUMNS = ("order", "channel", "status", "warehouse", "customer", "ship_name", "ship_phone", "ship_city",
                  "units_taken", "units_reserved", "locations")


def recall_csv(orders: list[LotOrder], headers: tuple[str, ...] = RECALL_COLUMNS) -> bytes:
    """The affected orders as CSV (UTF-8 with a BOM for Excel, CRLF), one order a row."""
    return csv_bytes(headers, ((o.external_id, o.channel_code, o.status, o.warehouse_code or "", o.customer_name,
                                o.ship_name, o.ship_phone, o.ship_city, o.taken, o.reserved, " ".join(o.locations))
                               for o in orders))
