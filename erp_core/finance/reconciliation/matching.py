"""Statement rows against what the books expect. Pure: plain data in, a verdict per row out.

- A sale names an order (by its external id): matched when the amount equals goods + shipping, less
  the refunds the statement does not carry itself; otherwise an amount difference.
- A refund names an after-sales case (platform case id) or an order with refunded cases: matched when
  it equals minus the case's refund; an order with no refund recorded is a difference against 0.
- A bank payment names a purchase order (its number in the reference or description) or a supplier
  whose name it carries with exactly one PO owing that amount: matched when it pays what is due.
- Fees and withdrawals are information (fees are posted on confirming). What names nothing is
  unexpected; an order of the period with no line is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .parsers import Row

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class RefundFact:
    case_id: int
    platform_case_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderFact:
    order_id: int
    external_id: str
    total: Decimal  # goods_total + shipping_fee
    currency: str
    refunds: tuple[RefundFact, ...] = ()


@dataclass(frozen=True, slots=True)
class PoFact:
    po_id: int
    number: str
    supplier_names: tuple[str, ...]  # name, Chinese name, code
    due: Decimal  # received value at landed cost, less what was paid
    currency: str


@dataclass(slots=True)
class Verdict:
    row: Row | None  # None: a missing order
    status: str  # matched | difference | missing | unexpected | info
    reference: str = ""
    expected: Decimal | None = None
    order_id: int | None = None
    case_id: int | None = None
    po_id: int | None = None


@dataclass(slots=True)
class Result:
    verdicts: list[Verdict] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for v in self.verdicts if v.status == status)


def _order_for(row: Row, orders: Mapping[str, OrderFact]) -> tuple[str, OrderFact | None]:
    for ref in row.references:
        if ref in orders:
            return ref, orders[ref]
    return "", None


def _case_for(row: Row, cases: Mapping[str, tuple[OrderFact, RefundFact]]) -> tuple[str, OrderFact | None,
                                                                                 RefundFact | None]:
    for ref in row.references:
        if ref in cases:
            return (ref, *cases[ref])
    return "", None, None


def match_channel(rows: Sequence[Row], orders: Mapping[str, OrderFact], period_orders: Iterable[OrderFact]
                  ) -> Result:
    """Verdicts for a platform statement. `orders`: every order a row may name, by external id (and by
    any other id the rows use for it); `period_orders`: the orders paid in the statement's period."""
    cases = {r.platform_case_id: (o, r) for o in orders.values() for r in o.refunds if r.platform_case_id}
    result = Result()
    refunds_in_file: dict[int, set[int]] = {}  # order id -> case ids a refund row carries
    refund_verdicts: list[Verdict] = []
    for row in rows:
        if row.kind != "refund":
            continue
        ref, order, case = _case_for(row, cases)
        if order is None:
            ref, order = _order_for(row, orders)
            used = refunds_in_file.get(order.order_id, set()) if order else set()
            left = [r for r in (order.refunds if order else ()) if r.case_id not in used]
            case = next((r for r in left if r.amount == -row.amount), left[0] if left else None)
        if order is None:
            refund_verdicts.append(Verdict(row, "unexpected"))
            continue
        expected = -case.amount if case else ZERO
        if case:
            refunds_in_file.setdefault(order.order_id, set()).add(case.case_id)
        status = "matched" if expected == row.amount and row.currency == order.currency else "difference"
        refund_verdicts.append(Verdict(row, status, ref, expected, order.order_id, case.case_id if case else None))
    refund_iter = iter(refund_verdicts)
    seen_orders: set[int] = set()
    for row in rows:
        if row.kind == "refund":
            result.verdicts.append(next(refund_iter))
            continue
        ref, order = _order_for(row, orders)
        if row.kind in ("fee", "withdrawal"):
            result.verdicts.append(Verdict(row, "info", ref, order_id=order.order_id if order else None))
            continue
        if row.kind != "sale" or order is None:
            result.verdicts.append(Verdict(row, "unexpected", ref, order_id=order.order_id if order else None))
            continue
        seen_orders.add(order.order_id)
        carried = refunds_in_file.get(order.order_id, set())
        expected = order.total - sum((r.amount for r in order.refunds if r.case_id not in carried), ZERO)
        status = "matched" if expected == row.amount and row.currency == order.currency else "difference"
        result.verdicts.append(Verdict(row, status, ref, expected, order.order_id))
    for order in period_orders:
        if order.order_id not in seen_orders:
            expected = order.total - sum((r.amount for r in order.refunds), ZERO)
            result.verdicts.append(Verdict(None, "missing", order.external_id, expected, order.order_id))
            seen_orders.add(order.order_id)
    return result


_PO_NUMBER_RE = re.compile(r"PO-\d{4,}", re.IGNORECASE)


def po_numbers(rows: Iterable[Row]) -> set[str]:
    """The PO numbers the rows name (PO-000123 in a reference or description)."""
    return {m.group(0).upper() for row in rows for ref in row.references for m in _PO_NUMBER_RE.finditer(ref)}


def match_bank(rows: Sequence[Row], pos: Sequence[PoFact]) -> Result:
    """Verdicts for a bank statement: payments out against the amount due of purchase orders."""
    by_number = {po.number.upper(): po for po in pos}
    result = Result()
    paid_now: dict[int, Decimal] = {}
    for row in rows:
        if row.kind != "payment":
            result.verdicts.append(Verdict(row, "unexpected"))
            continue
        paid = -row.amount
        po = next((by_number[n.upper()] for ref in row.references for n in _PO_NUMBER_RE.findall(ref)
                   if n.upper() in by_number), None)
        if po is None:
            text = " ".join([row.counterparty, row.description, *row.references]).lower()
            candidates = [p for p in pos if any(name and name.lower() in text for name in p.supplier_names)
                          and p.due - paid_now.get(p.po_id, ZERO) == paid]
            po = candidates[0] if len(candidates) == 1 else None
        if po is None:
            result.verdicts.append(Verdict(row, "unexpected"))
            continue
        due = po.due - paid_now.get(po.po_id, ZERO)
        paid_now[po.po_id] = paid_now.get(po.po_id, ZERO) + paid
        status = "matched" if due == paid and row.currency == po.currency else "difference"
        result.verdicts.append(Verdict(row, status, po.number, -due, po_id=po.po_id))
    return result
