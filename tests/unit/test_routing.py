"""Pick-path routing: geometry, the exact programme and the heuristics."""

from __future__ import annotations

import random
from collections import Counter
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wms.locations.geometry import Layout, PickPoint, distance, henn_waescher_layout, storage_bins
from wms.picking.routing import (
    ROUTERS,
    Route,
    best_route,
    combined_length,
    combined_route,
    exact_route,
    exact_route_length,
    extents_of,
    largest_gap_route,
    local_search_route,
    route_length,
    s_shape_route,
)

SMALL = Layout(aisle_xs=(0.0, 5.0, 10.0), aisle_length=10.0)


def brute_force_length(layout: Layout, picks: list[PickPoint]) -> float:
    spots = list({p.location: p for p in picks}.values())
    return min(route_length(layout, [layout.depot, *order, layout.depot]) for order in permutations(spots))


def with_depot(layout: Layout, depot: PickPoint) -> Layout:
    return Layout(layout.aisle_xs, layout.aisle_length, layout.middle_cross_aisles, depot, layout.slot_ys)


def assert_is_a_valid_route(layout: Layout, picks: list[PickPoint], route: Route) -> None:
    assert route.visits[0] == layout.depot and route.visits[-1] == layout.depot
    assert route.path[0] == layout.depot and route.path[-1] == layout.depot
    assert Counter(route.picks) == Counter(picks)
    assert route.length == pytest.approx(route_length(layout, route.path), abs=1e-9)
    assert route_length(layout, route.visits) <= route.length + 1e-9
    walk = iter(route.path)
    assert all(any(v == q for q in walk) for v in route.visits), "visits must be in the walk, in order"


# --- geometry ----------------------------------------------------------------------------------


def test_walking_within_one_aisle_is_a_straight_line():
    assert distance(SMALL, PickPoint(1, 2.0), PickPoint(1, 9.5)) == 7.5


def test_walking_between_aisles_leaves_by_the_nearer_cross_aisle():
    # given two picks near the front of aisles 0 and 2, and two near the back
    # then the walk goes round the front for the first pair and round the back for the second
    assert distance(SMALL, PickPoint(0, 2.0), PickPoint(2, 3.0)) == 10.0 + 2.0 + 3.0
    assert distance(SMALL, PickPoint(0, 8.0), PickPoint(2, 9.0)) == 10.0 + 2.0 + 1.0


def test_a_middle_cross_aisle_is_a_shortcut_between_aisles():
    multi = Layout(aisle_xs=(0.0, 5.0), aisle_length=10.0, middle_cross_aisles=(5.0,))
    assert distance(multi, PickPoint(0, 4.0), PickPoint(1, 6.0)) == 5.0 + 2.0
    assert distance(multi, PickPoint(0, 3.0), PickPoint(1, 4.0)) == 5.0 + 3.0


def test_the_henn_waescher_layout_has_900_bins_in_ten_aisles_47_m_long():
    layout = henn_waescher_layout()
    assert len(storage_bins(layout)) == 900
    assert layout.aisle_xs == tuple(5.0 * i for i in range(10))
    assert layout.aisle_length == 47.0 and layout.blocks == 1
    assert layout.depot == PickPoint(0, 0.0, "depot")


def test_a_henn_waescher_layout_with_two_blocks_has_a_middle_cross_aisle():
    layout = henn_waescher_layout(blocks=2)
    assert layout.blocks == 2 and layout.aisle_length == 49.0
    assert layout.middle_cross_aisles == (25.0,)
    assert all(not 24.0 < y < 26.0 for y in layout.slot_ys)


def test_a_pick_outside_the_layout_is_refused():
    with pytest.raises(ValueError):
        exact_route(SMALL, [PickPoint(3, 1.0)])
    with pytest.raises(ValueError):
        s_shape_route(SMALL, [PickPoint(0, 11.0)])


# --- exact ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_exact_route_matches_brute_force_on_small_instances(blocks):
    # given seeded pick lists of up to 8 bins, sometimes with the depot away from the front corner
    layout = henn_waescher_layout(aisles=6, bins_per_aisle=20, blocks=blocks)
    bins = storage_bins(layout)
    rng = random.Random(blocks)
    for case in range(40):
        size = 8 if case % 10 == 0 else rng.randint(1, 7)
        picks = rng.sample(bins, size)
        depot = PickPoint(rng.randrange(6), rng.choice([0.0, layout.aisle_length, layout.slot_ys[3]]))
        instance = layout if case % 2 else with_depot(layout, depot)
        # when routed exactly
        route = exact_route(instance, picks)
        # then it is as short as the best of all visit orders, and its visit order has that length
        assert route.length == pytest.approx(brute_force_length(instance, picks), abs=1e-9)
        assert route_length(instance, route.visits) == pytest.approx(route.length, abs=1e-9)
        assert_is_a_valid_route(instance, picks, route)


def test_exact_route_reconstructs_a_visit_order_as_long_as_the_optimum():
    layout = henn_waescher_layout()
    rng = random.Random(7)
    for _ in range(20):
        picks = rng.sample(storage_bins(layout), 40)
        route = exact_route(layout, picks)
        assert route.path == route.visits
        assert route.length == pytest.approx(exact_route_length(layout, picks), abs=1e-9)


def test_returning_into_aisles_beats_walking_through_them_when_picks_are_near_the_front():
    # given one pick near the front of the first and of the last aisle
    picks = [PickPoint(0, 2.0), PickPoint(2, 2.0)]
    # then the optimum and combined go in and back, S-shape and largest gap walk each aisle through
    assert exact_route(SMALL, picks).length == 2 * 2.0 + 10.0 + 2 * 2.0 + 10.0
    assert combined_route(SMALL, picks).length == 28.0
    assert s_shape_route(SMALL, picks).length == 10.0 + 10.0 + 10.0 + 10.0
    assert largest_gap_route(SMALL, picks).length == 40.0


def test_an_empty_pick_list_is_a_route_that_never_leaves_the_depot():
    for name, router in ROUTERS.items():
        route = router(SMALL, [])
        assert route.visits == (SMALL.depot, SMALL.depot), name
        assert route.length == 0.0


def test_picks_at_one_location_are_picked_in_one_stop():
    left, right = PickPoint(1, 4.5, "A02-L-04"), PickPoint(1, 4.5, "A02-R-04")
    picks = [left, PickPoint(2, 7.0), right]
    for name, router in ROUTERS.items():
        order = list(router(SMALL, picks).picks)
        assert abs(order.index(left) - order.index(right)) == 1, name


# --- every method ----------------------------------------------------------------------------------


@st.composite
def routing_cases(draw, max_blocks=3):
    aisles = draw(st.integers(1, 7))
    bins = draw(st.integers(4, 24))
    blocks = draw(st.integers(1, min(max_blocks, bins)))
    layout = henn_waescher_layout(aisles=aisles, bins_per_aisle=bins, blocks=blocks)
    if draw(st.booleans()):
        ys = (*layout.cross_aisle_ys, *layout.slot_ys)
        layout = with_depot(layout, PickPoint(draw(st.integers(0, aisles - 1)), draw(st.sampled_from(ys))))
    picks = draw(st.lists(st.sampled_from(storage_bins(layout)), max_size=25))
    return layout, picks


_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(routing_cases())
def test_every_method_visits_every_pick_once_from_and_back_to_the_depot(case):
    layout, picks = case
    for router in (*ROUTERS.values(), best_route):
        assert_is_a_valid_route(layout, picks, router(layout, picks))


@_settings
@given(routing_cases())
def test_no_heuristic_is_ever_shorter_than_the_exact_route(case):
    layout, picks = case
    shortest = exact_route(layout, picks).length
    for router in (s_shape_route, largest_gap_route, combined_route, local_search_route):
        assert router(layout, picks).length >= shortest - 1e-9


@_settings
@given(routing_cases())
def test_the_combined_estimate_from_extents_is_the_combined_route_length(case):
    layout, picks = case
    estimate = combined_length(layout, extents_of(layout, picks))
    assert estimate == pytest.approx(combined_route(layout, picks).length, abs=1e-9)


def test_best_route_falls_back_to_the_shorter_heuristic_beyond_three_blocks():
    layout = henn_waescher_layout(blocks=4)
    picks = random.Random(3).sample(storage_bins(layout), 30)
    route = best_route(layout, picks)
    assert_is_a_valid_route(layout, picks, route)
    assert route.length == min(combined_route(layout, picks).length, local_search_route(layout, picks).length)


def test_routes_are_the_same_every_time():
    layout = henn_waescher_layout(blocks=2)
    picks = random.Random(11).sample(storage_bins(layout), 35)
    for router in ROUTERS.values():
        assert router(layout, picks) == router(layout, list(picks))
