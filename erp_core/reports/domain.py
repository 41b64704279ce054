"""Pure report maths: ABC classes, stock aging under FIFO, days of cover, turnover, percentiles and
period keys. No Flask, no database: plain numbers in, plain numbers out."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

A_SHARE = Decimal("0.80")  # A: the SKUs making the first 80 % of revenue
B_SHARE = Decimal("0.95")  # B: the next 15 %; C: the rest (and every SKU without revenue)
AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
_TENTH = Decimal("0.1")


def abc_classes(revenue: Mapping[K, Decimal]) -> dict[K, str]:
    """Class of each key by its share of revenue, highest first (ties by key order as given).

    A SKU is A when the revenue of the SKUs ranked above it is under 80 % of the total (so the SKU
    that crosses 80 % is still A), B when it is under 95 %, else C. Zero revenue is always C.
    """
    total = sum((v for v in revenue.values() if v > 0), Decimal("0"))
    ranked = sorted(revenue.items(), key=lambda kv: kv[1], reverse=True)
    classes: dict[K, str] = {}
    above = Decimal("0")
    for key, value in ranked:
        if value <= 0 or total == 0:
            classes[key] = "C"
            continue
        share_above = above / total
        classes[key] = "A" if share_above < A_SHARE else "B" if share_above < B_SHARE else "C"
        above += value
    return classes


def aging_bucket(age_days: int) -> str:
    if age_days <= 30:
        return "0-30"
    if age_days <= 60:
        return "31-60"
    if age_days <= 90:
        return "61-90"
    return "90+"


def stock_aging(receipts: Iterable[tuple[date, int]], on_hand: int, today: date) -> dict[str, int]:
    """On-hand units per age bucket, FIFO: the oldest units left first, so what is on hand is the
    most recent receipts. Units on hand beyond every known receipt count as the oldest (90+)."""
    buckets = dict.fromkeys(AGING_BUCKETS, 0)
    left = max(on_hand, 0)
    for received_on, quantity in sorted(receipts, key=lambda r: r[0], reverse=True):
        if left == 0:
            break
        take = min(left, max(quantity, 0))
        buckets[aging_bucket((today - received_on).days)] += take
        left -= take
    buckets["90+"] += left
    return buckets


def daily_velocity(units: int, days: int) -> Decimal:
    return Decimal(units) / Decimal(days) if days > 0 else Decimal("0")


def days_of_cover(available: int, units_shipped: int, days: int) -> Decimal | None:
    """Days the available stock lasts at the period's shipping pace; None when nothing shipped."""
    velocity = daily_velocity(units_shipped, days)
    if velocity == 0:
        return None
    return (Decimal(max(available, 0)) / velocity).quantize(_TENTH, rounding=ROUND_HALF_UP)


def turnover(units_shipped: int, on_hand_start: int, on_hand_end: int) -> Decimal | None:
    """Units shipped over the average of on-hand at the start and at the end; None without stock."""
    average = Decimal(on_hand_start + on_hand_end) / 2
    if average <= 0:
        return None
    return (Decimal(units_shipped) / average).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def stockout_risk(cover: Decimal | None, lead_time_days: int | None) -> bool:
    """At risk when the stock runs out before a new order from the preferred supplier can arrive."""
    return cover is not None and lead_time_days is not None and cover < lead_time_days


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (p50 = median of an odd count, the lower middle of an even one)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def period_start(day: date, grain: str) -> date:
    """The first day of the period holding `day`: itself for "day", the Monday for "week"."""
    return day - timedelta(days=day.weekday()) if grain == "week" else day


def periods(start: date, end: date, grain: str) -> list[date]:
    """Every period start from `start` to `end` inclusive (so empty days still show as zero)."""
    step = timedelta(days=7 if grain == "week" else 1)
    current, out = period_start(start, grain), []
    while current <= end:
        out.append(current)
        current += step
    return out


def new_or_returning(first_paid_on: date, period_from: date) -> str:
    """A customer buying in the period is new when its first paid order falls in the period."""
    return "new" if first_paid_on >= period_from else "returning"
