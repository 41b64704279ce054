"""Automatic postings: the outbox handlers of the finance topics, and `post_pending()` that sends them.

Each handler does all of its work in one unit of work (costs, COGS lines, journal entries) and is
idempotent: its rows and entries are keyed by the message key, so a message handled twice (a retry,
or two senders at once) posts once. A refusal (a closed period, a missing rate) leaves the message
pending with the refusal's code in `last_error`, retried by the next send, then `failed` after
MAX_ATTEMPTS: the "posting errors" page lists them and can retry after the cause is fixed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from ..catalog.models import Sku
from ..db import atomic
from ..errors import DomainError, NotFound
from ..extensions import db
from ..inventory.models import Warehouse
from ..orders.models import Order, OrderLine
from ..outbox import OutboxMessage, register_handler, send_pending
from ..purchasing.models import PurchaseReceipt
from . import costing, domain
from .currency import base_currency, rate_on
from .journal import JournalLineIn, account_for, find_entry, post_entry
from .models import CostOfSale, JournalEntry, JournalLine, PlatformFee, ShipmentCharge, SupplierPayment

ZERO = Decimal("0")
ADJUSTMENT_TOPIC = "finance.stock_adjustment"
STOCK_RECEIPT_TOPIC = "finance.stock_receipt"
RETURN_TOPIC = "finance.return_to_stock"
SUPPLIER_PAYMENT_TOPIC = "finance.supplier_payment"


def _line(role: str, debit=ZERO, credit=ZERO, memo: str = "", **base) -> JournalLineIn:
    return JournalLineIn(account_for(role), domain.money(debit), domain.money(credit), memo, **base)


def _pair(debit_role: str, credit_role: str, amount: Decimal, memo: str = "") -> list[JournalLineIn]:
    """Dr one account / Cr another; a negative amount swaps the sides."""
    if amount < 0:
        debit_role, credit_role, amount = credit_role, debit_role, -amount
    return [_line(debit_role, debit=amount, memo=memo), _line(credit_role, credit=amount, memo=memo)]


def _moment(text: str | None, fallback: datetime) -> datetime:
    return datetime.fromisoformat(text) if text else fallback


def _booked_rate(reference: str, role: str, side: str, fallback: Decimal) -> Decimal:
    """The average rate at which `reference`'s amounts were booked on the account (the receivable of
    an order, the payables of a PO): base / foreign over its lines; `fallback` when none."""
    column, base = (JournalLine.debit, JournalLine.base_debit) if side == "debit" else \
        (JournalLine.credit, JournalLine.base_credit)
    amount, based = db.session.execute(
        select(func.coalesce(func.sum(column), 0), func.coalesce(func.sum(base), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.reference == reference, JournalLine.account.has(code=account_for(role)))).one()
    return Decimal(based) / Decimal(amount) if Decimal(amount) else fallback


def _settlement(amount: Decimal, currency: str, day: date, booked: Decimal, *, settle_role: str, booked_role: str,
                settle_is_debit: bool, memo: str) -> list[JournalLineIn]:
    """A foreign amount booked at one rate and settled at the day's: the settling side at the day's
    rate, the booked side at the booked rate, the difference to the FX account (realised 汇兑损益)."""
    now = rate_on(currency, day)
    settled, carried = domain.to_base(amount, now), domain.to_base(amount, booked)
    if settle_is_debit:
        lines = [_line(settle_role, debit=amount, memo=memo, base_debit=settled),
                 _line(booked_role, credit=amount, memo=memo, base_credit=carried)]
        diff = settled - carried  # more debited than credited: credit the difference
    else:
        lines = [_line(booked_role, debit=amount, memo=memo, base_debit=carried),
                 _line(settle_role, credit=amount, memo=memo, base_credit=settled)]
        diff = carried - settled
    if diff > 0:
        lines.append(_line("fx", memo="FX", base_credit=diff))
    elif diff < 0:
        lines.append(_line("fx", memo="FX", base_debit=-diff))
    return lines


# --- Sales and their cost -------------------------------------------------------------------------

def line_values(order: Order) -> dict[int, Decimal]:
    """What one unit of each order line sells for: its price, or for a kit's component line an equal
    share of the kit line's value (the kit line is sold, its components ship)."""
    values = {line.id: Decimal(line.unit_price) for line in order.lines if line.parent_line_id is None}
    components: dict[int, list[OrderLine]] = {}
    for line in order.lines:
        if line.parent_line_id is not None:
            components.setdefault(line.parent_line_id, []).append(line)
    for parent_id, parts in components.items():
        parent = next(x for x in order.lines if x.id == parent_id)
        for part in parts:
            values[part.id] = Decimal(parent.unit_price) * parent.quantity / len(parts) / part.quantity
    return values


def shipped(message: OutboxMessage) -> None:
    """finance.shipment: COGS per shipped line at the moving average of the moment, the shipment's
    revenue, discount share and shipping charged; entries Dr receivable / Cr revenue (+ shipping
    income) in the order's currency and Dr COGS / Cr inventory in base currency."""
    data = message.data()
    key = message.key or f"finance:{data['shipment']}"
    with atomic():
        if db.session.scalar(select(ShipmentCharge.id).filter_by(message_key=key)) is not None:
            return
        order = db.session.get(Order, data["order_id"])
        if order is None:
            raise NotFound("the shipped order is gone", code="unknown_order")
        at = _moment(data.get("shipped_at"), message.created_at)
        day, wh = costing.local_day(at), int(data["warehouse_id"])
        values = line_values(order)
        sold = [x for x in order.lines if x.parent_line_id is None and not x.cancelled]
        order_goods = domain.money(sum((values[x.id] * x.quantity for x in sold), ZERO))
        goods, cost = ZERO, ZERO
        for item in data["lines"]:
            unit = costing.cost_at(item["sku_id"], wh, at)
            value = domain.money(values.get(item["order_line_id"], ZERO))
            total = domain.money(unit * item["quantity"])
            db.session.add(CostOfSale(message_key=key, shipment=data["shipment"], order_id=order.id,
                                      order_line_id=item["order_line_id"], lot_key=item.get("lot_id") or 0,
                                      sku_id=item["sku_id"], warehouse_id=wh, channel_id=order.channel_id,
                                      shipped_at=at, quantity=item["quantity"], unit_price=value, unit_cost=unit,
                                      total=total, currency=order.currency))
            goods += value * item["quantity"]
            cost += total
        goods = domain.money(goods)
        discount = domain.share(domain.discount_of(order.goods_total, [values[x.id] * x.quantity for x in sold]),
                                goods, order_goods)
        first = db.session.scalar(select(ShipmentCharge.id).filter_by(order_id=order.id).limit(1)) is None
        charged = domain.money(order.shipping_fee or 0) if first else ZERO
        db.session.add(ShipmentCharge(message_key=key, shipment=data["shipment"], order_id=order.id,
                                      channel_id=order.channel_id, shipped_at=at, currency=order.currency, goods=goods,
                                      discount=discount, shipping_charged=charged,
                                      shipping_cost=domain.money(data.get("shipping_cost") or 0)))
        db.session.flush()
        memo = f"{data['shipment']} {order.external_id}"
        if goods - discount + charged > 0:
            lines = [_line("receivable", debit=goods - discount + charged, memo=memo),
                     _line("revenue", credit=goods - discount, memo=memo)]
            if charged:
                lines.append(_line("shipping_income", credit=charged, memo=memo))
            post_entry(day, lines, source="finance.shipment", source_key=f"{key}:sale", memo=memo,
                       currency=order.currency, reference=f"order:{order.id}")
        if cost > 0:
            post_entry(day, _pair("cogs", "inventory", cost, memo), source="finance.shipment",
                       source_key=f"{key}:cogs", memo=memo, currency=base_currency(), reference=f"order:{order.id}")


def refunded(message: OutboxMessage) -> None:
    """finance.refund: Dr sales returns (or revenue) / Cr receivable; in a foreign currency the
    receivable leaves at the rate the order's sale was booked at, the difference is realised FX."""
    data = message.data()
    key = data.get("key") or message.key
    amount = domain.money(data["amount"])
    if amount <= 0 or find_entry("finance.refund", key) is not None:
        return
    day, currency = costing.local_day(message.created_at), data.get("currency") or base_currency()
    reference = f"order:{data['order_id']}"
    memo = f"{data.get('case', '')} {data.get('order_number', '')}".strip()
    booked = _booked_rate(reference, "receivable", "debit", rate_on(currency, day))
    lines = _settlement(amount, currency, day, booked, settle_role="returns", booked_role="receivable",
                        settle_is_debit=True, memo=memo)
    post_entry(day, lines, source="finance.refund", source_key=key, memo=memo, currency=currency, reference=reference)


def fee(message: OutboxMessage) -> None:
    """finance.fee (from reconciliation): Dr selling expenses / Cr receivable (the platform kept it)."""
    data = message.data()
    key = data.get("key") or message.key
    day = date.fromisoformat(str(data["date"])[:10])
    amount, currency = domain.money(data["amount"]), data.get("currency") or base_currency()
    with atomic():
        if db.session.scalar(select(PlatformFee.id).filter_by(key=key)) is not None:
            return
        db.session.add(PlatformFee(key=key, day=day, amount=amount, currency=currency,
                                   channel_id=data.get("channel_id"), order_id=data.get("order_id"),
                                   kind=str(data.get("kind") or "other")[:20]))
        db.session.flush()
        if amount:
            memo = f"{data.get('kind', 'fee')} {data.get('source', '')}".strip()
            post_entry(day, _pair("selling", "receivable", amount, memo), source="finance.fee", source_key=key,
                       memo=memo, currency=currency,
                       reference=f"order:{data['order_id']}" if data.get("order_id") else "")


# --- Purchases and payments -----------------------------------------------------------------------

def received(message: OutboxMessage) -> None:
    """purchasing.receipt: the moving average at the landed unit cost (in base currency), and
    Dr inventory / Cr payables at landed cost in the PO's currency."""
    data = message.data()
    key = message.key or f"purchase-receipt-{data['receipt_id']}"
    receipt = db.session.get(PurchaseReceipt, data["receipt_id"])
    at = receipt.received_at if receipt is not None else _moment(data.get("received_at"), message.created_at)
    day, currency = costing.local_day(at), data.get("currency") or base_currency()
    sku_id = db.session.scalar(select(Sku.id).filter_by(code=data["sku"]))
    wh_id = db.session.scalar(select(Warehouse.id).filter_by(code=data["warehouse"]))
    rate = rate_on(currency, day)
    landed = Decimal(data["landed_unit_cost"])
    with atomic():
        costing.arrive(sku_id, wh_id, int(data["quantity"]), domain.unit_cost(landed * rate), at=at,
                       quantity_before=costing.ledger_quantity(sku_id, wh_id, before=at), source="receipt",
                       source_key=key)
        memo = f"{data['purchase_order']} {data['sku']} x{data['quantity']}"
        post_entry(day, _pair("inventory", "payable", domain.money(landed * int(data["quantity"])), memo),
                   source="purchasing.receipt", source_key=key, memo=memo, currency=currency,
                   reference=f"po:{data['purchase_order']}")


def supplier_paid(message: OutboxMessage) -> None:
    """finance.supplier_payment: Dr payables (at the rate the PO's payables were booked) / Cr bank
    (at the day's rate); the difference is realised FX. Recorded as a SupplierPayment when it came
    from the bank reconciliation."""
    data = message.data()
    key = data.get("key") or message.key
    day, currency = date.fromisoformat(str(data["date"])[:10]), data.get("currency") or base_currency()
    amount = domain.money(data["amount"])
    with atomic():
        if find_entry("finance.supplier_payment", key) is not None:
            return
        if db.session.scalar(select(SupplierPayment.id).filter_by(key=key)) is None:
            db.session.add(SupplierPayment(key=key, supplier_code=str(data["supplier_code"])[:20],
                                           purchase_order=str(data.get("purchase_order") or "")[:40], paid_on=day,
                                           amount=amount, currency=currency, note="bank statement"))
            db.session.flush()
        po = data.get("purchase_order") or ""
        booked = _booked_rate(f"po:{po}", "payable", "credit", rate_on(currency, day)) if po else \
            rate_on(currency, day)
        memo = f"{data['supplier_code']} {po}".strip()
        lines = _settlement(amount, currency, day, booked, settle_role="bank", booked_role="payable",
                            settle_is_debit=False, memo=memo)
        post_entry(day, lines, source="finance.supplier_payment", source_key=key, memo=memo, currency=currency,
                   reference=f"po:{po}" if po else "")


# --- Stock changes the ledger sees ----------------------------------------------------------------

def stock_changed(message: OutboxMessage) -> None:
    """finance.stock_adjustment / finance.stock_receipt / finance.return_to_stock, keyed by the stock
    move: units arriving change the moving average (adjustments up and receipts without a PO at the
    standard cost, returns at the cost they left with); units leaving are valued at the average.
    Entries: Dr/Cr inventory against inventory loss, payables (a receipt) or COGS (a return)."""
    data = message.data()
    key = message.key or f"stock-move-{data['move_id']}"
    sku_id, wh_id, delta = int(data["sku_id"]), int(data["warehouse_id"]), int(data["quantity"])
    at = _moment(data.get("at"), message.created_at)
    day = costing.local_day(at)
    other = {ADJUSTMENT_TOPIC: "inventory_loss", STOCK_RECEIPT_TOPIC: "payable", RETURN_TOPIC: "cogs"}[message.topic]
    with atomic():
        if delta > 0:
            unit = _return_cost(data, wh_id, at) if message.topic == RETURN_TOPIC else costing.standard_cost(sku_id)
            costing.arrive(sku_id, wh_id, delta, unit, at=at, source_key=key,
                           quantity_before=costing.ledger_quantity(sku_id, wh_id, before_move_id=int(data["move_id"])),
                           source={RETURN_TOPIC: "return", STOCK_RECEIPT_TOPIC: "receipt"}.get(message.topic,
                                                                                               "adjustment"))
        else:
            unit = costing.cost_at(sku_id, wh_id, at)
        amount = domain.money(unit * delta)
        if amount:
            memo = f"{data.get('reference', '')} {data.get('sku', '')} {delta:+d}".strip()
            post_entry(day, _pair("inventory", other, amount, memo), source=message.topic, source_key=key, memo=memo,
                       currency=base_currency())


def _return_cost(data: dict, wh_id: int, at: datetime) -> Decimal:
    """The unit cost the returned units left with (their order line's COGS), else the average now."""
    if data.get("order_line_id"):
        qty, total = db.session.execute(select(func.coalesce(func.sum(CostOfSale.quantity), 0),
                                               func.coalesce(func.sum(CostOfSale.total), 0))
                                        .filter_by(order_line_id=data["order_line_id"])).one()
        if qty:
            return domain.unit_cost(Decimal(total) / int(qty))
    return costing.cost_at(int(data["sku_id"]), wh_id, at)


# --- Sending --------------------------------------------------------------------------------------

HANDLERS = {
    "finance.shipment": shipped, "purchasing.receipt": received, "finance.refund": refunded, "finance.fee": fee,
    SUPPLIER_PAYMENT_TOPIC: supplier_paid, ADJUSTMENT_TOPIC: stock_changed, STOCK_RECEIPT_TOPIC: stock_changed,
    RETURN_TOPIC: stock_changed,
}
FINANCE_TOPICS = tuple(HANDLERS)


def _recorded(handler):
    """A domain refusal is recorded on the message as JSON {code, message, details}, so the posting
    errors page can say it in the reader's language."""
    def run(message: OutboxMessage) -> None:
        try:
            handler(message)
        except DomainError as error:
            raise RuntimeError(json.dumps({"code": error.code, "message": error.message,
                                           "details": {k: str(v) for k, v in error.details.items()}},
                                          ensure_ascii=False)[:500]) from error
    return run


def register_finance_handlers() -> None:
    for topic, handler in HANDLERS.items():
        register_handler(topic, _recorded(handler))


def post_pending(limit: int = 500) -> dict[str, int]:
    """Send the pending finance messages (the scheduler calls it; so do the finance pages before they
    show figures)."""
    return send_pending(limit, topics=FINANCE_TOPICS)


def posting_errors(limit: int = 200) -> list[OutboxMessage]:
    """Finance messages that were refused (pending with an error, or failed for good), newest first."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.topic.in_(FINANCE_TOPICS), OutboxMessage.status != "sent", OutboxMessage.last_error != "")
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def retry_message(message_id: int) -> None:
    """Put a refused finance message back in line (after the period was reopened, the rate entered)."""
    with atomic():
        done = db.session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.topic.in_(FINANCE_TOPICS), OutboxMessage.status != "sent")
            .values(status="pending", attempts=0))
        if done.rowcount != 1:
            raise NotFound("no such refused posting", code="unknown_posting_error")
