"""The double-entry journal: the chart of accounts, balanced entries, closed periods.

`post_entry` is the one way an entry is written (automatic postings and manual entries alike):
idempotent on (source, source_key), refused when unbalanced, when an account is unknown or when its
month is closed. Amounts are in the entry's currency and, at the day's rate, in the base currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..sequences import next_reference
from ..settings import get_setting
from ..statemachine import compare_and_set
from . import domain
from .charts import CHARTS, ROLES
from .currency import check_currency, rate_on
from .models import PERIOD_TRANSITIONS, Account, FinancePeriod, JournalEntry, JournalLine

CHART_SETTING = "finance.chart"
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True)
class JournalLineIn:
    """One line to post: an account CODE of the chart, a debit or a credit in the entry's currency.
    `base_debit`/`base_credit` override the base amounts (an FX difference has no foreign amount)."""

    account: str
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    memo: str = ""
    base_debit: Decimal | None = None
    base_credit: Decimal | None = None


# --- The chart ------------------------------------------------------------------------------------

def chart_name() -> str:
    name = str(get_setting(CHART_SETTING, "cn"))
    return name if name in CHARTS else "cn"


def ensure_chart() -> None:
    """Seed the default chart on first use (INSERT ... ON CONFLICT DO NOTHING: two first uses at
    once seed it once). Accounts added by hand are kept."""
    if db.session.scalar(select(Account.id).limit(1)) is not None:
        return
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    with atomic():
        for code, name, name_zh, kind in CHARTS[chart_name()]:
            db.session.execute(insert(Account).values(code=code, name=name, name_zh=name_zh, type=kind, active=True,
                                                      created_at=utcnow()).on_conflict_do_nothing())


def account_for(role: str) -> str:
    """The account code an automatic posting uses for `role` (receivable, revenue, cogs ...)."""
    return ROLES[chart_name()][role]


def add_account(code: str, name: str, name_zh: str, kind: str) -> Account:
    code, name = (code or "").strip(), (name or "").strip()
    if not code.isdigit() or not 1 <= len(code) <= 10:
        raise ValidationFailed("an account code is 1 to 10 digits", code="bad_account_code", account=code)
    if not name or len(name) > 120 or len(name_zh or "") > 120:
        raise ValidationFailed("an account needs a name (at most 120 characters)", code="bad_account_name")
    if kind not in domain.ACCOUNT_TYPES:
        raise ValidationFailed(f"unknown account type {kind!r}", code="bad_account_type", type=kind)
    ensure_chart()
    with atomic():
        if db.session.scalar(select(Account.id).filter_by(code=code)) is not None:
            raise Conflict(f"account {code} exists already", code="account_code_taken", account=code)
        account = Account(code=code, name=name, name_zh=(name_zh or "").strip(), type=kind)
        db.session.add(account)
        db.session.flush()
    return account


# --- Periods --------------------------------------------------------------------------------------

def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def is_closed(day: date) -> bool:
    return db.session.scalar(select(FinancePeriod.status).filter_by(year=day.year, month=day.month)) == "closed"


def require_open(day: date) -> None:
    """Refuses (period_closed) a posting dated in a closed month. Reads the period row under a shared
    lock on PostgreSQL, so a close that runs meanwhile waits for this posting or refuses it first."""
    status = db.session.scalar(select(FinancePeriod.status).filter_by(year=day.year, month=day.month)
                               .with_for_update(read=True))
    if status == "closed":
        raise Conflict(f"the period {period_of(day)} is closed: nothing can be posted into it",
                       code="period_closed", period=period_of(day))


def set_period(year: int, month: int, status: str, *, user_id: int | None = None) -> FinancePeriod:
    """Close or reopen a month (compare-and-set: of two people closing it at once, one is refused)."""
    if not (1 <= month <= 12 and 2000 <= year <= 2200):
        raise ValidationFailed("not a month", code="bad_period", period=f"{year}-{month}")
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    with atomic():
        db.session.execute(insert(FinancePeriod).values(year=year, month=month, status="open", changed_at=utcnow())
                           .on_conflict_do_nothing())
        period = db.session.scalar(select(FinancePeriod).filter_by(year=year, month=month)
                                   .execution_options(populate_existing=True))
        compare_and_set(period, status, PERIOD_TRANSITIONS, what=f"period {year}-{month:02d}",
                        code="period_status_conflict", details={"period": f"{year}-{month:02d}"},
                        changed_by_id=user_id, changed_at=utcnow())
    return period


# --- Entries --------------------------------------------------------------------------------------

def find_entry(source: str, source_key: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).filter_by(source=source, source_key=source_key))


def _amount(value, name: str) -> Decimal:
    amount = domain.money(value or 0)
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValidationFailed(f"{name} must be between 0 and {MAX_AMOUNT}", code="bad_amount", amount=str(value))
    return amount


def _accounts(lines: Sequence[JournalLineIn]) -> dict[str, Account]:
    codes = {line.account for line in lines}
    found = {a.code: a for a in db.session.scalars(select(Account).where(Account.code.in_(codes)))}
    missing = sorted(code for code in codes if code not in found or not found[code].active)
    if missing:
        raise ValidationFailed(f"unknown account {', '.join(missing)}", code="unknown_account", account=missing)
    return found


def post_entry(entry_date: date, lines: list[JournalLineIn], *, source: str, source_key: str, memo: str = "",
               currency: str = "CNY", user_id: int | None = None, reference: str = "") -> JournalEntry:
    """Post one balanced entry; the entry already posted for (source, source_key) when there is one.

    Locks: the period row (shared), the journal counter row. Guarantees: debits = credits in the
    entry's currency and in base currency (else entry_unbalanced), every account exists (unknown_account),
    the month is open (period_closed); two posts of one key at once write one entry (the unique
    (source, source_key) index decides; the loser returns the winner's entry).
    """
    source, source_key = source.strip()[:40], source_key.strip()[:120]
    if not source or not source_key:
        raise ValidationFailed("an entry needs a source and a key", code="entry_key_required")
    with atomic():
        existing = find_entry(source, source_key)
        if existing is not None:
            return existing
        ensure_chart()
        if not lines:
            raise ValidationFailed("an entry needs lines", code="entry_empty")
        currency = check_currency(currency)
        amounts = [(_amount(x.debit, "debit"), _amount(x.credit, "credit")) for x in lines]
        debit, credit = sum(d for d, _ in amounts), sum(c for _, c in amounts)
        if debit != credit:
            raise ValidationFailed(f"debits {debit} and credits {credit} differ", code="entry_unbalanced",
                                   debit=str(debit), credit=str(credit))
        if debit == 0 and all(x.base_debit is None and x.base_credit is None for x in lines):
            raise ValidationFailed("an entry needs an amount", code="entry_empty")
        accounts = _accounts(lines)
        require_open(entry_date)
        rate = rate_on(currency, entry_date)
        based = domain.base_amounts(amounts, rate)
        rows = []
        for line, (d, c), (bd, bc) in zip(lines, amounts, based, strict=True):
            bd = _amount(line.base_debit, "debit") if line.base_debit is not None else bd
            bc = _amount(line.base_credit, "credit") if line.base_credit is not None else bc
            rows.append(domain.Amounts(d, c, bd, bc))
        if not domain.is_balanced(rows):
            raise ValidationFailed("the base-currency amounts do not balance", code="entry_unbalanced",
                                   debit=str(sum(r.base_debit for r in rows)),
                                   credit=str(sum(r.base_credit for r in rows)))
        try:
            with atomic():
                entry = JournalEntry(number=next_reference("JE"), entry_date=entry_date, source=source,
                                     source_key=source_key, reference=reference[:60], memo=memo.strip()[:255],
                                     currency=currency, rate=rate, posted_by_id=user_id)
                entry.lines = [JournalLine(account_id=accounts[line.account].id, debit=r.debit, credit=r.credit,
                                           base_debit=r.base_debit, base_credit=r.base_credit, memo=line.memo[:255])
                               for line, r in zip(lines, rows, strict=True) if r.debit or r.credit or r.base_debit
                               or r.base_credit]
                db.session.add(entry)
                db.session.flush()
        except IntegrityError:
            existing = find_entry(source, source_key)
            if existing is None:
                raise
            return existing
    return entry


def journal_violations() -> list[str]:
    """Entries whose debits and credits differ (in their currency or in base), and the journal's
    totals when they differ: [] when sound. Two aggregate queries."""
    problems = [f"journal entry {number}: debit {d} / credit {c}, base {bd} / {bc}"
                for number, d, c, bd, bc in db.session.execute(
                    select(JournalEntry.number, func.sum(JournalLine.debit), func.sum(JournalLine.credit),
                           func.sum(JournalLine.base_debit), func.sum(JournalLine.base_credit))
                    .join(JournalLine, JournalLine.entry_id == JournalEntry.id).group_by(JournalEntry.id)
                    .having((func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
                            | (func.sum(JournalLine.base_debit) != func.sum(JournalLine.base_credit))))]
    total = db.session.execute(select(func.coalesce(func.sum(JournalLine.base_debit), 0),
                                      func.coalesce(func.sum(JournalLine.base_credit), 0))).one()
    if Decimal(total[0]) != Decimal(total[1]):
        problems.append(f"journal totals: base debit {total[0]} / base credit {total[1]}")
    return problems


def get_entry(entry_id: int) -> JournalEntry:
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound("no such journal entry", code="unknown_entry")
    return entry
