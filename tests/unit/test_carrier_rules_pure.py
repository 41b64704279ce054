"""Carriers' check rules (UPU S10, UPS 1Z, Luhn, GS1 mod 10), number ranges and lists, the carrier
choice by rules with its explanation, and the cost table: pure functions, no app."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wms.shipping.carrier_choice import BadCostTable, Parcel, RuleSpec, choose, parse_cost_table, shipping_cost
from wms.shipping.check_rules import (
    BadRange,
    NumberRange,
    invalid_reason,
    parse_list,
    s10_check_digit,
    ups_check_digit,
    with_check_digit,
)


def test_the_s10_check_digit_follows_the_upu_weights():
    # 4*8 + 7*6 + 3*4 + 1*2 + 2*3 + 4*5 + 8*9 + 2*7 = 200; 11 - 200 mod 11 = 9
    assert s10_check_digit("47312482") == "9"
    assert s10_check_digit("12345678") == "5"


def test_an_s10_remainder_of_one_gives_0_and_of_zero_gives_5():
    assert s10_check_digit("00000000") == "5"  # S = 0: C = 11 -> 5
    assert s10_check_digit("00060000") == "0"  # S = 6 * 2 = 12, 12 mod 11 = 1: C = 10 -> 0


def test_an_ems_number_with_its_right_check_digit_is_good_and_a_wrong_one_is_not():
    assert invalid_reason("s10", "AB123456785CN") is None
    assert invalid_reason("s10", "EA473124829CN") is None
    assert invalid_reason("s10", "AB123456784CN") == "bad_check_digit"
    assert invalid_reason("s10", "AB12345678CN") == "bad_format"
    assert invalid_reason("s10", "ab123456785cn") == "bad_characters"  # numbers are normalised before


def test_a_ups_1z_number_is_checked_with_letters_counted_as_digits():
    assert ups_check_digit("999AA1012345678") == "4"
    assert invalid_reason("ups_1z", "1Z999AA10123456784") is None
    assert invalid_reason("ups_1z", "1Z999AA10123456785") == "bad_check_digit"
    assert invalid_reason("ups_1z", "2Z999AA10123456784") == "bad_format"


def test_luhn_and_gs1_numbers_are_checked_by_python_stdnum():
    assert invalid_reason("luhn", "79927398713") is None
    assert invalid_reason("luhn", "79927398710") == "bad_check_digit"
    assert invalid_reason("gs1_mod10", "4006381333931") is None
    assert invalid_reason("gs1_mod10", "4006381333932") == "bad_check_digit"
    assert invalid_reason("gs1_mod10", "40063813339A1") == "bad_format"


def test_carriers_without_a_public_rule_only_have_their_characters_checked():
    assert invalid_reason("none", "ZT7000000001") is None
    assert invalid_reason("none", "ZT-7000") == "bad_characters"
    assert invalid_reason("none", "12345") == "bad_characters"


def test_a_range_expands_zero_padded_with_prefix_and_suffix():
    numbers = NumberRange("ZT", "0000000098", "0000000101").numbers("none")
    assert numbers == ["ZT0000000098", "ZT0000000099", "ZT0000000100", "ZT0000000101"]


def test_an_s10_range_gets_each_check_digit_before_its_country_code():
    numbers = NumberRange("EA", "47312482", "47312483", suffix="CN", add_check_digit=True).numbers("s10")
    assert numbers[0] == "EA473124829CN"
    assert all(invalid_reason("s10", n) is None for n in numbers)


@pytest.mark.parametrize(("start", "end", "reason"), [
    ("10", "9", "range_reversed"), ("1", "x", "range_not_digits"), ("0", "100000", "range_too_large"),
    ("1", "100", "range_wider_than_start")])
def test_a_bad_range_is_refused_with_its_reason(start, end, reason):
    with pytest.raises(BadRange) as refused:
        NumberRange("ZT", start, end).numbers("none")
    assert refused.value.reason == reason


def test_a_check_digit_cannot_be_added_for_a_carrier_without_a_rule():
    with pytest.raises(BadRange):
        with_check_digit("none", "ZT00001")


def test_a_pasted_list_keeps_its_line_numbers_and_reads_a_csv_first_column():
    text = "ZT0001 \n\n zt0002,extra\n\"ZT0003\";x\n"
    assert parse_list(text) == [(1, "ZT0001"), (3, "ZT0002"), (4, "ZT0003")]


RULES = [
    RuleSpec(id=1, priority=50, carrier_id=10, carrier_code="ZTO"),
    RuleSpec(id=2, priority=10, carrier_id=20, carrier_code="SF", provinces=frozenset({"北京", "上海"}),
             max_weight_g=1000),
    RuleSpec(id=3, priority=20, carrier_id=30, carrier_code="EMS", warehouse_id=7, warehouse_code="SZ1"),
]


def test_the_lowest_priority_number_that_matches_wins_and_says_why():
    choice = choose(RULES, Parcel(warehouse_id=1, channel_id=None, province="上海市", weight_g=800))
    assert choice.carrier_id == 20
    assert choice.note == "rule #2 (priority 10): province 上海市; weight 800 g in 0-1000 g"


def test_a_heavier_parcel_falls_through_to_the_next_rule():
    choice = choose(RULES, Parcel(warehouse_id=1, channel_id=None, province="上海市", weight_g=1200))
    assert (choice.carrier_id, choice.note) == (10, "rule #1 (priority 50): any order")


def test_a_warehouse_rule_matches_only_its_warehouse():
    assert choose(RULES, Parcel(warehouse_id=7, channel_id=None, province="广东省", weight_g=100)).rule_id == 3
    assert choose(RULES[2:], Parcel(warehouse_id=1, channel_id=None, province="广东省", weight_g=100)) is None


TABLE = '{"default": [[1000, "5"], [3000, "8.5"], [null, "12"]], "新疆": [[1000, "15"]]}'


def test_the_cost_is_the_first_bracket_that_holds_the_weight():
    assert shipping_cost(TABLE, "上海", 1000) == Decimal("5.00")
    assert shipping_cost(TABLE, "上海", 1001) == Decimal("8.50")
    assert shipping_cost(TABLE, "上海", 9000) == Decimal("12.00")


def test_a_province_with_its_own_table_uses_it_and_has_no_price_beyond_it():
    assert shipping_cost(TABLE, "新疆维吾尔自治区", 500) == Decimal("15.00")
    assert shipping_cost(TABLE, "新疆", 2000) is None
    assert shipping_cost("{}", "上海", 100) is None


@pytest.mark.parametrize("text", ['[1, 2]', '{"default": [[0, "5"]]}', '{"default": [[100, "x"]]}',
                                  '{"default": [[100, "-1"]]}', '{"default": 5}', "{"])
def test_a_bad_cost_table_is_refused(text):
    with pytest.raises(BadCostTable):
        parse_cost_table(text)
