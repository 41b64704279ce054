"""Finance arithmetic as plain functions: moving-average cost, base-currency amounts, balanced
entries, margins and the statements' sums. Pure: neither Flask nor the database; money in Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0")
ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
# Debit-normal types grow with debits; the others with credits.
DEBIT_NORMAL = frozenset({"asset", "expense"})


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(value) -> Decimal:
    return Decimal(str(value)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


# --- Moving-average cost --------------------------------------------------------------------------

def moving_average(quantity_before: int, average_before: Decimal, quantity_in: int, cost_in: Decimal) -> Decimal:
    """The average unit cost after `quantity_in` units arrive at `cost_in` each:
    (q0 x c0 + q x c) / (q0 + q). Stock that is not there (q0 <= 0) has no weight: the new average
    is the incoming cost. Four decimal places."""
    if quantity_in <= 0:
        return unit_cost(average_before)
    before = max(quantity_before, 0)
    total = Decimal(before) * Decimal(average_before) + Decimal(quantity_in) * Decimal(cost_in)
    return unit_cost(total / Decimal(before + quantity_in))


# --- Entries --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Amounts:
    debit: Decimal
    credit: Decimal
    base_debit: Decimal
    base_credit: Decimal


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in the entry's currency at `rate` (base units per one unit), to the cent."""
    return money(Decimal(amount) * Decimal(rate))


def base_amounts(lines: Sequence[tuple[Decimal, Decimal]], rate: Decimal) -> list[tuple[Decimal, Decimal]]:
    """Each line's (debit, credit) in base currency. Rounding each line alone could leave the entry a
    cent out of balance; the cent goes to the largest line of the side that is short."""
    based = [(to_base(d, rate), to_base(c, rate)) for d, c in lines]
    diff = sum((d for d, _ in based), ZERO) - sum((c for _, c in based), ZERO)
    if diff != 0 and sum((d for d, _ in lines), ZERO) == sum((c for _, c in lines), ZERO):
        side = 1 if diff > 0 else 0  # more debit: add to the largest credit, else to the largest debit
        index = max(range(len(based)), key=lambda i: based[i][side])
        d, c = based[index]
        based[index] = (d, c + diff) if side == 1 else (d - diff, c)
    return based


def is_balanced(lines: Iterable[Amounts]) -> bool:
    lines = list(lines)
    return (sum((x.debit for x in lines), ZERO) == sum((x.credit for x in lines), ZERO)
            and sum((x.base_debit for x in lines), ZERO) == sum((x.base_credit for x in lines), ZERO))


def fx_difference(amount: Decimal, booked_rate: Decimal, settled_rate: Decimal) -> Decimal:
    """Base-currency difference when a foreign amount booked at one rate is settled at another
    (positive = the settlement costs more base currency than was booked)."""
    return to_base(amount, settled_rate) - to_base(amount, booked_rate)


# --- Margins --------------------------------------------------------------------------------------

@dataclass
class Margin:
    """One row of the margin report (an order, a SKU, a channel or a day)."""

    key: str
    revenue: Decimal = ZERO
    discount: Decimal = ZERO
    shipping_charged: Decimal = ZERO
    cogs: Decimal = ZERO
    shipping_cost: Decimal = ZERO
    fees: Decimal = ZERO
    units: int = 0

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.discount + self.shipping_charged

    @property
    def gross_margin(self) -> Decimal:
        return self.net_revenue - self.cogs - self.shipping_cost - self.fees

    @property
    def margin_pct(self) -> Decimal | None:
        if self.net_revenue == 0:
            return None
        return (self.gross_margin * 100 / self.net_revenue).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, other: Margin) -> None:
        for name in ("revenue", "discount", "shipping_charged", "cogs", "shipping_cost", "fees", "units"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def discount_of(goods_total: Decimal, line_totals: Iterable[Decimal]) -> Decimal:
    """The order's discount: what the lines add up to above the goods total (never negative)."""
    return max(money(sum(line_totals, ZERO)) - money(goods_total), ZERO)


def share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`amount` x part / whole, to the cent (0 when the whole is 0)."""
    return ZERO if whole == 0 else money(Decimal(amount) * Decimal(part) / Decimal(whole))


# --- Statements -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal

    @property
    def amount(self) -> Decimal:
        """The balance on the account's normal side (positive when normal)."""
        return self.debit - self.credit if self.type in DEBIT_NORMAL else self.credit - self.debit


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((amount for _, _, amount in self.rows), ZERO)


def _section(title: str, balances: Iterable[Balance], kind: str) -> Section:
    return Section(title, [(b.code, b.name, b.amount) for b in balances if b.type == kind and b.amount != 0])


def profit_and_loss(balances: Sequence[Balance]) -> dict:
    """Income and expenses of a period (balances of the period's lines only); net = income - expenses."""
    income, expenses = _section("income", balances, "income"), _section("expense", balances, "expense")
    return {"income": income, "expenses": expenses, "net_income": income.total - expenses.total}


def balance_sheet(balances: Sequence[Balance]) -> dict:
    """Assets, liabilities and equity at a date (every line up to it). Income and expense accounts are
    never closed by an entry here, so their sum is shown as the current profit inside equity:
    assets = liabilities + equity + profit holds for any balanced journal."""
    assets, liabilities = _section("asset", balances, "asset"), _section("liability", balances, "liability")
    equity = _section("equity", balances, "equity")
    profit = profit_and_loss(balances)["net_income"]
    return {"assets": assets, "liabilities": liabilities, "equity": equity, "profit": profit,
            "equity_total": equity.total + profit,
            "ties_out": assets.total == liabilities.total + equity.total + profit}


def cash_flow(entries: Iterable[Sequence[tuple[str, str, Decimal]]], cash_codes: frozenset[str]) -> dict[str, Decimal]:
    """Direct method: each entry's change of cash (debit - credit on the cash accounts) attributed to
    its other accounts in proportion of their amounts. `entries` are lists of (code, name, signed
    amount = debit - credit); returns {"<code> <name>": cash in (+) / out (-)}."""
    flows: dict[str, Decimal] = {}
    for lines in entries:
        cash = sum((amount for code, _, amount in lines if code in cash_codes), ZERO)
        others = [(code, name, amount) for code, name, amount in lines if code not in cash_codes]
        weight = sum((abs(amount) for _, _, amount in others), ZERO)
        if cash == 0 or weight == 0:
            continue
        left = cash
        for index, (code, name, amount) in enumerate(others):
            part = left if index == len(others) - 1 else share(cash, abs(amount), weight)
            left -= part
            flows[f"{code} {name}"] = flows.get(f"{code} {name}", ZERO) + part
    return flows
