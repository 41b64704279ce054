"""The putaway rule: consolidate, else an empty bin in the SKU's velocity band, else the best fit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wms.locations.putaway import CandidateBin, choose_putaway_bin, velocity_class

SKU = 7


def bin_(id_, bin_type="reserve", capacity=100, quantity=0, skus=(), distance=10.0, code=None):
    return CandidateBin(id=id_, code=code or f"B{id_:03d}", bin_type=bin_type, capacity=capacity,
                        quantity=quantity, skus=frozenset(skus), distance=distance)


def test_prefers_the_bin_that_already_holds_the_sku_when_it_has_room():
    # given an empty bin right at the depot and a far bin that already holds the SKU
    near_empty = bin_(1, distance=1)
    holding = bin_(2, quantity=40, skus={SKU}, distance=80)
    # when 10 units are put away
    found = choose_putaway_bin(SKU, 10, [near_empty, holding])
    # then they join the units already there
    assert found.bin == holding and found.rule == "holds_sku" and found.fits == 10


def test_a_bin_holding_the_sku_without_room_is_passed_over_for_an_empty_one():
    full = bin_(1, capacity=50, quantity=45, skus={SKU})
    empty = bin_(2)
    found = choose_putaway_bin(SKU, 10, [full, empty])
    assert found.bin == empty and found.rule == "empty_bin"


def test_fast_movers_go_to_the_nearest_empty_pick_face():
    bins = [bin_(1, "pick", distance=30), bin_(2, "pick", distance=5), bin_(3, "reserve", distance=1)]
    found = choose_putaway_bin(SKU, 10, bins, velocity="A")
    assert found.bin.id == 2


def test_slow_movers_go_to_the_farthest_empty_reserve_bin():
    bins = [bin_(1, "reserve", distance=30), bin_(2, "reserve", distance=5), bin_(3, "pick", distance=60)]
    found = choose_putaway_bin(SKU, 10, bins, velocity="C")
    assert found.bin.id == 1


def test_middle_movers_take_the_middle_of_the_band():
    bins = [bin_(i, "reserve", distance=d) for i, d in enumerate([10, 20, 30, 40, 50], start=1)]
    assert choose_putaway_bin(SKU, 1, bins, velocity="B").bin.distance == 30


def test_a_fast_mover_falls_back_to_reserve_when_no_pick_face_is_free():
    bins = [bin_(1, "pick", quantity=5, skus={99}), bin_(2, "reserve", distance=9)]
    found = choose_putaway_bin(SKU, 10, bins, velocity="A")
    assert found.bin.id == 2 and found.rule == "empty_bin"


def test_without_an_empty_bin_the_bin_that_takes_the_most_units_is_a_partial_fit():
    bins = [bin_(1, capacity=20, quantity=15, skus={SKU}), bin_(2, capacity=20, quantity=8, skus={SKU})]
    found = choose_putaway_bin(SKU, 30, bins)
    assert found.bin.id == 2 and found.rule == "partial_fit" and found.fits == 12


def test_a_shared_bin_with_room_for_everything_beats_a_partial_fit():
    bins = [bin_(1, capacity=20, quantity=15, skus={SKU}), bin_(2, capacity=100, quantity=10, skus={99})]
    found = choose_putaway_bin(SKU, 30, bins)
    assert found.bin.id == 2 and found.rule == "shared_bin"


def test_nothing_fits_means_no_bin_and_a_reason():
    found = choose_putaway_bin(SKU, 5, [bin_(1, capacity=10, quantity=10, skus={99})])
    assert found.bin is None and found.rule == "no_room" and "no storage bin has room" in found.reason


def test_staging_and_damaged_bins_are_never_suggested():
    found = choose_putaway_bin(SKU, 5, [bin_(1, "staging", capacity=None), bin_(2, "damaged", capacity=None)])
    assert found.bin is None and found.rule == "no_bins"


def test_a_bin_without_capacity_has_unlimited_room():
    found = choose_putaway_bin(SKU, 10_000, [bin_(1, capacity=None, quantity=500, skus={SKU})])
    assert found.rule == "holds_sku"


def test_bins_without_coordinates_come_after_located_ones_for_every_class():
    bins = [bin_(1, distance=None), bin_(2, distance=40)]
    assert choose_putaway_bin(SKU, 1, bins, velocity="A").bin.id == 2
    assert choose_putaway_bin(SKU, 1, bins, velocity="C").bin.id == 2


def test_an_unknown_velocity_counts_as_class_b():
    assert velocity_class(SKU) == "B"
    assert velocity_class(SKU, {SKU: "A"}) == "A"
    assert velocity_class(SKU, {SKU: "Z"}) == "B"


# --- Properties -------------------------------------------------------------------------------------

TYPES = st.sampled_from(["pick", "reserve", "staging", "damaged"])


@st.composite
def candidate_bins(draw, types=TYPES):
    count = draw(st.integers(min_value=0, max_value=12))
    bins = []
    for i in range(count):
        capacity = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60)))
        quantity = draw(st.integers(min_value=0, max_value=capacity if capacity is not None else 60))
        skus = draw(st.frozensets(st.sampled_from([SKU, 11, 12]), max_size=2)) if quantity else frozenset()
        distance = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=200, allow_nan=False)))
        bins.append(CandidateBin(i, f"B{i:03d}", draw(types), capacity, quantity, skus, distance))
    return bins


@settings(max_examples=200, deadline=None)
@given(bins=candidate_bins(), quantity=st.integers(min_value=1, max_value=80),
       velocity=st.sampled_from(["A", "B", "C"]))
def test_never_suggests_a_bin_without_room(bins, quantity, velocity):
    found = choose_putaway_bin(SKU, quantity, bins, velocity)
    if found.bin is not None:
        assert found.bin.bin_type in ("pick", "reserve")
        assert found.bin.room is None or found.bin.room >= found.fits > 0
        if found.rule != "partial_fit":
            assert found.fits == quantity
    else:
        # and says no only when no storage bin has any room
        assert all(b.fits(quantity) == 0 for b in bins if b.bin_type in ("pick", "reserve"))


@settings(max_examples=200, deadline=None)
@given(bins=candidate_bins(), quantity=st.integers(min_value=1, max_value=80),
       velocity=st.sampled_from(["A", "B", "C"]))
def test_prefers_a_bin_holding_the_sku_whenever_one_has_room(bins, quantity, velocity):
    holding = [b for b in bins if b.bin_type in ("pick", "reserve") and SKU in b.skus and b.fits(quantity) == quantity]
    found = choose_putaway_bin(SKU, quantity, bins, velocity)
    assert (found.rule == "holds_sku" and SKU in found.bin.skus) == bool(holding)


@settings(max_examples=200, deadline=None)
@given(bins=candidate_bins(types=st.sampled_from(["reserve"])), pick_faces=st.booleans(),
       quantity=st.integers(min_value=1, max_value=30))
def test_a_fast_mover_gets_a_bin_no_farther_than_a_slow_mover_among_empty_bins(bins, pick_faces, quantity):
    # given only empty located bins of one type (all pick faces or all reserve bins)
    empties = [CandidateBin(b.id, b.code, "pick" if pick_faces else "reserve", b.capacity, 0, frozenset(),
                            b.distance if b.distance is not None else float(b.id)) for b in bins]
    fast = choose_putaway_bin(SKU, quantity, empties, "A")
    middle = choose_putaway_bin(SKU, quantity, empties, "B")
    slow = choose_putaway_bin(SKU, quantity, empties, "C")
    if fast.rule == "empty_bin":
        # then A is nearest the depot, C farthest, B in between
        assert fast.bin.distance <= middle.bin.distance <= slow.bin.distance
        assert fast.bin.distance == min(b.distance for b in empties if b.fits(quantity) == quantity)
