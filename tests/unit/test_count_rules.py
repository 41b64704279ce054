"""Cycle-count rules: variance maths, the recount threshold and the ABC schedule (pure, no app)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wms.locations.count_rules import (
    DEFAULT_INTERVAL_DAYS,
    CountCandidate,
    RecountThreshold,
    choose_skus_to_count,
    classify_abc,
    needs_recount,
    overdue_ratio,
    variance,
    variance_percent,
    variance_value,
)

NOW = datetime(2025, 6, 30, 8, 0, tzinfo=UTC)
quantities = st.integers(min_value=0, max_value=100_000)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


# --- variance --------------------------------------------------------------------------------------

def test_variance_is_counted_minus_expected():
    assert variance(10, 7) == -3 and variance(10, 12) == 2 and variance(5, 5) == 0


def test_variance_percent_is_of_the_expected_quantity_to_one_decimal():
    assert variance_percent(30, 29) == Decimal("-3.3")
    assert variance_percent(8, 10) == Decimal("25.0")
    assert variance_percent(0, 0) == Decimal("0.0")


def test_finding_units_where_none_were_expected_has_no_percentage():
    assert variance_percent(0, 4) is None


def test_variance_value_is_at_the_skus_cost_to_the_cent():
    assert variance_value(10, 7, Decimal("12.35")) == Decimal("-37.05")
    assert variance_value(3, 4, Decimal("0.333")) == Decimal("0.33")


# --- recount threshold -----------------------------------------------------------------------------

@pytest.mark.parametrize("expected,counted,recount", [
    (100, 100, False),   # no variance
    (100, 97, False),    # 3 units, 3 %
    (100, 94, True),     # 6 units: above 5 units
    (40, 36, False),     # 4 units, exactly 10 %: not above
    (20, 17, True),      # 3 units but 15 %
    (0, 1, True),        # found where nothing was expected
    (5, 0, True),        # all gone
])
def test_a_line_is_recounted_when_above_five_units_or_ten_percent(expected, counted, recount):
    assert needs_recount(expected, counted, RecountThreshold()) is recount


def test_a_negative_threshold_is_refused():
    with pytest.raises(ValueError):
        RecountThreshold(units=-1)


@given(quantities, quantities, st.integers(0, 50), st.integers(0, 100), st.integers(0, 50), st.integers(0, 100))
def test_a_looser_threshold_never_recounts_more(expected, counted, units, percent, more_units, more_percent):
    tight = RecountThreshold(units, Decimal(percent))
    loose = RecountThreshold(units + more_units, Decimal(percent + more_percent))
    if needs_recount(expected, counted, loose):
        assert needs_recount(expected, counted, tight)


@given(quantities, st.integers(0, 50), st.integers(0, 100))
def test_a_line_without_variance_is_never_recounted(quantity, units, percent):
    assert not needs_recount(quantity, quantity, RecountThreshold(units, Decimal(percent)))


@given(quantities, quantities)
def test_variance_value_has_the_sign_of_the_variance(expected, counted):
    value = variance_value(expected, counted, Decimal("3.10"))
    assert (value > 0) == (counted > expected) and (value < 0) == (counted < expected)


# --- ABC classification ----------------------------------------------------------------------------

def test_the_few_skus_making_most_of_the_value_are_class_a():
    values = {1: Decimal(700), 2: Decimal(150), 3: Decimal(80), 4: Decimal(40), 5: Decimal(30), 6: Decimal(0)}
    # 1 and 2 reach 85 % (A); 3 and 4 start below 95 % (B); the rest is C
    assert classify_abc(values) == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "C"}


def test_without_any_value_every_sku_is_class_c():
    assert set(classify_abc({1: Decimal(0), 2: Decimal(0)}).values()) == {"C"}


values_maps = st.dictionaries(st.integers(1, 500), st.decimals(min_value=0, max_value=10_000, places=2),
                              min_size=1, max_size=60)


@given(values_maps)
def test_every_sku_gets_a_class_and_a_more_valuable_sku_never_a_lower_one(values):
    classes = classify_abc(values)
    assert set(classes) == set(values)
    rank = {"A": 0, "B": 1, "C": 2}
    for a in values:
        for b in values:
            if values[a] > values[b]:
                assert rank[classes[a]] <= rank[classes[b]]


@given(values_maps)
def test_class_a_is_the_smallest_top_group_reaching_eighty_percent(values):
    classes = classify_abc(values)
    total = sum(values.values())
    a_value = sum(v for k, v in values.items() if classes[k] == "A")
    if total > 0:
        assert a_value >= Decimal("0.8") * total
        smallest_a = min(v for k, v in values.items() if classes[k] == "A")
        assert a_value - smallest_a < Decimal("0.8") * total


# --- the schedule ----------------------------------------------------------------------------------

def test_a_sku_is_due_when_its_class_interval_has_passed():
    assert overdue_ratio(CountCandidate(1, "A", days_ago(30)), NOW) == pytest.approx(1.0)
    assert overdue_ratio(CountCandidate(1, "C", days_ago(90)), NOW) == pytest.approx(0.5)
    assert overdue_ratio(CountCandidate(1, "B", None), NOW) == math.inf


def test_the_most_overdue_skus_are_chosen_never_counted_first_then_a_before_c():
    candidates = [
        CountCandidate(1, "C", days_ago(200)),   # 1.11 x
        CountCandidate(2, "A", days_ago(70)),    # 2.33 x
        CountCandidate(3, "B", days_ago(30)),    # not due
        CountCandidate(4, "C", None),            # never counted
        CountCandidate(5, "A", None),            # never counted, and A
        CountCandidate(6, "A", days_ago(45)),    # 1.5 x
    ]
    assert choose_skus_to_count(candidates, NOW, 4) == [5, 4, 2, 6]
    assert choose_skus_to_count(candidates, NOW, 10) == [5, 4, 2, 6, 1]
    assert choose_skus_to_count(candidates, NOW, 0) == []


def test_nothing_is_chosen_when_nothing_is_due():
    assert choose_skus_to_count([CountCandidate(1, "A", days_ago(3))], NOW, 5) == []


candidates_lists = st.lists(
    st.builds(CountCandidate, st.integers(1, 10_000), st.sampled_from(["A", "B", "C"]),
              st.one_of(st.none(), st.integers(0, 400).map(days_ago))),
    max_size=40, unique_by=lambda c: c.sku_id)


@given(candidates_lists, st.integers(0, 15))
def test_the_chosen_are_due_at_most_n_and_more_overdue_than_any_left_out(candidates, limit):
    chosen = choose_skus_to_count(candidates, NOW, limit)
    ratio = {c.sku_id: overdue_ratio(c, NOW) for c in candidates}
    assert len(chosen) <= limit and len(set(chosen)) == len(chosen)
    assert all(ratio[s] >= 1.0 for s in chosen)
    left_due = [s for s in ratio if s not in chosen and ratio[s] >= 1.0]
    if left_due:
        assert len(chosen) == limit
        assert all(ratio[s] >= ratio[t] for s in chosen for t in left_due)


def test_over_a_year_a_skus_are_counted_more_often_than_c_skus():
    # given one A and one C SKU, both last counted a year ago, and room to count one SKU a day
    last = {1: days_ago(365), 2: days_ago(365)}
    classes = {1: "A", 2: "C"}
    counted = {1: 0, 2: 0}
    for day in range(365):
        today = NOW + timedelta(days=day)
        for sku in choose_skus_to_count([CountCandidate(s, classes[s], last[s]) for s in last], today, 1):
            last[sku] = today
            counted[sku] += 1
    # then A is counted about monthly and C about twice
    assert counted[1] >= 365 // DEFAULT_INTERVAL_DAYS["A"] - 1
    assert counted[2] <= 3 and counted[1] > 4 * counted[2]
