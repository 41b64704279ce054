"""The pack station's steps, pure: units counted into packages, wrong/extra/too many refused with what
is expected, packages opened and weighed, the order a cart's unit is for; and reading a scale."""

from __future__ import annotations

import pytest

from erp_core.errors import DomainError
from wms.shipping.pack_steps import (
    LineToPack,
    PackageProgress,
    PackState,
    WaitingOrder,
    count_units,
    is_complete,
    left_summary,
    next_to_weigh,
    open_package,
    order_for_unit,
    packages_to_pack,
    unweighed,
    weigh,
)
from wms.shipping.scale import parse_weight

LINES = [LineToPack(10, 1, "A", 1), LineToPack(11, 2, "B", 2)]


def _counted(*scans) -> PackState:
    state = PackState()
    for sku_id, qty in scans:
        step = count_units(state, LINES, sku_id, "scan", qty)
        assert not isinstance(step, DomainError), step
        state = step.state
    return state


def test_a_scanned_unit_is_counted_into_the_open_package():
    step = count_units(PackState(), LINES, 2, "BC-B")
    assert step.say == "counted" and step.params == {"sku": "B", "n": 1, "of": 2}
    assert step.state.counted() == {11: 1} and left_summary(step.state, LINES) == "A ×1, B ×1"


def test_the_last_unit_completes_the_order():
    step = count_units(_counted((1, 1), (2, 1)), LINES, 2, "BC-B")
    assert step.say == "complete" and is_complete(step.state, LINES)


def test_a_typed_quantity_counts_a_multiple_at_once():
    assert _counted((2, 2)).counted() == {11: 2}


def test_an_item_the_order_does_not_hold_is_refused_with_what_is_expected():
    refused = count_units(_counted((1, 1)), LINES, 3, "BC-C")
    assert refused.code == "wrong_item" and refused.details["expected"] == "B ×2"


def test_an_item_whose_units_are_all_counted_is_refused_as_extra():
    refused = count_units(_counted((1, 1)), LINES, 1, "A")
    assert refused.code == "pack_extra_item" and refused.details["expected"] == "B ×2"


def test_more_units_than_are_left_are_refused_and_a_zero_quantity_too():
    assert count_units(_counted((2, 1)), LINES, 2, "B", 2).code == "pack_units_over"
    assert count_units(PackState(), LINES, 2, "B", 0).code == "bad_quantity"


def test_a_sku_on_two_lines_fills_them_in_order():
    lines = [LineToPack(1, 7, "K-PART", 1), LineToPack(2, 7, "K-PART", 2)]
    step = count_units(PackState(), lines, 7, "x", 3)
    assert step.state.counted() == {1: 1, 2: 2} and step.say == "complete"


def test_units_after_a_new_package_go_into_it():
    step = open_package(_counted((1, 1)), LINES)
    assert step.say == "package_opened" and step.params == {"n": 2}
    state = count_units(step.state, LINES, 2, "B", 2).state
    assert [dict(p.lines) for p in state.packages] == [{10: 1}, {11: 2}]


def test_a_new_package_needs_units_in_the_open_one_and_units_left():
    assert open_package(PackState(), LINES).code == "pack_package_empty"
    assert open_package(_counted((1, 1), (2, 2)), LINES).code == "pack_nothing_left"


def test_weighing_before_everything_is_counted_is_refused():
    refused = weigh(_counted((1, 1)), LINES, 0, None, 400)
    assert refused.code == "pack_units_left" and refused.details["skus"] == "B ×2"


def test_each_package_is_weighed_and_the_last_weight_packs_the_order():
    state = count_units(open_package(_counted((1, 1)), LINES).state, LINES, 2, "B", 2).state
    first = weigh(state, LINES, 0, 5, 380)
    assert first.say == "weigh_next" and first.params == {"n": 2} and not first.confirm
    last = weigh(first.state, LINES, 1, 5, 140)
    assert last.confirm and next_to_weigh(last.state) is None
    assert packages_to_pack(last.state) == [(5, 380, {10: 1}), (5, 140, {11: 2})]


def test_a_weight_of_nothing_or_a_package_that_is_not_there_is_refused():
    state = _counted((1, 1), (2, 2))
    assert weigh(state, LINES, 0, None, 0).code == "weight_required"
    assert weigh(state, LINES, 3, None, 100).code == "pack_no_such_package"


def test_after_a_failed_weight_check_every_package_is_weighed_again():
    state = PackState((PackageProgress({10: 1}, 5, 300), PackageProgress({11: 2}, 5, 100)))
    again = unweighed(state)
    assert next_to_weigh(again) == 0 and again.counted() == state.counted()


def test_the_state_survives_its_json_round_trip():
    state = PackState((PackageProgress({10: 1}, 5, 300), PackageProgress({11: 2})))
    assert PackState.from_json(state.to_json()) == state
    assert PackState.from_json(None) == PackState() and PackState.from_json({"packages": []}) == PackState()


def test_a_unit_from_a_cart_opens_the_oldest_order_waiting_for_it():
    waiting = [WaitingOrder(3, (2,), {1: 1, 2: 1}), WaitingOrder(4, (1,), {2: 1}), WaitingOrder(5, (0,), {1: 1})]
    assert order_for_unit(waiting, 2).order_id == 4
    assert order_for_unit(waiting, 1).order_id == 5
    assert order_for_unit(waiting, 9) is None and order_for_unit(waiting, None) is None


def test_one_scan_packing_takes_only_orders_of_that_sku_alone():
    waiting = [WaitingOrder(3, (0,), {1: 1, 2: 1}), WaitingOrder(4, (1,), {1: 2})]
    assert order_for_unit(waiting, 1, single_only=True).order_id == 4
    assert order_for_unit(waiting, 2, single_only=True) is None


@pytest.mark.parametrize(("typed", "grams"), [
    ("1.234 kg", 1234), ("1234 g", 1234), ("1234", 1234), ("0.55", 550), ("0,55kg", 550), (" 2 KG ", 2000),
    ("ST,GS,+  0.550kg", 550), ("1.5公斤", 1500), ("380克", 380), ("0.0004 kg", 0), ("12.6 g", 13),
])
def test_a_weight_is_read_as_the_scale_or_the_packer_types_it(typed, grams):
    assert parse_weight(typed) == grams


@pytest.mark.parametrize("typed", ["", "kg", "abc", "-1 kg", "1.2 lb", "2000 kg", "1.2.3"])
def test_what_is_no_weight_is_refused(typed):
    with pytest.raises(DomainError) as refused:
        parse_weight(typed)
    assert refused.value.code == "bad_weight"
