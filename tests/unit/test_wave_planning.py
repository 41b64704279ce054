"""Wave planning: selection by the supervisor's rules, wave types by order shape, carts within limits."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wms.locations.geometry import PickPoint, henn_waescher_layout
from wms.picking.planning import OrderForWave, WaveRules, propose_waves, select_orders, split_by_shape

LAYOUT = henn_waescher_layout()
T0 = datetime(2026, 11, 23, 8, 0)


def order(oid, lines, *, carrier="SF", priority=0, ship_by=None, channel="TM", zone="A"):
    rng = random.Random(oid)
    picks = tuple(PickPoint(rng.randrange(10), float(rng.randrange(1, 46)), f"{zone}:B{oid}-{i}")
                  for i, (_sku, _q) in enumerate(lines))
    return OrderForWave(oid, picks, tuple(lines), carrier, priority, ship_by, channel, frozenset({zone}))


def test_orders_are_taken_by_priority_then_cut_off_then_age():
    orders = [order(1, [(7, 1)]), order(2, [(7, 1)], priority=5),
              order(3, [(7, 1)], ship_by=T0), order(4, [(7, 1)], ship_by=T0 - timedelta(hours=1))]
    chosen, _ = select_orders(orders, WaveRules())
    assert [o.order_id for o in chosen] == [2, 4, 3, 1]


def test_rules_select_carrier_channel_and_cut_off():
    orders = [order(1, [(7, 1)], carrier="SF", ship_by=T0), order(2, [(7, 1)], carrier="YTO", ship_by=T0),
              order(3, [(7, 1)], carrier="SF", ship_by=T0 + timedelta(hours=5)), order(4, [(7, 1)], channel="JD")]
    chosen, _ = select_orders(orders, WaveRules(carriers=frozenset({"SF"}), ship_by_until=T0 + timedelta(hours=1)))
    assert [o.order_id for o in chosen] == [1]


def test_unreserved_and_oversized_orders_are_reported_not_dropped():
    unreserved = OrderForWave(9, (), ((7, 1),))
    huge = order(10, [(7, 50)])
    chosen, excluded = select_orders([unreserved, huge, order(11, [(7, 1)])], WaveRules(cart_items=45))
    assert [o.order_id for o in chosen] == [11]
    assert excluded == {9: "not_reserved", 10: "larger_than_cart"}


def test_a_full_wave_reports_the_orders_left_for_the_next():
    chosen, excluded = select_orders([order(i, [(7, 1)]) for i in range(5)], WaveRules(max_orders=3))
    assert len(chosen) == 3 and set(excluded.values()) == {"wave_full"}


def test_many_orders_of_one_sku_make_a_bulk_wave_and_the_rest_split_by_shape():
    hot = [order(i, [(42, 1)]) for i in range(12)]
    singles = [order(100, [(5, 1)]), order(101, [(6, 1)])]
    multi = [order(200, [(5, 1), (6, 2)])]
    shapes = split_by_shape(hot + singles + multi, WaveRules(bulk_sku_threshold=10))
    assert {k: len(v) for k, v in shapes.items()} == {"single_sku:42": 12, "single": 2, "cluster": 1}


def test_cluster_carts_respect_items_and_slots():
    orders = [order(i, [(i, 2), (i + 1000, 1)]) for i in range(30)]
    plan = propose_waves(orders, WaveRules(cart_items=20, cart_slots=5), LAYOUT)
    (wave,) = plan.waves
    assert wave.kind == "cluster"
    assert all(cart.items <= 20 and len(cart.order_ids) <= 5 for cart in wave.carts)
    assert sorted(i for cart in wave.carts for i in cart.order_ids) == list(range(30))
    assert wave.distance_m == round(sum(c.route.length for c in wave.carts), 1) and wave.minutes > 0


def test_zone_picking_makes_one_pick_list_per_zone():
    orders = [order(1, [(1, 1), (2, 1)], zone="A"), order(2, [(3, 1), (4, 1)], zone="B")]
    plan = propose_waves(orders, WaveRules(multi_item_mode="zone"), LAYOUT)
    (wave,) = plan.waves
    assert wave.kind == "zone" and sorted(c.zone for c in wave.carts) == ["A", "B"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 3)), min_size=1, max_size=40),
       st.integers(5, 40), st.integers(2, 10))
def test_every_selected_order_lands_in_exactly_one_cart(shapes, cart_items, slots):
    orders = [order(i, [(sku + i % 3, qty)] * (1 + i % 2)) for i, (sku, qty) in enumerate(shapes)]
    rules = WaveRules(cart_items=cart_items, cart_slots=slots, bulk_sku_threshold=4)
    plan = propose_waves(orders, rules, LAYOUT)
    placed = [i for wave in plan.waves for cart in wave.carts for i in cart.order_ids]
    assert sorted(placed) == sorted(set(placed))
    assert set(placed) | set(plan.excluded) == {o.order_id for o in orders}
    for wave in plan.waves:
        for cart in wave.carts:
            assert cart.items <= cart_items
            assert cart.route.visits[0] == LAYOUT.depot and cart.route.visits[-1] == LAYOUT.depot


def test_carts_respect_weight_and_volume_limits():
    from dataclasses import replace

    orders = [replace(order(i, [(i, 1), (i + 500, 1)]), weight_g=4000, volume_cm3=9000) for i in range(10)]
    plan = propose_waves(orders, WaveRules(cart_items=40, cart_slots=12, cart_weight_g=10_000,
                                           cart_volume_cm3=20_000), LAYOUT)
    (wave,) = plan.waves
    by_id = {o.order_id: o for o in orders}
    for cart in wave.carts:
        assert sum(by_id[i].weight_g for i in cart.order_ids) <= 10_000
        assert sum(by_id[i].volume_cm3 for i in cart.order_ids) <= 20_000
    assert sorted(i for c in wave.carts for i in c.order_ids) == list(range(10))


def test_an_order_heavier_than_a_cart_is_reported():
    from dataclasses import replace

    heavy = replace(order(1, [(1, 1)]), weight_g=50_000)
    _chosen, excluded = select_orders([heavy], WaveRules(cart_weight_g=30_000))
    assert excluded == {1: "larger_than_cart"}
