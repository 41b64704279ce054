"""Report maths on hand-computed sets: ABC classes, FIFO stock aging, cover, turnover, percentiles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from erp_core.reports.domain import (
    abc_classes,
    days_of_cover,
    new_or_returning,
    percentile,
    periods,
    stock_aging,
    stockout_risk,
    turnover,
)

D = Decimal


def test_the_skus_making_the_first_80_percent_are_a_the_next_15_b_the_rest_c():
    # total 100: X 50 (above 0) A, Y 25 (above 50 %) A, Z 12 (above 75 %) A — it crosses 80 %,
    # W 8 (above 87 %) B, V 4 (above 95 %) C, U 1 C, T 0 C
    revenue = {"X": D(50), "Y": D(25), "Z": D(12), "W": D(8), "V": D(4), "U": D(1), "T": D(0)}
    assert abc_classes(revenue) == {"X": "A", "Y": "A", "Z": "A", "W": "B", "V": "C", "U": "C", "T": "C"}


def test_without_any_revenue_every_sku_is_c():
    assert abc_classes({"X": D(0), "Y": D(0)}) == {"X": "C", "Y": "C"}


def test_on_hand_units_are_the_newest_receipts_under_fifo():
    today = date(2024, 6, 30)
    receipts = [(date(2024, 1, 1), 10), (date(2024, 4, 15), 10), (date(2024, 5, 20), 10), (date(2024, 6, 20), 10)]
    # 25 on hand: 10 of 06-20 (10 days), 10 of 05-20 (41 days), 5 of 04-15 (76 days); 01-01 all gone
    assert stock_aging(receipts, 25, today) == {"0-30": 10, "31-60": 10, "61-90": 5, "90+": 0}


def test_units_beyond_every_known_receipt_count_as_the_oldest():
    assert stock_aging([(date(2024, 6, 29), 3)], 8, date(2024, 6, 30)) == {"0-30": 3, "31-60": 0, "61-90": 0, "90+": 5}


def test_bucket_edges_are_30_60_and_90_days():
    today = date(2024, 6, 30)
    receipts = [(date(2024, 5, 31), 1), (date(2024, 5, 30), 1), (date(2024, 4, 1), 1), (date(2024, 3, 31), 1)]
    assert stock_aging(receipts, 4, today) == {"0-30": 1, "31-60": 1, "61-90": 1, "90+": 1}


def test_days_of_cover_is_available_over_daily_velocity():
    assert days_of_cover(45, 30, 30) == D("45.0")  # 1 a day
    assert days_of_cover(10, 21, 7) == D("3.3")  # 3 a day
    assert days_of_cover(10, 0, 30) is None


def test_stockout_risk_when_cover_is_shorter_than_the_lead_time():
    assert stockout_risk(D("3.3"), 7) is True
    assert stockout_risk(D("7.0"), 7) is False
    assert stockout_risk(None, 7) is False and stockout_risk(D(1), None) is False


def test_turnover_is_units_shipped_over_average_on_hand():
    assert turnover(30, 10, 20) == D("2.00")
    assert turnover(5, 0, 0) is None


def test_percentiles_use_the_nearest_rank():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(values, 50) == 5 and percentile(values, 90) == 9
    assert percentile([4.0], 90) == 4.0 and percentile([], 50) is None


def test_weeks_start_on_monday_and_empty_periods_are_listed():
    assert periods(date(2024, 6, 5), date(2024, 6, 18), "week") == [date(2024, 6, 3), date(2024, 6, 10),
                                                                     date(2024, 6, 17)]
    assert len(periods(date(2024, 6, 1), date(2024, 6, 3), "day")) == 3


def test_a_customer_whose_first_paid_order_is_in_the_period_is_new():
    assert new_or_returning(date(2024, 6, 2), date(2024, 6, 1)) == "new"
    assert new_or_returning(date(2024, 5, 31), date(2024, 6, 1)) == "returning"
