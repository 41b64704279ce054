"""Cycle-count rules (pure): variance maths, the recount threshold and the ABC count schedule.

No Flask, no database: plain values in, plain values out, so the rules are unit- and property-tested
on their own. count_planning.py and count_approval.py feed them from the ledger.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ABC_CLASSES = ("A", "B", "C")
# How often each class is counted, in days: A monthly, B quarterly, C twice a year.
DEFAULT_INTERVAL_DAYS: Mapping[str, int] = {"A": 30, "B": 90, "C": 180}
# Pareto cut-offs: the SKUs making the first 80 % of the value are A, the next 15 % B, the rest C.
A_SHARE = Decimal("0.80")
B_SHARE = Decimal("0.95")


# --- Variance --------------------------------------------------------------------------------------

def variance(expected: int, counted: int) -> int:
    """Units found more (+) or fewer (-) than the books said."""
    return counted - expected


def variance_percent(expected: int, counted: int) -> Decimal | None:
    """The variance as a percentage of the expected quantity, to one decimal.

    None when nothing was expected but something was found (an infinite percentage).
    """
    diff = variance(expected, counted)
    if expected == 0:
        return None if diff else Decimal("0.0")
    return (Decimal(diff) * 100 / Decimal(expected)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def variance_value(expected: int, counted: int, unit_cost: Decimal) -> Decimal:
    """The variance valued at the SKU's cost, in money (Decimal, to the cent)."""
    return (Decimal(variance(expected, counted)) * unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RecountThreshold:
    """A line is recounted before it posts when |variance| is above `units` OR above `percent` %."""

    units: int = 5
    percent: Decimal = Decimal("10")

    def __post_init__(self) -> None:
        if self.units < 0 or self.percent < 0:
            raise ValueError("a recount threshold cannot be negative")


def needs_recount(expected: int, counted: int, threshold: RecountThreshold) -> bool:
    """True when the variance is above the threshold in units or in percent of the expected quantity.

    Anything found where nothing was expected is an infinite percentage: it is always recounted.
    """
    diff = abs(variance(expected, counted))
    if diff == 0:
        return False
    if diff > threshold.units:
        return True
    if expected == 0:
        return True
    return Decimal(diff) * 100 > threshold.percent * expected


# --- ABC classification ----------------------------------------------------------------------------

def classify_abc(values: Mapping[int, Decimal], *, a_share: Decimal = A_SHARE,
                 b_share: Decimal = B_SHARE) -> dict[int, str]:
    """Class A, B or C for each SKU by its share of the total value (usage value, most first).

    A SKU belongs to A while the value of the SKUs before it is below `a_share` of the total, so the
    A class is the smallest group of top SKUs reaching that share (the first SKU with any value is
    always A); then B likewise up to `b_share`; the rest, and every SKU without value, is C.
    Ties are broken by SKU id, so the result does not depend on the mapping's order.
    """
    if not Decimal(0) <= a_share <= b_share <= Decimal(1):
        raise ValueError("shares must satisfy 0 <= a_share <= b_share <= 1")
    total = sum((v for v in values.values() if v > 0), Decimal(0))
    classes: dict[int, str] = {}
    before = Decimal(0)
    for sku_id, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or total == 0:
            classes[sku_id] = "C"
            continue
        share_before = before / total
        classes[sku_id] = "A" if share_before < a_share else "B" if share_before < b_share else "C"
        before += value
    return classes


# --- The ABC count schedule ------------------------------------------------------------------------

@dataclass(frozen=True)
class CountCandidate:
    """A SKU that could be counted: its class and when it was last counted (None: never)."""

    sku_id: int
    abc_class: str
    last_counted: datetime | None


def overdue_ratio(candidate: CountCandidate, now: datetime,
                  intervals: Mapping[str, int] = DEFAULT_INTERVAL_DAYS) -> float:
    """Time since the last count divided by the class's interval: 1.0 is due today, 2.0 twice late.

    A SKU never counted is infinitely overdue.
    """
    if candidate.last_counted is None:
        return math.inf
    elapsed_days = (now - candidate.last_counted).total_seconds() / 86400
    return max(elapsed_days, 0.0) / intervals[candidate.abc_class]


def choose_skus_to_count(candidates: Iterable[CountCandidate], now: datetime, limit: int,
                         intervals: Mapping[str, int] = DEFAULT_INTERVAL_DAYS) -> list[int]:
    """The ids of at most `limit` SKUs that are due (ratio >= 1), most overdue first.

    Ties (e.g. several never counted) go to the more valuable class first (A, B, C), then the SKU id.
    """
    if limit <= 0:
        return []
    scored = [(overdue_ratio(c, now, intervals), c) for c in candidates]
    due = [(ratio, c) for ratio, c in scored if ratio >= 1.0]
    due.sort(key=lambda rc: (-rc[0], ABC_CLASSES.index(rc[1].abc_class), rc[1].sku_id))
    return [c.sku_id for _ratio, c in due[:limit]]
