"""Allocation choice: which warehouse ships an order, how it splits, what is back-ordered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erp_core.orders.regions import DEFAULT_PROVINCE_REGIONS, REGIONS, region_of
from erp_core.orders.warehouse_choice import (
    BACKORDER,
    BACKORDERED,
    EMPTY_ORDER,
    NOTHING_AVAILABLE,
    SPLIT_COMPLETE,
    SPLIT_PARTIAL,
    WHOLE_ELSEWHERE,
    WHOLE_IN_PROVINCE,
    WHOLE_IN_REGION,
    WarehouseStock,
    choose_allocation,
    merge_lines,
)

HANGZHOU = WarehouseStock("HZ", {"TEA": 50, "MUG": 10}, provinces=frozenset({"浙江省"}))
SHANGHAI = WarehouseStock("SH", {"TEA": 80, "MUG": 40}, provinces=frozenset({"上海市"}))
GUANGZHOU = WarehouseStock("GZ", {"TEA": 100, "MUG": 100}, regions=frozenset({"华南"}))


def test_the_warehouse_in_the_buyers_province_ships_the_whole_order() -> None:
    plan = choose_allocation({"TEA": 2, "MUG": 1}, [GUANGZHOU, SHANGHAI, HANGZHOU], province="浙江省")
    assert plan.parts == [("HZ", {"TEA": 2, "MUG": 1})]
    assert (plan.backordered, plan.reason, plan.complete) == ({}, WHOLE_IN_PROVINCE, True)


def test_a_short_province_name_finds_the_same_warehouse() -> None:
    assert choose_allocation({"TEA": 1}, [SHANGHAI, HANGZHOU], province="浙江").parts[0][0] == "HZ"


def test_without_a_province_warehouse_one_in_the_same_region_is_preferred() -> None:
    # given a buyer in Jiangsu (华东): Shanghai serves 华东 through its province, Guangzhou does not
    plan = choose_allocation({"TEA": 2}, [GUANGZHOU, SHANGHAI], province="江苏省")
    assert (plan.parts[0][0], plan.reason) == ("SH", WHOLE_IN_REGION)


def test_a_warehouse_declared_for_a_region_serves_every_province_in_it() -> None:
    plan = choose_allocation({"TEA": 2}, [SHANGHAI, GUANGZHOU], province="广西壮族自治区")
    assert (plan.parts[0][0], plan.reason) == ("GZ", WHOLE_IN_REGION)


def test_a_local_warehouse_that_cannot_ship_everything_loses_to_one_that_can() -> None:
    # given Hangzhou has only 10 mugs and the buyer in Zhejiang wants 20
    plan = choose_allocation({"TEA": 1, "MUG": 20}, [HANGZHOU, SHANGHAI], province="浙江省")
    assert plan.parts == [("SH", {"TEA": 1, "MUG": 20})]
    assert plan.reason == WHOLE_IN_REGION


def test_among_equals_the_lower_priority_number_then_the_bigger_stock_wins() -> None:
    far_a = WarehouseStock("A", {"TEA": 5}, priority=20)
    far_b = WarehouseStock("B", {"TEA": 9}, priority=10)
    far_c = WarehouseStock("C", {"TEA": 50}, priority=10)
    plan = choose_allocation({"TEA": 5}, [far_a, far_b, far_c], province="西藏自治区")
    assert (plan.parts[0][0], plan.reason) == ("C", WHOLE_ELSEWHERE)


def test_the_region_map_can_be_replaced() -> None:
    # given a shop that treats Jiangsu as 华北 for its own logistics contracts
    regions = {**DEFAULT_PROVINCE_REGIONS, "江苏省": "华北"}
    beijing = WarehouseStock("BJ", {"TEA": 9}, regions=frozenset({"华北"}))
    plan = choose_allocation({"TEA": 1}, [SHANGHAI, beijing], province="江苏省", province_regions=regions)
    assert plan.parts[0][0] == "BJ"


def test_when_no_warehouse_has_everything_the_order_is_split_greedily() -> None:
    # given tea only in Hangzhou and mugs only in Guangzhou
    hz = WarehouseStock("HZ", {"TEA": 5}, provinces=frozenset({"浙江省"}))
    gz = WarehouseStock("GZ", {"MUG": 5, "TOTE": 1})
    plan = choose_allocation({"TEA": 2, "MUG": 3, "TOTE": 1}, [hz, gz], province="浙江省")
    # then the warehouse covering most units goes first
    assert plan.parts == [("GZ", {"MUG": 3, "TOTE": 1}), ("HZ", {"TEA": 2})]
    assert (plan.backordered, plan.reason, plan.is_split) == ({}, SPLIT_COMPLETE, True)


def test_what_no_warehouse_has_is_back_ordered_in_a_split() -> None:
    hz = WarehouseStock("HZ", {"TEA": 1, "MUG": 2})
    plan = choose_allocation({"TEA": 3, "MUG": 2, "RARE": 1}, [hz])
    assert plan.parts == [("HZ", {"TEA": 1, "MUG": 2})]
    assert (plan.backordered, plan.reason) == ({"TEA": 2, "RARE": 1}, SPLIT_PARTIAL)


def test_in_backorder_mode_an_order_no_warehouse_can_ship_whole_waits_entirely() -> None:
    hz = WarehouseStock("HZ", {"TEA": 5})
    gz = WarehouseStock("GZ", {"MUG": 5})
    plan = choose_allocation({"TEA": 1, "MUG": 1}, [hz, gz], mode=BACKORDER)
    assert (plan.parts, plan.backordered, plan.reason) == ([], {"TEA": 1, "MUG": 1}, BACKORDERED)


def test_nothing_in_stock_anywhere_backorders_everything() -> None:
    plan = choose_allocation({"TEA": 1}, [WarehouseStock("HZ", {"TEA": 0})])
    assert (plan.parts, plan.backordered, plan.reason) == ([], {"TEA": 1}, NOTHING_AVAILABLE)


def test_an_empty_order_needs_no_warehouse() -> None:
    assert choose_allocation({}, [HANGZHOU]).reason == EMPTY_ORDER


@pytest.mark.parametrize("quantity", [0, -1])
def test_non_positive_quantities_are_a_programming_error(quantity: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        choose_allocation({"TEA": quantity}, [HANGZHOU])


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        choose_allocation({"TEA": 1}, [HANGZHOU], mode="magic")  # type: ignore[arg-type]


def test_lines_of_the_same_sku_are_merged() -> None:
    assert merge_lines([("TEA", 2), ("MUG", 1), ("TEA", 3)]) == {"TEA": 5, "MUG": 1}


def test_every_province_has_one_of_the_seven_regions() -> None:
    assert len(DEFAULT_PROVINCE_REGIONS) == 34
    assert set(DEFAULT_PROVINCE_REGIONS.values()) == set(REGIONS)
    assert region_of("广东") == "华南" and region_of("Heilongjiang") == "东北" and region_of("CN-SC") == "西南"


# --- properties ----------------------------------------------------------------------------------

skus = st.sampled_from(["TEA", "MUG", "TOTE", "SOCK"])
order_lines = st.dictionaries(skus, st.integers(1, 20), min_size=1)
warehouses = st.lists(
    st.builds(
        WarehouseStock,
        warehouse_id=st.sampled_from(["HZ", "SH", "GZ", "BJ", "CD", "SY"]),
        available=st.dictionaries(skus, st.integers(-2, 25)),
        provinces=st.frozensets(st.sampled_from(["浙江省", "上海市", "广东省", "北京市", "四川省"]), max_size=2),
        regions=st.frozensets(st.sampled_from(REGIONS), max_size=2),
        priority=st.integers(1, 5),
    ),
    max_size=5,
    unique_by=lambda w: w.warehouse_id,
)
provinces = st.sampled_from(["", "浙江省", "上海", "广东省", "新疆维吾尔自治区", "Atlantis"])
modes = st.sampled_from(["split", "backorder"])


@settings(max_examples=300)
@given(lines=order_lines, stock=warehouses, province=provinces, mode=modes)
def test_a_plan_never_allocates_more_than_a_warehouse_has(lines: dict[str, int], stock: list[WarehouseStock],
                                                          province: str, mode: str) -> None:
    plan = choose_allocation(lines, stock, province=province, mode=mode)  # type: ignore[arg-type]
    by_id = {w.warehouse_id: w for w in stock}
    assert len({warehouse_id for warehouse_id, _ in plan.parts}) == len(plan.parts)
    for warehouse_id, quantities in plan.parts:
        for sku, quantity in quantities.items():
            assert 0 < quantity <= by_id[warehouse_id].available.get(sku, 0)


@settings(max_examples=300)
@given(lines=order_lines, stock=warehouses, province=provinces, mode=modes)
def test_allocated_plus_backordered_is_exactly_what_was_ordered(lines: dict[str, int],
                                                                stock: list[WarehouseStock],
                                                                province: str, mode: str) -> None:
    plan = choose_allocation(lines, stock, province=province, mode=mode)  # type: ignore[arg-type]
    allocated = plan.allocated
    for sku in set(lines) | set(allocated) | set(plan.backordered):
        assert allocated.get(sku, 0) + plan.backordered.get(sku, 0) == lines.get(sku, 0)
    assert all(quantity > 0 for quantity in plan.backordered.values())


@settings(max_examples=300)
@given(lines=order_lines, stock=warehouses, province=provinces)
def test_a_split_covers_everything_that_is_available_somewhere(lines: dict[str, int],
                                                               stock: list[WarehouseStock],
                                                               province: str) -> None:
    plan = choose_allocation(lines, stock, province=province)
    for sku, quantity in lines.items():
        anywhere = sum(max(0, w.available.get(sku, 0)) for w in stock)
        assert plan.allocated.get(sku, 0) == min(quantity, anywhere)


@settings(max_examples=300)
@given(lines=order_lines, stock=warehouses, province=provinces, mode=modes)
def test_an_order_one_warehouse_can_ship_is_never_split(lines: dict[str, int], stock: list[WarehouseStock],
                                                       province: str, mode: str) -> None:
    can_ship_whole = any(all(w.available.get(s, 0) >= q for s, q in lines.items()) for w in stock)
    plan = choose_allocation(lines, stock, province=province, mode=mode)  # type: ignore[arg-type]
    if can_ship_whole:
        assert len(plan.parts) == 1 and plan.complete
    elif mode == BACKORDER:
        assert plan.parts == [] and plan.backordered == lines
