"""Purchasing's arithmetic as plain functions: purchase suggestions, landed cost, over-receipt limits.

Pure: dataclasses in, numbers out; neither Flask nor the database (the services gather the figures).
Money and rates are Decimal; quantities whole units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")  # landed unit costs keep four places (a freight share per unit is small)
RATE_PLACES = Decimal("0.0001")


# --- Purchase suggestions -------------------------------------------------------------------------

@dataclass(frozen=True)
class SuggestionInput:
    """What one SKU in one warehouse looks like to the buyer.

    `shipped` is the units shipped to customers from the warehouse's locations in the last
    `window_days` (stock moves to the CUSTOMER location): demand as it left, not as it was ordered.
    """

    sku_id: int
    shipped: int
    window_days: int
    lead_time_days: int
    safety_days: int
    cover_days: int
    on_hand: int
    reserved: int
    in_transit: int
    on_order: int  # open PO lines not yet received
    pack_size: int = 1
    moq: int = 1


@dataclass(frozen=True)
class Suggestion:
    sku_id: int
    velocity: Decimal     # units a day
    days: int             # lead time + safety + target cover
    demand: Decimal       # velocity x days
    position: int         # on hand - reserved + in transit + on order
    need: Decimal         # demand - position (may be negative)
    quantity: int         # what to order: need rounded up to packs, at least the MOQ; 0 when need <= 0
    rounded_by: str       # "" | "pack" | "moq": what raised the quantity above the need


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def suggest(given: SuggestionInput) -> Suggestion:
    """need = velocity x (lead + safety + cover) - (on hand - reserved + in transit + on order);
    ordered in whole packs, at least the MOQ (itself rounded up to whole packs); nothing when need <= 0."""
    if given.window_days <= 0:
        raise ValueError("the sales window must be at least one day")
    pack, moq = max(1, given.pack_size), max(1, given.moq)
    velocity = Decimal(given.shipped) / Decimal(given.window_days)
    days = given.lead_time_days + given.safety_days + given.cover_days
    demand = velocity * days
    position = given.on_hand - given.reserved + given.in_transit + given.on_order
    need = demand - position
    quantity, rounded_by = 0, ""
    if need > 0:
        units = _ceil(need)
        quantity = _ceil(Decimal(units) / pack) * pack
        rounded_by = "pack" if quantity > units else ""
        if quantity < moq:
            quantity, rounded_by = _ceil(Decimal(moq) / pack) * pack, "moq"
    return Suggestion(given.sku_id, velocity.quantize(RATE_PLACES, ROUND_HALF_UP), days,
                      demand.quantize(CENT, ROUND_HALF_UP), position, need.quantize(CENT, ROUND_HALF_UP), quantity,
                      rounded_by)


# --- Landed cost ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostLine:
    line_id: int
    quantity: int
    unit_price: Decimal


def landed_unit_costs(lines: Sequence[CostLine], freight: Decimal) -> dict[int, Decimal]:
    """Each line's landed unit cost: its unit price plus its share of the freight per unit, the share
    being the line's value over the order's value (by value, so a cheap bulky line does not carry
    the freight of a dear one). With no value at all, the freight is spread by units."""
    total_value = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    total_units = sum(line.quantity for line in lines)
    costs: dict[int, Decimal] = {}
    for line in lines:
        if line.quantity <= 0:
            costs[line.line_id] = line.unit_price.quantize(COST_PLACES)
            continue
        if total_value > 0:
            share = freight * (line.unit_price * line.quantity) / total_value
        else:
            share = freight * line.quantity / total_units if total_units else Decimal("0")
        costs[line.line_id] = (line.unit_price + share / line.quantity).quantize(COST_PLACES, ROUND_HALF_UP)
    return costs


# --- Receipts -------------------------------------------------------------------------------------

def receipt_limit(ordered: int, tolerance_pct: int) -> int:
    """The most units of a line that may be received: ordered x (1 + tolerance), rounded down."""
    return (ordered * (100 + max(0, tolerance_pct))) // 100


def status_after_receipt(lines: Sequence[tuple[int, int]]) -> str:
    """received when every line (ordered, received) has all it ordered, else partially_received."""
    return "received" if all(received >= ordered for ordered, received in lines) else "partially_received"


def order_total(lines: Sequence[tuple[int, Decimal]]) -> Decimal:
    """The goods value of (quantity, unit price) lines, to the cent."""
    return sum((Decimal(q) * p for q, p in lines), Decimal("0")).quantize(CENT, ROUND_HALF_UP)
