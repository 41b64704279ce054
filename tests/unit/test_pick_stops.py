"""Stops of a cart picked by location, and the put wall's signals: pure step logic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wms.picking.pick_steps import PickState, TaskLine, after_pick, group_stops, share_out
from wms.picking.sort_steps import SortState, after_sort


def _task(id_, seq, bin_, sku=1, lot=None, left=1, rank=0):
    return TaskLine(id_, seq, bin_, sku, lot, left, rank)


def test_tasks_of_one_bin_and_sku_for_many_orders_are_one_stop_with_the_total():
    tasks = [_task(1, 1, 10, left=1, rank=1), _task(2, 2, 10, left=2, rank=2), _task(3, 3, 10, left=1, rank=3),
             _task(4, 4, 10, left=3, rank=4), _task(5, 5, 20, sku=2, left=1, rank=1)]
    stops = group_stops(tasks)
    assert [(s.location_id, s.sku_id, s.remaining, s.task_ids) for s in stops] == [
        (10, 1, 7, (1, 2, 3, 4)), (20, 2, 1, (5,))]


def test_two_lots_in_one_bin_are_two_stops():
    stops = group_stops([_task(1, 1, 10, lot=7), _task(2, 2, 10, lot=8), _task(3, 3, 10, lot=7)])
    assert [(s.lot_id, s.task_ids) for s in stops] == [(7, (1, 3)), (8, (2,))]


def test_stops_come_in_route_order_and_finished_tasks_are_left_out():
    stops = group_stops([_task(1, 5, 30), _task(2, 1, 10, left=0), _task(3, 2, 20), _task(4, 6, 20)])
    assert [s.location_id for s in stops] == [20, 30] and stops[0].task_ids == (3, 4)


def test_a_stop_gives_its_units_to_the_oldest_order_of_the_wave_first():
    stop = group_stops([_task(1, 1, 10, rank=3), _task(2, 1, 10, rank=1), _task(3, 2, 10, rank=2)])[0]
    assert stop.task_ids == (2, 3, 1) and stop.head == 2


def test_units_are_shared_out_each_part_filled_before_the_next():
    assert share_out(4, [(1, 1), (2, 2), (3, 1), (4, 3)]) == [(1, 1), (2, 2), (3, 1)]
    assert share_out(2, [(1, 1), (2, 2)]) == [(1, 1), (2, 1)]
    assert share_out(0, [(1, 1)]) == []


@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=8), st.data())
def test_sharing_out_never_gives_a_part_more_than_it_wants_and_gives_every_unit(wants, data):
    quantity = data.draw(st.integers(min_value=0, max_value=sum(wants)))
    shares = share_out(quantity, list(enumerate(wants)))
    assert sum(n for _, n in shares) == quantity
    assert all(0 < n <= wants[i] for i, n in shares)
    given_ids = [i for i, _ in shares]
    assert given_ids == list(range(len(given_ids)))  # a prefix, in order
    assert all(n == wants[i] for i, n in shares[:-1])  # all but the last filled


def test_a_finished_batch_cart_goes_to_the_put_wall_and_others_to_packing():
    assert after_pick(PickState(), cart_done=True, left_here=0, destination="put_wall").params == {"to": "put_wall"}
    assert after_pick(PickState(), cart_done=True, left_here=0).params == {"to": "packing"}


def test_the_last_unit_of_an_order_completes_its_slot_and_the_sorter_scans_on():
    step = after_sort(SortState("slot", 3, 1, 1, 4), slot=4, order_number="O1", slot_complete=True, left_on_cart=5)
    assert step.say == "slot_complete" and step.state == SortState("item", 3)
    assert step.params["order"] == "O1" and step.params["slot"] == 4


def test_nothing_left_on_the_cart_says_cart_empty_never_next_item():
    step = after_sort(SortState("slot", 3, 1, 1, 4), slot=4, order_number="O1", slot_complete=True, left_on_cart=0)
    assert step.say == "cart_empty" and step.state == SortState() and step.params["slot_complete"]
    assert after_sort(SortState("slot", 3, 1, 1, 4), slot=4, order_number="O1", slot_complete=False,
                      left_on_cart=2).say == "sorted"
