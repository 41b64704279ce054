"""Pure customer rules: RFM scores and segments, VIP tiers, masking a phone. No Flask, no database.

RFM is scored by CONFIGURED THRESHOLDS, not by quintiles: a customer's score depends only on their own
orders, so it does not move because other customers bought, and the office can read off why a score
is what it is. Each dimension has four ascending cut-offs; the score is 1 + the number passed.

- Recency: days since the last paid order; FEWER days is better (<= cut-off passes).
- Frequency: paid orders in the window (default 365 days); >= cut-off passes.
- Monetary: goods total + shipping of those orders; >= cut-off passes.

Orders that were cancelled or rejected never count (the services leave them out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

SEGMENTS: tuple[str, ...] = (
    "champions", "loyal", "new", "promising", "need_attention", "at_risk", "hibernating",
)


@dataclass(frozen=True)
class RfmSettings:
    window_days: int = 365
    recency_days: tuple[int, int, int, int] = (180, 90, 60, 30)  # <= 180 -> 2, ..., <= 30 -> 5
    frequency: tuple[int, int, int, int] = (2, 3, 6, 10)  # >= 2 -> 2, ..., >= 10 -> 5
    monetary: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal("300"), Decimal("1000"), Decimal("2000"), Decimal("5000"))

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("the RFM window is at least one day")
        for name, cuts, descending in (("recency_days", self.recency_days, True), ("frequency", self.frequency, False),
                                       ("monetary", self.monetary, False)):
            if len(cuts) != 4:
                raise ValueError(f"{name} needs four cut-offs")
            ordered = sorted(cuts, reverse=descending)
            if list(cuts) != ordered or len(set(cuts)) != 4:
                raise ValueError(f"{name} cut-offs must be strictly {'de' if descending else 'in'}creasing")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["monetary"] = [str(m) for m in self.monetary]
        data["recency_days"], data["frequency"] = list(self.recency_days), list(self.frequency)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RfmSettings:
        data = data or {}
        default = cls()
        return cls(window_days=int(data.get("window_days", default.window_days)),
                   recency_days=tuple(int(v) for v in data.get("recency_days", default.recency_days)),
                   frequency=tuple(int(v) for v in data.get("frequency", default.frequency)),
                   monetary=tuple(Decimal(str(v)) for v in data.get("monetary", default.monetary)))


@dataclass(frozen=True)
class PurchaseSummary:
    """One customer's counted (paid, not cancelled or rejected) orders."""

    customer_id: int
    last_paid_at: datetime | None
    orders_in_window: int
    spend_in_window: Decimal
    lifetime_orders: int = 0
    lifetime_spend: Decimal = Decimal("0")


@dataclass(frozen=True)
class RfmScore:
    customer_id: int
    recency_days: int
    recency: int
    frequency: int
    monetary: int
    segment: str

    @property
    def code(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


def score_recency(days: int, cuts: Sequence[int]) -> int:
    return 1 + sum(1 for cut in cuts if days <= cut)


def score_at_least(value: int | Decimal, cuts: Sequence[int | Decimal]) -> int:
    return 1 + sum(1 for cut in cuts if value >= cut)


def segment_of(recency: int, frequency: int, monetary: int) -> str:
    """Named segment of a score (first rule that fits)."""
    if recency >= 4 and frequency >= 4 and monetary >= 4:
        return "champions"
    if recency >= 3 and frequency >= 4:
        return "loyal"
    if recency >= 4 and frequency == 1:
        return "new"
    if recency >= 4:
        return "promising"
    if recency <= 2 and frequency >= 3:
        return "at_risk"
    if recency <= 2:
        return "hibernating"
    return "need_attention"


def rfm_score(summary: PurchaseSummary, today: datetime, settings: RfmSettings) -> RfmScore | None:
    """The customer's scores on `today`; None for a customer who never had a paid order."""
    if summary.last_paid_at is None:
        return None
    days = max((today - summary.last_paid_at).days, 0)
    r = score_recency(days, settings.recency_days)
    f = score_at_least(summary.orders_in_window, settings.frequency)
    m = score_at_least(summary.spend_in_window, settings.monetary)
    return RfmScore(summary.customer_id, days, r, f, m, segment_of(r, f, m))


def segment_counts(scores: Sequence[RfmScore]) -> dict[str, int]:
    counts = dict.fromkeys(SEGMENTS, 0)
    for score in scores:
        counts[score.segment] += 1
    return counts


@dataclass(frozen=True)
class Tier:
    """A VIP tier: reached with at least `min_spend` lifetime spend OR at least `min_orders` orders."""

    code: str
    name: str
    min_spend: Decimal
    min_orders: int


@dataclass(frozen=True)
class TierRules:
    tiers: tuple[Tier, ...] = field(default_factory=lambda: (
        Tier("silver", "Silver", Decimal("1000"), 5),
        Tier("gold", "Gold", Decimal("5000"), 15),
        Tier("platinum", "Platinum", Decimal("20000"), 40),
    ))

    def __post_init__(self) -> None:
        codes = [t.code for t in self.tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tier codes must be unique")
        for lower, higher in zip(self.tiers, self.tiers[1:], strict=False):
            if higher.min_spend < lower.min_spend or higher.min_orders < lower.min_orders:
                raise ValueError("tiers go from the lowest to the highest: thresholds may not fall")
        for tier in self.tiers:
            if not tier.code or tier.min_spend < 0 or tier.min_orders < 0:
                raise ValueError("a tier needs a code and thresholds of zero or more")

    def highest_first(self) -> tuple[Tier, ...]:
        return tuple(reversed(self.tiers))

    def to_dict(self) -> list[dict[str, Any]]:
        return [{"code": t.code, "name": t.name, "min_spend": str(t.min_spend), "min_orders": t.min_orders}
                for t in self.tiers]

    @classmethod
    def from_dict(cls, data: Sequence[Mapping[str, Any]] | None) -> TierRules:
        if data is None:
            return cls()
        return cls(tuple(Tier(str(t["code"]), str(t.get("name") or t["code"]), Decimal(str(t["min_spend"])),
                              int(t["min_orders"])) for t in data))


def tier_for(lifetime_spend: Decimal, lifetime_orders: int, rules: TierRules) -> Tier | None:
    """The highest tier whose spend or order-count threshold the customer reaches (None: no tier)."""
    for tier in rules.highest_first():
        if lifetime_spend >= tier.min_spend or lifetime_orders >= tier.min_orders:
            return tier
    return None


def mask_phone(phone: str) -> str:
    """A phone as a viewer sees it: the first three and last four digits (138****8000)."""
    if not phone:
        return ""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else 0
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]
