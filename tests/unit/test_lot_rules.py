"""The pure lot rules: the shipping limit from the SKU's minimum and the platform's share of the
shelf life, and the remaining-life check at receipt."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from erp_core.inventory.lot_rules import (
    ShelfLife,
    expiry_from_production,
    gtin_codes,
    receipt_shortfall,
    shipping_limit,
)

TODAY = date(2026, 12, 1)


def test_without_rules_a_lot_may_ship_until_its_expiry_day():
    assert shipping_limit(TODAY, ShelfLife()) == TODAY


def test_the_skus_minimum_days_left_sets_the_limit():
    assert shipping_limit(TODAY, ShelfLife(365, None, 30)) == TODAY + timedelta(days=30)


def test_a_platform_rule_of_two_thirds_of_the_shelf_life_is_stricter_than_a_short_minimum():
    # 67% of 360 days = 241.2 -> 242 days must be left (rounded up: never ship a day short).
    assert shipping_limit(TODAY, ShelfLife(360, None, 30), channel_percent=67) == TODAY + timedelta(days=242)


def test_a_platform_rule_needs_a_shelf_life_to_mean_anything():
    assert shipping_limit(TODAY, ShelfLife(None, None, 10), channel_percent=67) == TODAY + timedelta(days=10)


@given(shelf=st.integers(1, 2000), minimum=st.none() | st.integers(0, 2000), percent=st.none() | st.integers(1, 100))
def test_the_limit_is_never_before_today_nor_looser_than_either_rule(shelf, minimum, percent):
    limit = shipping_limit(TODAY, ShelfLife(shelf, None, minimum), channel_percent=percent)
    assert limit >= TODAY + timedelta(days=minimum or 0)
    if percent:
        assert (limit - TODAY).days >= shelf * percent / 100


def test_goods_with_less_life_left_than_the_receipt_minimum_fall_short_by_the_missing_days():
    rule = ShelfLife(365, 180, None)
    assert receipt_shortfall(TODAY, TODAY + timedelta(days=100), rule) == 80
    assert receipt_shortfall(TODAY, TODAY + timedelta(days=180), rule) is None
    assert receipt_shortfall(TODAY, None, rule) is None
    assert receipt_shortfall(TODAY, TODAY, ShelfLife()) is None


def test_the_expiry_follows_from_the_production_date_and_the_shelf_life():
    assert expiry_from_production(date(2026, 1, 1), 365) == date(2027, 1, 1)
    assert expiry_from_production(date(2026, 1, 1), None) is None


def test_a_gtin_14_may_be_stored_as_its_ean_13_or_upc_a():
    assert gtin_codes("00012345678905") == ["00012345678905", "0012345678905", "012345678905"]
    assert gtin_codes("16901234567892") == ["16901234567892"]
