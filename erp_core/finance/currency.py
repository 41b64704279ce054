"""Currency rates per day and the base currency (setting `finance.base_currency`, default CNY).

A rate is base-currency units for one unit of the foreign currency on that day; a day without its
own rate uses the latest earlier one. Rates are entered on the rates page or imported from CSV
(`currency,day,rate` per line).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from ..db import atomic
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..settings import get_setting
from .models import CurrencyRate

BASE_SETTING = "finance.base_currency"
MAX_RATE = Decimal("1000000")


def base_currency() -> str:
    return str(get_setting(BASE_SETTING, "CNY")).upper()


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed(f"{code!r} is not a currency code", code="bad_currency", value=code)
    return code


def rate_on(currency: str, day: date) -> Decimal:
    """The rate of `currency` on `day` (1 for the base currency). Raises rate_missing."""
    currency = check_currency(currency)
    if currency == base_currency():
        return Decimal("1")
    rate = db.session.scalar(select(CurrencyRate.rate).where(CurrencyRate.currency == currency,
                                                             CurrencyRate.day <= day)
                             .order_by(CurrencyRate.day.desc()).limit(1))
    if rate is None:
        raise NotFound(f"no rate of {currency} on or before {day.isoformat()}", code="rate_missing",
                       currency=currency, day=day.isoformat())
    return Decimal(rate)


def set_rate(currency: str, day: date, rate) -> CurrencyRate:
    """Enter (or correct) the rate of a currency on a day."""
    currency = check_currency(currency)
    try:
        value = Decimal(str(rate))
    except InvalidOperation as error:
        raise ValidationFailed(f"{rate!r} is not a rate", code="bad_rate", rate=str(rate)) from error
    if not value.is_finite() or value <= 0 or value > MAX_RATE:
        raise ValidationFailed(f"{rate!r} is not a rate", code="bad_rate", rate=str(rate))
    if currency == base_currency():
        raise ValidationFailed("the base currency has no rate", code="base_currency_rate", currency=currency)
    with atomic():
        row = db.session.scalar(select(CurrencyRate).filter_by(currency=currency, day=day).with_for_update())
        if row is None:
            row = CurrencyRate(currency=currency, day=day, rate=value)
            db.session.add(row)
        else:
            row.rate = value
        db.session.flush()
    return row


def import_rates(text: str) -> int:
    """Rates from CSV lines `currency,day (YYYY-MM-DD),rate` (a header line is skipped); all or none."""
    count = 0
    with atomic():
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or not "".join(row).strip() or row[0].strip().lower() == "currency":
                continue
            if len(row) < 3:
                raise ValidationFailed(f"line {number}: currency,day,rate", code="bad_rate_line", line=number)
            try:
                day = date.fromisoformat(row[1].strip())
            except ValueError as error:
                raise ValidationFailed(f"line {number}: {row[1]!r} is not a date", code="bad_rate_line",
                                       line=number) from error
            set_rate(row[0], day, row[2].strip())
            count += 1
    return count
