"""Purchase suggestions and landed cost, with the numbers worked out by hand in each test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_core.purchasing.domain import (
    CostLine,
    SuggestionInput,
    landed_unit_costs,
    receipt_limit,
    status_after_receipt,
    suggest,
)


def _given(**changes) -> SuggestionInput:
    base = {"sku_id": 1, "shipped": 90, "window_days": 30, "lead_time_days": 10, "safety_days": 5, "cover_days": 15,
            "on_hand": 40, "reserved": 10, "in_transit": 5, "on_order": 12, "pack_size": 12, "moq": 24}
    return SuggestionInput(**{**base, **changes})


def test_the_need_is_rounded_up_to_whole_packs():
    # 90 shipped / 30 days = 3 a day; 10 + 5 + 15 = 30 days -> 90 wanted
    # position = 40 on hand - 10 reserved + 5 in transit + 12 on order = 47 -> need 43
    # 43 in packs of 12 -> 4 packs = 48 (above the MOQ of 24)
    result = suggest(_given())
    assert result.velocity == Decimal("3.0000") and result.days == 30 and result.demand == Decimal("90.00")
    assert result.position == 47 and result.need == Decimal("43.00")
    assert result.quantity == 48 and result.rounded_by == "pack"


def test_a_small_need_is_raised_to_the_minimum_order_in_whole_packs():
    # 14 shipped / 28 days = 0.5 a day; 7 + 3 + 10 = 20 days -> 10 wanted; 6 on hand -> need 4
    # 4 -> one pack of 6; the MOQ of 25 is 4.17 packs -> 5 packs = 30
    result = suggest(_given(shipped=14, window_days=28, lead_time_days=7, safety_days=3, cover_days=10, on_hand=6,
                            reserved=0, in_transit=0, on_order=0, pack_size=6, moq=25))
    assert result.need == Decimal("4.00") and result.quantity == 30 and result.rounded_by == "moq"


def test_a_fractional_need_is_rounded_up_to_a_whole_unit():
    # 10 shipped / 7 days = 1.428571... a day x 10 days = 14.2857 -> 15 units (pack 1, MOQ 1)
    result = suggest(_given(shipped=10, window_days=7, lead_time_days=10, safety_days=0, cover_days=0, on_hand=0,
                            reserved=0, in_transit=0, on_order=0, pack_size=1, moq=1))
    assert result.velocity == Decimal("1.4286") and result.need == Decimal("14.29")
    assert result.quantity == 15 and result.rounded_by == ""


def test_nothing_is_suggested_when_stock_and_orders_cover_the_need():
    # 3 a day x 30 days = 90; position = 100 - 0 + 0 + 0 = 100 -> need -10 -> nothing, MOQ or not
    result = suggest(_given(on_hand=100, reserved=0, in_transit=0, on_order=0))
    assert result.need == Decimal("-10.00") and result.quantity == 0


def test_reserved_units_do_not_count_as_available():
    # 3 a day x 30 = 90; 95 on hand but 20 reserved -> 75 -> need 15 -> pack 12 -> 24 (= the MOQ)
    result = suggest(_given(on_hand=95, reserved=20, in_transit=0, on_order=0))
    assert result.need == Decimal("15.00") and result.quantity == 24


def test_a_window_of_no_days_is_refused():
    with pytest.raises(ValueError):
        suggest(_given(window_days=0))


def test_freight_is_spread_by_line_value():
    # A: 10 x 5.00 = 50, B: 5 x 30.00 = 150; value 200; freight 20.00
    # A carries 20 x 50/200 = 5.00 -> 0.50 a unit -> 5.5000; B 15.00 -> 3.00 a unit -> 33.0000
    costs = landed_unit_costs([CostLine(1, 10, Decimal("5.00")), CostLine(2, 5, Decimal("30.00"))], Decimal("20.00"))
    assert costs == {1: Decimal("5.5000"), 2: Decimal("33.0000")}


def test_landed_cost_keeps_four_places():
    # A: 3 x 1.00 = 3, B: 7 x 1.00 = 7; freight 1.00 -> A 0.30 / 3 = 0.1 -> 1.1000; B 0.70 / 7 = 0.1 -> 1.1000
    # C alone: 3 x 2.00 = 6, freight 1.00 -> 1/3 = 0.33333 a unit -> 2.3333
    assert landed_unit_costs([CostLine(1, 3, Decimal("1.00")), CostLine(2, 7, Decimal("1.00"))], Decimal("1.00")) == {
        1: Decimal("1.1000"), 2: Decimal("1.1000")}
    assert landed_unit_costs([CostLine(3, 3, Decimal("2.00"))], Decimal("1.00")) == {3: Decimal("2.3333")}


def test_free_goods_share_the_freight_by_units():
    assert landed_unit_costs([CostLine(1, 1, Decimal("0")), CostLine(2, 3, Decimal("0"))], Decimal("8.00")) == {
        1: Decimal("2.0000"), 2: Decimal("2.0000")}


def test_the_receipt_limit_is_ordered_plus_the_tolerance_rounded_down():
    assert receipt_limit(10, 0) == 10
    assert receipt_limit(10, 10) == 11
    assert receipt_limit(10, 15) == 11  # 11.5 -> 11
    assert receipt_limit(7, 50) == 10   # 10.5 -> 10


def test_a_po_is_received_only_when_every_line_is():
    assert status_after_receipt([(10, 10), (5, 6)]) == "received"
    assert status_after_receipt([(10, 10), (5, 4)]) == "partially_received"
