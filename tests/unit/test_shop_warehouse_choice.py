"""A shop's own warehouse ships its orders when it can ship them whole; otherwise allocation's usual
rules decide (erp_core.orders.warehouse_choice, ``preferred``)."""

from __future__ import annotations

from erp_core.orders.warehouse_choice import (
    SPLIT_COMPLETE,
    WHOLE_IN_PROVINCE,
    WHOLE_IN_SHOP_WAREHOUSE,
    WarehouseStock,
    choose_allocation,
)

HANGZHOU = WarehouseStock("HZ", {"TEA": 50, "MUG": 10}, provinces=frozenset({"浙江省"}))
SHENZHEN = WarehouseStock("SZ", {"TEA": 5, "MUG": 1}, provinces=frozenset({"广东省"}))


def test_the_shops_warehouse_ships_the_whole_order_even_when_another_is_nearer_the_buyer() -> None:
    plan = choose_allocation({"TEA": 2, "MUG": 1}, [HANGZHOU, SHENZHEN], province="浙江省", preferred="SZ")
    assert plan.parts == [("SZ", {"TEA": 2, "MUG": 1})] and plan.reason == WHOLE_IN_SHOP_WAREHOUSE


def test_when_the_shops_warehouse_cannot_fill_the_order_the_usual_choice_applies() -> None:
    plan = choose_allocation({"TEA": 6}, [HANGZHOU, SHENZHEN], province="浙江省", preferred="SZ")
    assert plan.parts == [("HZ", {"TEA": 6})] and plan.reason == WHOLE_IN_PROVINCE


def test_a_shops_warehouse_that_can_fill_nothing_whole_does_not_change_a_split() -> None:
    plan = choose_allocation({"TEA": 50, "MUG": 11}, [HANGZHOU, SHENZHEN], preferred="SZ")
    assert plan.reason == SPLIT_COMPLETE and plan.parts[0][0] == "HZ"
