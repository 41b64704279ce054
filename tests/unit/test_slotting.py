"""Slotting: ABC classes by pick frequency and suggested moves of fast movers towards the depot."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wms.locations.geometry import Layout, PickPoint, distance, henn_waescher_layout
from wms.locations.slotting import Slot, abc_classes, apply_moves, per_week, suggest_moves, travel_per_week

pick_counts = st.dictionaries(st.text("ABCDEFGHIJKLMNOP", min_size=1, max_size=4), st.integers(0, 500), max_size=40)
shares = st.tuples(st.integers(1, 100), st.integers(0, 100)).filter(lambda t: t[0] + t[1] <= 100)


@given(pick_counts, shares)
def test_every_sku_lands_in_exactly_one_class_and_a_holds_at_least_its_share(picks, percents):
    # given pick counts and thresholds
    a_share, b_share = percents[0] / 100, percents[1] / 100

    # when the SKUs are classified
    rows = abc_classes(picks, a_share=a_share, b_share=b_share)

    # then each SKU appears once, with one class
    assert sorted(r.sku for r in rows) == sorted(picks)
    assert all(r.velocity in ("A", "B", "C") for r in rows)
    total = sum(picks.values())
    a_picks = sum(r.picks for r in rows if r.velocity == "A")
    ab_picks = a_picks + sum(r.picks for r in rows if r.velocity == "B")
    if total:
        # and A reaches its share, A + B theirs, and no class ranks a slower SKU above a faster one
        assert Fraction(a_picks) >= Fraction(percents[0], 100) * total
        assert Fraction(ab_picks) >= Fraction(percents[0] + percents[1], 100) * total
        order = {"A": 0, "B": 1, "C": 2}
        ranks = [order[r.velocity] for r in rows]
        assert ranks == sorted(ranks)
    else:
        assert {r.velocity for r in rows} <= {"C"}


def test_the_top_eighty_percent_of_picks_are_a_the_next_fifteen_b_the_rest_c():
    # given five SKUs with 50, 30, 10, 6 and 4 picks (100 in all)
    picks = {"S1": 50, "S2": 30, "S3": 10, "S4": 6, "S5": 4, "S6": 0}

    # when classified with the usual 80 / 15 / 5 split
    rows = {r.sku: r for r in abc_classes(picks)}

    # then S1 + S2 make 80 % (A), S3 + S4 reach 96 % (B), S5 and the never-picked S6 are C
    assert {s: r.velocity for s, r in rows.items()} == {"S1": "A", "S2": "A", "S3": "B", "S4": "B", "S5": "C",
                                                      "S6": "C"}
    assert rows["S2"].cumulative == pytest.approx(0.8)
    assert rows["S3"].share == pytest.approx(0.1)


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError):
        abc_classes({"S1": 1}, a_share=0.9, b_share=0.2)
    with pytest.raises(ValueError):
        abc_classes({"S1": 1}, a_share=0)


def _slots_strategy():
    layout = henn_waescher_layout(aisles=4, bins_per_aisle=10, blocks=2)

    @st.composite
    def build(draw):
        n = draw(st.integers(1, 25))
        cells = draw(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(layout.slot_ys)), min_size=n,
                              max_size=n, unique=True))
        skus = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        slots = [Slot(f"B{i}", PickPoint(a, y), f"S{i}" if has else None)
                 for i, ((a, y), has) in enumerate(zip(cells, skus, strict=True))]
        picks = {s.sku: draw(st.integers(0, 200)) for s in slots if s.sku}
        return layout, slots, picks

    return build()


@settings(max_examples=200)
@given(_slots_strategy(), shares)
def test_suggested_moves_never_increase_travel_and_each_saving_is_real(case, percents):
    # given slots holding SKUs with pick counts over a week
    layout, slots, picks = case
    weekly = {sku: float(n) for sku, n in picks.items()}
    classes = {r.sku: r.velocity for r in abc_classes(picks, a_share=percents[0] / 100,
                                                      b_share=percents[1] / 100)}

    # when moves are suggested and applied
    moves = suggest_moves(layout, slots, weekly, classes, limit=100)
    after = apply_moves(slots, moves)

    # then every move saves something, moves share no bin, and the week's walk shrinks by their sum
    before_m, after_m = travel_per_week(layout, slots, weekly), travel_per_week(layout, after, weekly)
    assert all(m.saving_m_per_week > 0 for m in moves)
    bins = [b for m in moves for b in (m.from_bin, m.to_bin)]
    assert len(bins) == len(set(bins))
    assert after_m <= before_m + 1e-9
    assert after_m == pytest.approx(before_m - sum(m.saving_m_per_week for m in moves), abs=1e-6)
    # and only fast movers move forward, into empty bins or bins of slow movers
    for m in moves:
        assert classes[m.sku] == "A"
        assert m.other_sku is None or classes[m.other_sku] == "C"
        assert m.to_distance < m.from_distance


def test_a_fast_mover_at_the_back_swaps_with_a_slow_mover_at_the_front():
    # given one aisle 20 m long: a fast SKU at 18 m, a slow one at 2 m, a mid one at 10 m
    layout = Layout(aisle_xs=(0.0,), aisle_length=20.0)
    slots = [Slot("FAR", PickPoint(0, 18.0), "FAST"), Slot("NEAR", PickPoint(0, 2.0), "SLOW"),
             Slot("MID", PickPoint(0, 10.0), "MID")]
    weekly = {"FAST": 70.0, "SLOW": 1.0, "MID": 5.0}
    classes = {"FAST": "A", "SLOW": "C", "MID": "B"}

    # when moves are suggested
    moves = suggest_moves(layout, slots, weekly, classes)

    # then FAST and SLOW swap, saving 2 x (70 - 1) x (18 - 2) metres a week
    assert len(moves) == 1
    move = moves[0]
    assert (move.sku, move.from_bin, move.to_bin, move.other_sku) == ("FAST", "FAR", "NEAR", "SLOW")
    assert move.saving_m_per_week == pytest.approx(2 * 69 * 16)
    assert move.from_distance == distance(layout, layout.depot, PickPoint(0, 18.0))


def test_no_move_is_suggested_when_fast_movers_already_sit_nearest():
    layout = Layout(aisle_xs=(0.0, 3.0), aisle_length=20.0)
    slots = [Slot("N", PickPoint(0, 1.0), "FAST"), Slot("F", PickPoint(1, 19.0), "SLOW")]
    assert suggest_moves(layout, slots, {"FAST": 50.0, "SLOW": 1.0}, {"FAST": "A", "SLOW": "C"}) == []


def test_a_sku_in_two_slots_is_refused_and_rates_are_weekly():
    layout = Layout(aisle_xs=(0.0,), aisle_length=5.0)
    with pytest.raises(ValueError):
        suggest_moves(layout, [Slot("1", PickPoint(0, 1.0), "X"), Slot("2", PickPoint(0, 2.0), "X")], {}, {})
    assert per_week(30, 30) == pytest.approx(7.0)
