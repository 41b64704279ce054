"""RFM scores, segments and VIP tiers on a small set worked out by hand (erp_core/customers/domain.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from erp_core.customers.domain import (
    PurchaseSummary,
    RfmSettings,
    Tier,
    TierRules,
    mask_phone,
    rfm_score,
    segment_counts,
    tier_for,
)

TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _buyer(customer_id: int, days_ago: int | None, orders: int, spend: str) -> PurchaseSummary:
    last = None if days_ago is None else TODAY - timedelta(days=days_ago)
    return PurchaseSummary(customer_id, last, orders, Decimal(spend))


# Default cut-offs: recency <= 180/90/60/30 days, frequency >= 2/3/6/10 orders, monetary >= 300/1000/2000/5000.
# (customer, days since last paid order, orders in window, spend in window) -> (R, F, M, segment), by hand:
HAND_COMPUTED = [
    (_buyer(1, 10, 12, "6000.00"), (5, 5, 5, "champions")),  # 10 <= 30; 12 >= 10; 6000 >= 5000
    (_buyer(2, 45, 7, "1500.00"), (4, 4, 3, "loyal")),  # 45 <= 60 not 30; 7 >= 6; 1500 >= 1000 not 2000
    (_buyer(3, 5, 1, "80.00"), (5, 1, 1, "new")),  # one order, recently
    (_buyer(4, 20, 2, "400.00"), (5, 2, 2, "promising")),
    (_buyer(5, 200, 4, "1200.00"), (1, 3, 3, "at_risk")),  # 200 > 180; 4 >= 3 not 6
    (_buyer(6, 400, 0, "0"), (1, 1, 1, "hibernating")),  # last order before the window
    (_buyer(7, 75, 2, "500.00"), (3, 2, 2, "need_attention")),  # 75 <= 90 not 60
    (_buyer(8, 30, 10, "5000.00"), (5, 5, 5, "champions")),  # every cut-off is inclusive
    (_buyer(9, 31, 6, "4999.99"), (4, 4, 4, "champions")),  # one day, one order and a cent past each edge
]


@pytest.mark.parametrize(("summary", "expected"), HAND_COMPUTED, ids=[str(s.customer_id) for s, _ in HAND_COMPUTED])
def test_each_customer_of_the_hand_computed_set_gets_its_scores_and_segment(summary, expected):
    score = rfm_score(summary, TODAY, RfmSettings())
    assert (score.recency, score.frequency, score.monetary, score.segment) == expected


def test_the_segment_counts_of_the_hand_computed_set():
    scores = [rfm_score(s, TODAY, RfmSettings()) for s, _ in HAND_COMPUTED]
    assert segment_counts(scores) == {"champions": 3, "loyal": 1, "new": 1, "promising": 1, "need_attention": 1,
                                      "at_risk": 1, "hibernating": 1}


def test_a_customer_without_a_paid_order_has_no_rfm_score():
    assert rfm_score(_buyer(10, None, 0, "0"), TODAY, RfmSettings()) is None


def test_configured_thresholds_change_the_scores():
    strict = RfmSettings(recency_days=(60, 30, 14, 7), frequency=(3, 5, 8, 12),
                         monetary=(Decimal("1000"), Decimal("3000"), Decimal("6000"), Decimal("10000")))
    score = rfm_score(_buyer(1, 10, 12, "6000.00"), TODAY, strict)
    assert (score.recency, score.frequency, score.monetary) == (4, 5, 4)


def test_thresholds_out_of_order_are_refused():
    with pytest.raises(ValueError):
        RfmSettings(recency_days=(30, 60, 90, 180))
    with pytest.raises(ValueError):
        RfmSettings(frequency=(2, 2, 6, 10))


def test_rfm_settings_survive_their_stored_form():
    settings = RfmSettings(window_days=180, monetary=(Decimal("1"), Decimal("2"), Decimal("3.50"), Decimal("4")))
    assert RfmSettings.from_dict(settings.to_dict()) == settings


@pytest.mark.parametrize(("spend", "orders", "tier"), [
    ("999.99", 4, None),  # just below silver on both counts
    ("1000.00", 0, "silver"),  # spend alone reaches it
    ("10.00", 15, "gold"),  # the order count alone reaches gold
    ("20000.00", 1, "platinum"),
    ("4999.99", 14, "silver"),
])
def test_the_highest_tier_reached_by_spend_or_orders_is_the_customers(spend, orders, tier):
    found = tier_for(Decimal(spend), orders, TierRules())
    assert (found.code if found else None) == tier


def test_tiers_whose_thresholds_fall_are_refused():
    with pytest.raises(ValueError):
        TierRules((Tier("gold", "Gold", Decimal("5000"), 15), Tier("silver", "Silver", Decimal("1000"), 5)))


def test_tier_rules_survive_their_stored_form():
    rules = TierRules((Tier("vip", "VIP", Decimal("88.80"), 3),))
    assert TierRules.from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize(("phone", "shown"), [("13800138000", "138****8000"), ("", ""), ("1234", "****"),
                                              ("021-5555", "****5555")])
def test_a_masked_phone_keeps_only_the_first_three_and_last_four_digits(phone, shown):
    assert mask_phone(phone) == shown
