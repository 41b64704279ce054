"""Finance use-cases the office does by hand: manual journal entries and supplier payments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ..db import atomic
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..outbox import publish
from ..purchasing.models import PurchaseOrder, Supplier
from . import domain
from .currency import check_currency
from .journal import JournalLineIn, post_entry
from .models import JournalEntry, SupplierPayment
from .postings import SUPPLIER_PAYMENT_TOPIC

MANUAL_SOURCE = "manual"


def manual_entry(entry_date: date, lines: Sequence[JournalLineIn], *, memo: str, currency: str = "CNY",
                 key: str = "", user_id: int | None = None) -> JournalEntry:
    """A journal entry for what the system does not see (rent, salaries, capital). `key` (the form's
    token or the API's Idempotency-Key) makes a double submit post once."""
    if not memo.strip():
        raise ValidationFailed("say what the entry is for", code="memo_required")
    lines = [line for line in lines if line.account and (line.debit or line.credit)]
    return post_entry(entry_date, list(lines), source=MANUAL_SOURCE, source_key=key or uuid.uuid4().hex,
                      memo=memo, currency=currency, user_id=user_id)


def record_supplier_payment(supplier_code: str, amount, paid_on: date, *, currency: str = "", purchase_order: str = "",
                            note: str = "", user_id: int | None = None) -> SupplierPayment:
    """Money paid to a supplier: a SupplierPayment and the topic `finance.supplier_payment` (the same
    the bank reconciliation publishes), posted Dr payables / Cr bank by its handler."""
    with atomic():
        supplier = db.session.scalar(select(Supplier).filter_by(code=(supplier_code or "").strip().upper()))
        if supplier is None:
            raise NotFound("no such supplier", code="unknown_supplier")
        po = (purchase_order or "").strip()
        if po and db.session.scalar(select(PurchaseOrder.id).filter_by(number=po, supplier_id=supplier.id)) is None:
            raise NotFound(f"{po} is not a purchase order of {supplier.code}", code="unknown_purchase_order",
                           number=po)
        value = domain.money(amount or 0)
        if value <= 0:
            raise ValidationFailed("the amount must be positive", code="bad_amount", amount=str(amount))
        currency = check_currency(currency or supplier.currency)
        payment = SupplierPayment(key=f"supplier-payment:{uuid.uuid4().hex}", supplier_code=supplier.code,
                                  purchase_order=po, paid_on=paid_on, amount=value, currency=currency,
                                  note=(note or "").strip()[:255], user_id=user_id)
        db.session.add(payment)
        db.session.flush()
        publish(SUPPLIER_PAYMENT_TOPIC, {"key": payment.key, "date": paid_on.isoformat(),
                                         "supplier_code": supplier.code, "purchase_order": po or None,
                                         "amount": str(value), "currency": currency}, key=payment.key)
    return payment


def parse_lines(rows: Sequence[dict]) -> list[JournalLineIn]:
    """Form or JSON rows {account, debit, credit, memo} as lines (blank rows dropped)."""
    lines = []
    for row in rows:
        account = str(row.get("account") or "").strip()
        debit, credit = _decimal(row.get("debit")), _decimal(row.get("credit"))
        if not account and not debit and not credit:
            continue
        lines.append(JournalLineIn(account, debit, credit, str(row.get("memo") or "")[:255]))
    return lines


def _decimal(value) -> Decimal:
    text = str(value or "").strip().replace(",", "")
    try:
        return Decimal(text) if text else Decimal("0")
    except ArithmeticError as error:
        raise ValidationFailed(f"{value!r} is not an amount", code="bad_amount", amount=str(value)) from error
