"""After-sales rules (售后), pure: which kinds of case there are, where each goes after approval, how
much may still be returned or refunded, and how an inspected quantity is taken from the receipts.

No Flask, no database: the services read the rows and hand plain numbers in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

# Types as the platforms have them.
KINDS = ("refund_only", "return_refund", "exchange", "resend", "intercept")
# The kinds whose lines are units that were shipped (returned, exchanged or sent again).
GOODS_KINDS = frozenset({"return_refund", "exchange", "resend"})
# The kinds where the units come back to the warehouse.
RETURN_KINDS = frozenset({"return_refund", "exchange"})
# The kinds that create a new order (the replacement or the missing items sent again).
NEW_ORDER_KINDS = frozenset({"exchange", "resend"})

CASE_STATUSES = ("requested", "approved", "awaiting_return", "received", "inspected", "refunded", "completed",
                 "rejected", "cancelled")
TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"awaiting_return", "refunded", "completed", "cancelled"}),
    "awaiting_return": frozenset({"received", "cancelled"}),
    "received": frozenset({"inspected"}),
    "inspected": frozenset({"refunded", "completed"}),
    "refunded": frozenset(),
    "completed": frozenset(),
    "rejected": frozenset(),
    "cancelled": frozenset(),
}
# Cases that no longer claim anything of the order (their quantities and refund are free again).
VOID_STATUSES = frozenset({"rejected", "cancelled"})
FINAL_STATUSES = frozenset({"refunded", "completed", "rejected", "cancelled"})
OPEN_STATUSES = frozenset(CASE_STATUSES) - FINAL_STATUSES

REASON_CODES = ("quality", "damaged", "wrong_item", "not_as_described", "missing_item", "size_fit",
                "changed_mind", "not_delivered", "other")
OUTCOMES = ("sellable", "damaged", "scrap")


def status_after_approval(kind: str) -> str:
    """Goods coming back wait for them; the others stay approved until refunded or completed."""
    return "awaiting_return" if kind in RETURN_KINDS else "approved"


def may_refund(kind: str, status: str) -> bool:
    """A refund closes a refund-only or intercept case once approved, a return once inspected."""
    if kind in ("refund_only", "intercept"):
        return status == "approved"
    return kind == "return_refund" and status == "inspected"


def may_complete(kind: str, status: str) -> bool:
    """An exchange completes once inspected, a resend (or an intercept without refund) once approved."""
    if kind == "exchange":
        return status == "inspected"
    return kind in ("resend", "intercept") and status == "approved"


@dataclass(frozen=True)
class LineLimit:
    """What an order line allows a case: shipped (or ordered), minus what other cases claim."""

    order_line_id: int
    sku: str
    allowed: int
    claimed: int

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.claimed)


@dataclass(frozen=True)
class OverLimit:
    order_line_id: int
    sku: str
    wanted: int
    left: int


def over_limits(wanted: Mapping[int, int], limits: Mapping[int, LineLimit]) -> list[OverLimit]:
    """The lines asking for more than is left (a line not in `limits` has nothing left)."""
    found = []
    for line_id, qty in sorted(wanted.items()):
        limit = limits.get(line_id)
        left = limit.left if limit else 0
        if qty > left:
            found.append(OverLimit(line_id, limit.sku if limit else str(line_id), qty, left))
    return found


def refundable(paid: Decimal, refunded_elsewhere: Decimal) -> Decimal:
    """What may still be refunded of an order: what was paid (goods + shipping) less other refunds."""
    return max(Decimal("0"), Decimal(paid) - Decimal(refunded_elsewhere)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OpenReceipt:
    """Units of a case line received into a bin (of one lot) and not inspected yet."""

    receipt_id: int
    lot_id: int | None
    open_quantity: int


def take_from_receipts(receipts: Iterable[OpenReceipt], quantity: int,
                       lot_id: int | None = None, *, any_lot: bool = True) -> list[tuple[int, int]]:
    """[(receipt id, units)] covering `quantity`, oldest receipt first (of `lot_id` unless `any_lot`);
    empty when the receipts hold fewer."""
    chosen: list[tuple[int, int]] = []
    need = quantity
    for receipt in receipts:
        if need <= 0:
            break
        if not any_lot and receipt.lot_id != lot_id:
            continue
        take = min(need, receipt.open_quantity)
        if take > 0:
            chosen.append((receipt.receipt_id, take))
            need -= take
    return chosen if need == 0 else []


def lot_to_receive(shipped: Mapping[int | None, int], received: Mapping[int | None, int],
                   chosen: int | None = None) -> int | None | str:
    """The lot a returned unit goes back to: the one chosen, else the only shipped lot with units
    not returned yet; "ask" when several could be it, "none" when none can."""
    open_lots = [lot for lot, units in shipped.items() if units - received.get(lot, 0) > 0]
    if chosen is not None:
        return chosen if chosen in open_lots else "none"
    if len(open_lots) == 1:
        return open_lots[0]
    return "ask" if open_lots else "none"
