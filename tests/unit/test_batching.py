"""Order batching: capacity, completeness, travel against FCFS and determinism."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wms.locations.geometry import henn_waescher_layout, storage_bins
from wms.picking.batching import METHODS, Order, OrderTooLargeForCart, plan_batches
from wms.picking.routing import route_length, s_shape_route

LAYOUT = henn_waescher_layout()
BINS = storage_bins(LAYOUT)


def make_orders(seed: int, count: int, lines: tuple[int, int] = (5, 25)) -> list[Order]:
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        picks = tuple(rng.sample(BINS, rng.randint(*lines)))
        orders.append(Order(id=f"SO{n:04d}", picks=picks, size=len(picks)))
    return orders


@st.composite
def batching_cases(draw):
    capacity = draw(st.integers(1, 60))
    count = draw(st.integers(0, 25))
    orders = []
    for n in range(count):
        picks = draw(st.lists(st.sampled_from(BINS), min_size=0, max_size=8))
        size = draw(st.integers(0, capacity))
        orders.append(Order(id=f"O{n}", picks=tuple(picks), size=size))
    return orders, capacity, draw(st.sampled_from(METHODS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batching_cases())
def test_every_order_is_in_exactly_one_batch_and_no_cart_is_overfilled(case):
    orders, capacity, method = case
    plan = plan_batches(orders, capacity, layout=LAYOUT, method=method)
    placed = Counter(o.id for b in plan.batches for o in b.orders)
    assert placed == Counter(o.id for o in orders)
    assert all(b.size <= capacity for b in plan.batches)
    assert all(b.orders for b in plan.batches)


def test_each_batch_route_visits_every_pick_of_its_orders():
    plan = plan_batches(make_orders(1, 30), 45, layout=LAYOUT)
    for batch in plan.batches:
        assert Counter(batch.route.picks) == Counter(p for o in batch.orders for p in o.picks)
        assert batch.length == pytest.approx(route_length(LAYOUT, batch.route.path), abs=1e-9)
    assert plan.total_length == pytest.approx(sum(b.length for b in plan.batches))


def test_fcfs_fills_each_cart_in_arrival_order_until_the_next_order_does_not_fit():
    orders = [Order(f"O{i}", (BINS[i],), size) for i, size in enumerate([20, 20, 10, 30, 15, 40])]
    plan = plan_batches(orders, 45, layout=LAYOUT, method="fcfs")
    assert [[o.id for o in b.orders] for b in plan.batches] == [["O0", "O1"], ["O2", "O3"], ["O4"], ["O5"]]


@pytest.mark.parametrize("method", ["seed", "savings", "seed+local", "savings+local"])
def test_smarter_batching_travels_less_than_fcfs_on_a_seeded_instance(method):
    orders = make_orders(42, 40)
    fcfs = plan_batches(orders, 45, layout=LAYOUT, method="fcfs").total_length
    assert plan_batches(orders, 45, layout=LAYOUT, method=method).total_length < fcfs


def test_savings_with_local_search_saves_at_least_a_tenth_of_fcfs_travel():
    orders = make_orders(7, 60)
    fcfs = plan_batches(orders, 60, layout=LAYOUT, method="fcfs").total_length
    assert plan_batches(orders, 60, layout=LAYOUT, method="savings+local").total_length <= 0.9 * fcfs


@pytest.mark.parametrize("construction", ["seed", "savings"])
def test_local_search_never_makes_the_total_travel_longer(construction):
    for seed in range(3):
        orders = make_orders(seed, 30)
        before = plan_batches(orders, 75, layout=LAYOUT, method=construction).total_length
        after = plan_batches(orders, 75, layout=LAYOUT, method=f"{construction}+local").total_length
        assert after <= before + 1e-9


def test_batching_is_deterministic_for_a_seed():
    first = plan_batches(make_orders(5, 50), 45, layout=LAYOUT)
    again = plan_batches(make_orders(5, 50), 45, layout=LAYOUT)
    assert first == again


def test_batches_are_routed_with_the_router_given():
    plan = plan_batches(make_orders(3, 12), 45, layout=LAYOUT, router=s_shape_route)
    assert {b.route.method for b in plan.batches} == {"s-shape"}


def test_an_order_larger_than_the_cart_is_refused():
    with pytest.raises(OrderTooLargeForCart):
        plan_batches([Order("big", (BINS[0],), 46)], 45, layout=LAYOUT)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown batching method"):
        plan_batches(make_orders(1, 3), 45, layout=LAYOUT, method="random")


def test_duplicate_order_ids_are_refused():
    order = make_orders(1, 1)[0]
    with pytest.raises(ValueError, match="unique"):
        plan_batches([order, order], 45, layout=LAYOUT)
