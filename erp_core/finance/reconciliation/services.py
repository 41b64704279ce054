"""Reconciliation use-cases: import a statement (parse, match, store), mark a line reconciled, confirm.

Each service is one unit of work. Importing stores nothing unless every row of the file reads; the
statement is then `open`, or `reconciled` at once when every line matched. Confirming posts one
`finance.fee` message per fee line and one `finance.supplier_payment` per bank line paid to a PO,
keyed by the statement line id, under the statement's row lock: two people confirming at once give
one set of messages and one clean refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select

from ...aftersales.models import AfterSalesCase
from ...channels.models import Channel
from ...db import atomic, locked
from ...errors import Conflict, NotFound, ValidationFailed
from ...extensions import db
from ...fileimport.errors import RowError
from ...fileimport.values import SHANGHAI
from ...models_base import utcnow
from ...orders.models import Order
from ...outbox import OutboxMessage, publish
from ...purchasing.models import PurchaseOrder, PurchaseReceipt
from ...statemachine import compare_and_set
from . import matching
from .models import FORMATS, TRANSITIONS, Statement, StatementLine
from .parsers import Parsed, StatementRefused, parse_statement

FEE_TOPIC = "finance.fee"
SUPPLIER_PAYMENT_TOPIC = "finance.supplier_payment"
# Which channels each platform format belongs to (the generic template fits any channel).
FORMAT_PLATFORMS = {"alipay": ("taobao", "tmall"), "shopify": ("shopify",)}
_NOT_SALES = ("cancelled", "rejected")
_CENT = Decimal("0.01")
_CHUNK = 500


class StatementRejected(ValidationFailed):
    """The file, or some of its rows, cannot be read: nothing was stored. `errors` say where."""

    def __init__(self, message: str, errors: Sequence[RowError], *, code: str, **details) -> None:
        super().__init__(message, code=code, **details)
        self.errors = list(errors)
        self.details["errors"] = [{"file": e.file, "line": e.line, "column": e.column, "code": e.code,
                                   "reason": e.reason, "value": e.value} for e in self.errors]


def get_statement(statement_id: int) -> Statement:
    statement = db.session.get(Statement, statement_id)
    if statement is None:
        raise NotFound("no such statement", code="unknown_statement", statement_id=statement_id)
    return statement


def _channel_for(fmt: str, channel_id: int | None) -> Channel | None:
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown statement format {fmt}", code="unknown_statement_format", format=fmt)
    if fmt == "bank":
        return None
    channel = db.session.get(Channel, channel_id) if channel_id else None
    if channel is None:
        raise ValidationFailed("choose the channel the statement belongs to", code="statement_channel_required")
    allowed = FORMAT_PLATFORMS.get(fmt)
    if allowed and channel.platform not in allowed:
        raise ValidationFailed(f"a {fmt} statement does not belong to channel {channel.code}",
                               code="statement_channel_mismatch", format=fmt, channel=channel.code)
    return channel


def _parse(fmt: str, file_name: str, data: bytes) -> Parsed:
    try:
        parsed = parse_statement(fmt, file_name, data)
    except StatementRefused as refusal:
        message = f"{file_name} cannot be read as a {fmt} statement ({refusal.code})"
        if refusal.code == "bad_encoding":
            raise StatementRejected(message, [refusal.error], code="statement_bad_encoding", file=file_name,
                                    format=fmt) from refusal
        if refusal.code == "wrong_format":
            raise StatementRejected(message, [refusal.error], code="statement_wrong_format", file=file_name,
                                    format=fmt) from refusal
        raise StatementRejected(message, [refusal.error], code="statement_unreadable", file=file_name,
                                format=fmt, reason=refusal.error.reason) from refusal
    if parsed.errors:
        raise StatementRejected(f"{len(parsed.errors)} problems in {file_name}: nothing was imported",
                                parsed.errors, code="statement_bad_rows", file=file_name, count=len(parsed.errors))
    return parsed


def import_statement(fmt: str, file_name: str, data: bytes, *, channel_id: int | None = None,
                     user_id: int | None = None) -> Statement:
    """Read, match and store a statement. Refused with every bad row (statement_bad_rows), or for a
    file not in the format (statement_wrong_format / statement_bad_encoding); nothing is stored then.
    The same file twice is refused (statement_already_imported)."""
    with atomic():
        channel = _channel_for(fmt, channel_id)
        parsed = _parse(fmt, file_name, data)
        digest = hashlib.sha256(data).hexdigest()
        existing = db.session.scalar(select(Statement.id).filter_by(format=fmt, file_sha256=digest))
        if existing is not None:
            raise Conflict(f"{file_name} was imported already (statement #{existing})",
                           code="statement_already_imported", statement_id=existing, file=file_name)
        if channel is None:
            result = matching.match_bank(parsed.rows, _po_facts(matching.po_numbers(parsed.rows)))
        else:
            refs = {ref for row in parsed.rows for ref in row.references}
            result = matching.match_channel(parsed.rows, _order_facts(channel.id, refs),
                                            _period_orders(channel.id, parsed))
        statement = Statement(format=fmt, channel_id=channel.id if channel else None, file_name=file_name[:255],
                              file_sha256=digest, currency=parsed.currency, period_start=parsed.period_start,
                              period_end=parsed.period_end, status="open", created_by_id=user_id)
        db.session.add(statement)
        db.session.flush()
        db.session.add_all(_line(statement, verdict, parsed.currency) for verdict in result.verdicts)
        db.session.flush()
        if all(v.status in ("matched", "info") for v in result.verdicts):
            compare_and_set(statement, "reconciled", TRANSITIONS, what=f"statement #{statement.id}",
                            code="statement_status_conflict")
    return statement


def _line(statement: Statement, verdict: matching.Verdict, currency: str) -> StatementLine:
    row = verdict.row
    line = StatementLine(statement_id=statement.id, status=verdict.status, reference=verdict.reference[:120],
                         expected_amount=verdict.expected, order_id=verdict.order_id, case_id=verdict.case_id,
                         purchase_order_id=verdict.po_id, reconcile_note="")
    if row is None:  # a missing order: nothing in the file
        line.kind, line.amount, line.currency = "sale", Decimal("0"), currency
        line.fee, line.fee_kind = Decimal("0"), ""
        return line
    line.line_no, line.occurred_at, line.kind, line.fee_kind = row.line, row.occurred_at, row.kind, row.fee_kind
    line.amount, line.fee, line.currency = row.amount, row.fee, row.currency
    line.external_ref, line.description, line.counterparty = row.external_ref, row.description, row.counterparty
    return line


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _facts(orders: Iterable[Order]) -> list[matching.OrderFact]:
    orders = list(orders)
    refunds: dict[int, list[matching.RefundFact]] = {}
    ids = [o.id for o in orders]
    for start in range(0, len(ids), _CHUNK):
        for refunded in db.session.scalars(select(AfterSalesCase).where(
                AfterSalesCase.order_id.in_(ids[start:start + _CHUNK]), AfterSalesCase.status == "refunded")
                .order_by(AfterSalesCase.id)):
            refunds.setdefault(refunded.order_id, []).append(matching.RefundFact(
                refunded.id, refunded.platform_case_id or "", Decimal(refunded.refund_amount)))
    return [matching.OrderFact(o.id, o.external_id, Decimal(o.goods_total or 0) + Decimal(o.shipping_fee or 0),
                               o.currency, tuple(refunds.get(o.id, ()))) for o in orders]


def _order_facts(channel_id: int, refs: set[str]) -> dict[str, matching.OrderFact]:
    found: dict[int, Order] = {}
    for chunk in _chunks(refs):
        for order in db.session.scalars(select(Order).where(Order.channel_id == channel_id,
                                                            Order.external_id.in_(chunk))):
            found[order.id] = order
        case_orders = select(AfterSalesCase.order_id).where(AfterSalesCase.channel_id == channel_id,
                                                            AfterSalesCase.platform_case_id.in_(chunk))
        for order in db.session.scalars(select(Order).where(Order.id.in_(case_orders))):
            found[order.id] = order
    return {fact.external_id: fact for fact in _facts(found.values())}


def _period_orders(channel_id: int, parsed: Parsed) -> list[matching.OrderFact]:
    if parsed.period_start is None or parsed.period_end is None:
        return []
    orders = db.session.scalars(select(Order).where(
        Order.channel_id == channel_id, Order.paid_at >= parsed.period_start, Order.paid_at < parsed.period_end,
        Order.status.not_in(_NOT_SALES), Order.merged_into_id.is_(None)).order_by(Order.id))
    return _facts(orders)


def _po_facts(numbers: set[str]) -> list[matching.PoFact]:
    """POs with something received: the received value at landed cost, less payments confirmed."""
    received = dict(db.session.execute(select(PurchaseReceipt.order_id, func.sum(
        PurchaseReceipt.quantity * PurchaseReceipt.landed_unit_cost)).group_by(PurchaseReceipt.order_id)).all())
    paid = dict(db.session.execute(
        select(StatementLine.purchase_order_id, func.sum(StatementLine.amount))
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(Statement.status == "confirmed", StatementLine.purchase_order_id.is_not(None))
        .group_by(StatementLine.purchase_order_id)).all())
    ids = set(received) | {po_id for (po_id,) in db.session.execute(
        select(PurchaseOrder.id).where(func.upper(PurchaseOrder.number).in_(sorted(numbers) or [""])))}
    facts = []
    for po in db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.id.in_(ids)).order_by(PurchaseOrder.id)):
        value = Decimal(received.get(po.id) or 0).quantize(_CENT)
        due = value + Decimal(paid.get(po.id) or 0)  # payments are negative amounts
        names = (po.supplier.name, po.supplier.name_zh, po.supplier.code)
        facts.append(matching.PoFact(po.id, po.number, tuple(n for n in names if n), due, po.currency))
    return facts


def lines_of(statement_id: int, status: str | None = None) -> list[StatementLine]:
    stmt = select(StatementLine).where(StatementLine.statement_id == statement_id)
    if status == "unresolved":
        stmt = stmt.where(StatementLine.status.in_(("difference", "missing", "unexpected")),
                          StatementLine.reconciled_at.is_(None))
    elif status:
        stmt = stmt.where(StatementLine.status == status)
    return list(db.session.scalars(stmt.order_by(StatementLine.line_no.is_(None), StatementLine.line_no,
                                                 StatementLine.id)))


def line_counts(statement_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per statement: lines by status, and `unresolved` (differences, missing, unexpected not marked)."""
    counts: dict[int, dict[str, int]] = {sid: {} for sid in statement_ids}
    if not statement_ids:
        return counts
    unresolved = case((StatementLine.status.in_(("difference", "missing", "unexpected"))
                       & StatementLine.reconciled_at.is_(None), 1), else_=0)
    rows = db.session.execute(select(StatementLine.statement_id, StatementLine.status, func.count(),
                                     func.sum(unresolved))
                              .where(StatementLine.statement_id.in_(statement_ids))
                              .group_by(StatementLine.statement_id, StatementLine.status))
    for sid, status, n, open_n in rows:
        counts[sid][status] = n
        counts[sid]["unresolved"] = counts[sid].get("unresolved", 0) + int(open_n or 0)
    return counts


def mark_reconciled(statement_id: int, line_id: int, note: str, *, user_id: int | None = None) -> StatementLine:
    """A person explains a line (a difference, a missing order, an unexpected line): who, when, why.
    The statement becomes `reconciled` when no line is left unexplained. Locks: the statement row."""
    note = (note or "").strip()
    with atomic():
        statement = locked(Statement, statement_id)
        if statement is None:
            raise NotFound("no such statement", code="unknown_statement", statement_id=statement_id)
        line = db.session.get(StatementLine, line_id)
        if line is None or line.statement_id != statement.id:
            raise NotFound("no such statement line", code="unknown_statement_line", line_id=line_id)
        if statement.status == "confirmed":
            raise Conflict(f"statement #{statement.id} is confirmed", code="statement_confirmed",
                           statement_id=statement.id)
        if line.reconciled_at is not None:
            raise Conflict("this line is marked reconciled already", code="line_already_reconciled", line_id=line.id)
        if not note or len(note) > 500:
            raise ValidationFailed("say why the line is reconciled (1 to 500 characters)",
                                   code="reconcile_note_required", max=500)
        line.reconciled_at, line.reconciled_by_id, line.reconcile_note = utcnow(), user_id, note
        db.session.flush()
        if statement.status == "open" and not lines_of(statement.id, "unresolved"):
            compare_and_set(statement, "reconciled", TRANSITIONS, what=f"statement #{statement.id}",
                            code="statement_status_conflict")
    return line


def confirm_statement(statement_id: int, *, user_id: int | None = None) -> Statement:
    """Confirm a reconciled statement: post its fees (`finance.fee`) and, for a bank statement, its
    payments to POs (`finance.supplier_payment`), each keyed by the line id and published once.
    Locks: the statement row; a second confirmation is refused (statement_status_conflict)."""
    with atomic():
        statement = locked(Statement, statement_id)
        if statement is None:
            raise NotFound("no such statement", code="unknown_statement", statement_id=statement_id)
        if statement.status == "open":
            left = len(lines_of(statement.id, "unresolved"))
            raise Conflict(f"{left} lines are not reconciled yet", code="statement_not_reconciled", count=left)
        compare_and_set(statement, "confirmed", TRANSITIONS, what=f"statement #{statement.id}",
                        code="statement_status_conflict", confirmed_at=utcnow(), confirmed_by_id=user_id)
        for line in lines_of(statement.id):
            _post(statement, line)
    return statement


def _post(statement: Statement, line: StatementLine) -> None:
    day = (line.occurred_at or statement.created_at).astimezone(SHANGHAI).date().isoformat()
    if statement.format == "bank":
        if line.purchase_order_id is None or line.kind != "payment" or not line.resolved:
            return
        po = line.purchase_order
        _publish_once(SUPPLIER_PAYMENT_TOPIC, f"supplier-payment:{line.id}", {
            "date": day, "supplier_code": po.supplier.code, "purchase_order": po.number,
            "amount": str(-line.amount), "currency": line.currency})
        return
    amount = (-line.amount + line.fee) if line.kind == "fee" else line.fee
    if not amount:
        return
    _publish_once(FEE_TOPIC, f"fee:{line.id}", {
        "date": day, "amount": str(amount), "currency": line.currency, "channel_id": statement.channel_id,
        "order_id": line.order_id, "kind": line.fee_kind or "other", "source": statement.format})


def _publish_once(topic: str, key: str, payload: dict) -> None:
    if db.session.scalar(select(OutboxMessage.id).filter_by(topic=topic, key=key)) is not None:
        return
    publish(topic, {"key": key, **payload}, key=key)


@dataclass(frozen=True, slots=True)
class Unreconciled:
    statements: int  # open statements
    lines: int  # their lines still unexplained
    difference: Decimal  # the sum of those lines' differences (actual - expected)


def unreconciled_items() -> Unreconciled:
    """What the finance home shows: statements still open and their unexplained lines."""
    open_lines = (select(func.count(), func.coalesce(func.sum(StatementLine.amount - func.coalesce(
        StatementLine.expected_amount, 0)), 0))
                  .join(Statement, Statement.id == StatementLine.statement_id)
                  .where(Statement.status == "open", StatementLine.reconciled_at.is_(None),
                         StatementLine.status.in_(("difference", "missing", "unexpected"))))
    lines, difference = db.session.execute(open_lines).one()
    statements = db.session.scalar(select(func.count()).select_from(Statement).where(Statement.status == "open"))
    return Unreconciled(int(statements or 0), int(lines or 0), Decimal(difference or 0).quantize(_CENT))
