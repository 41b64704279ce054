"""Statements for any period from the journal (base currency): profit and loss, balance sheet and a
direct-method cash flow, with the checks that they tie out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from . import domain
from .charts import RETAINED
from .journal import account_for, chart_name, ensure_chart
from .models import Account, JournalEntry, JournalLine


def balances(date_from: date | None, date_to: date, locale: str = "en") -> list[domain.Balance]:
    """Every account's base debits and credits of the entries dated in [date_from, date_to]."""
    query = (select(Account.code, Account.name, Account.name_zh, Account.type,
                    func.coalesce(func.sum(JournalLine.base_debit), 0),
                    func.coalesce(func.sum(JournalLine.base_credit), 0))
             .join(JournalLine, JournalLine.account_id == Account.id)
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(JournalEntry.entry_date <= date_to).group_by(Account.id).order_by(Account.code))
    if date_from is not None:
        query = query.where(JournalEntry.entry_date >= date_from)
    zh = str(locale).startswith("zh")
    return [domain.Balance(code, (name_zh or name) if zh else name, kind, Decimal(d), Decimal(c))
            for code, name, name_zh, kind, d, c in db.session.execute(query)]


def retained_earnings(at: date) -> Decimal:
    """Earnings kept up to `at`: the retained-earnings accounts plus the income and expenses not yet
    closed into them."""
    kept = RETAINED[chart_name()]
    total = Decimal("0")
    for b in balances(None, at):
        if b.code in kept:
            total += b.amount
        elif b.type in ("income", "expense"):
            total += b.amount if b.type == "income" else -b.amount
    return total


def cash_flow(date_from: date, date_to: date, locale: str = "en") -> dict:
    """Cash and bank movements of the period by what they were for (the other accounts of each entry)."""
    cash = frozenset({account_for("cash"), account_for("bank")})
    zh = str(locale).startswith("zh")
    rows = db.session.execute(
        select(JournalLine.entry_id, Account.code, Account.name, Account.name_zh,
               JournalLine.base_debit - JournalLine.base_credit)
        .join(Account, Account.id == JournalLine.account_id).join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.entry_date >= date_from, JournalEntry.entry_date <= date_to,
               JournalLine.entry_id.in_(select(JournalLine.entry_id).join(Account).where(Account.code.in_(cash))))
        .order_by(JournalLine.entry_id, JournalLine.id)).all()
    entries: dict[int, list] = {}
    for entry_id, code, name, name_zh, amount in rows:
        entries.setdefault(entry_id, []).append((code, (name_zh or name) if zh else name, Decimal(amount)))
    flows = domain.cash_flow(entries.values(), cash)

    def cash_at(day: date) -> Decimal:
        return sum((b.amount for b in balances(None, day) if b.code in cash), Decimal("0"))

    opening, closing = cash_at(date_from - timedelta(days=1)), cash_at(date_to)
    net = sum(flows.values(), Decimal("0"))
    return {"flows": sorted(flows.items()), "opening": opening, "closing": closing, "net": net,
            "ties_out": opening + net == closing}


def statements(date_from: date, date_to: date, locale: str = "en") -> dict:
    """The three statements of [date_from, date_to] and their checks: assets = liabilities + equity
    (with the profit not yet closed), the period's net income = the change in retained earnings,
    opening cash + the flows = closing cash."""
    ensure_chart()
    pnl = domain.profit_and_loss(balances(date_from, date_to, locale))
    sheet = domain.balance_sheet(balances(None, date_to, locale))
    before, after = retained_earnings(date_from - timedelta(days=1)), retained_earnings(date_to)
    return {"from": date_from, "to": date_to, "pnl": pnl, "balance_sheet": sheet,
            "cash_flow": cash_flow(date_from, date_to, locale),
            "retained_before": before, "retained_after": after,
            "earnings_tie_out": after - before == pnl["net_income"]}
