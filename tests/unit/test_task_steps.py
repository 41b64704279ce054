"""A replenishment task's and a blind count's scans, as plain functions: no app, no database."""

from __future__ import annotations

from wms.locations.count_steps import CountBin, CountState, CountView, finish_step
from wms.locations.count_steps import next_step as next_count_step
from wms.locations.replenish_steps import ReplenishState, ReplenishTaskView, Scan, next_step
from wms.scanning import BinLabel

TASK = ReplenishTaskView(from_bin=BinLabel("R-01", "SH1-R-01"), to_bin=BinLabel("P-01", "SH1-P-01"), sku_id=7,
                         sku_code="CUP", quantity=16)
AT_FACE = ReplenishState("to", "SH1-R-01", "6901234567892", 16)


def test_the_reserve_bin_claims_the_task_and_the_item_asks_for_the_pick_face():
    claimed = next_step(ReplenishState(), Scan("SH1-R-01"), TASK)
    assert claimed.action == "claim" and claimed.state == ReplenishState("item", from_code="SH1-R-01")
    taken = next_step(claimed.state, Scan("6901234567892", sku_id=7), TASK)
    assert taken.state == AT_FACE and taken.params == {"n": 16, "bin": "P-01"} and not taken.action
    assert taken.state.hidden() == {"from_code": "SH1-R-01", "item_code": "6901234567892", "qty": 16}


def test_the_pick_face_confirms_the_move_of_the_typed_or_the_whole_quantity():
    typed = next_step(AT_FACE, Scan("9"), TASK)
    assert typed.say == "quantity" and typed.state.qty == 9 and not typed.action
    done = next_step(typed.state, Scan("SH1-P-01"), TASK)
    assert done.action == "confirm" and done.params == {"n": 9, "sku": "CUP", "bin": "P-01"}
    assert done.state == ReplenishState()
    assert next_step(ReplenishState("to", "SH1-R-01", "X"), Scan("p-01"), TASK).params["n"] == 16


def test_wrong_scans_and_quantities_are_refused_with_what_was_expected():
    cases = [(ReplenishState(), "SH1-R-02", None, ("wrong_bin", "R-01")),
             (ReplenishState("item", "SH1-R-01"), "6901234567809", 8, ("wrong_item", "CUP")),
             (AT_FACE, "SH1-R-02", None, ("wrong_bin", "P-01")),
             (ReplenishState("to"), "SH1-P-01", None, ("wrong_bin", "R-01")),  # the reserve bin cannot be skipped
             (AT_FACE, "17", None, ("bad_quantity", None))]
    for state, code, sku_id, (error, expected) in cases:
        refusal = next_step(state, Scan(code, sku_id), TASK)
        assert refusal.code == error and refusal.details.get("expected") == expected, (state, code)
    assert next_step(AT_FACE, Scan("17"), TASK).details == {"minimum": 1, "maximum": 16}


def test_the_replenish_state_comes_back_from_the_form():
    assert ReplenishState.from_form({"step": "nonsense"}) == ReplenishState()
    assert ReplenishState.from_form({"step": "to", "from_code": "A", "item_code": "B", "qty": "0"}) == \
        ReplenishState("to", "A", "B", None)


# --- cycle counts --------------------------------------------------------------------------------

B1, B2 = CountBin(1, BinLabel("A01-01-1", "SH1-A01-01-1"), False), CountBin(2, BinLabel("A01-02-1", "SH1-A01-02-1"),
                                                                          True)
COUNT = CountView(open=True, bins=(B1, B2))


def test_a_bin_of_the_count_starts_it_and_items_quantities_and_the_bin_again_follow():
    assert next_count_step(CountState(), "SH1-A01-01-1", COUNT).state == CountState(1)
    assert next_count_step(CountState(1), "6901234567892", COUNT).action == "count_item"
    typed = next_count_step(CountState(1, sku_id=7), "24", COUNT)
    assert (typed.action, typed.quantity) == ("set_counted", 24)
    finished = next_count_step(CountState(1, 7), "a01-01-1", COUNT)
    assert finished.action == "finish_bin" and finished.state == CountState()
    assert finish_step(1, COUNT).action == "finish_bin"


def test_count_scans_that_do_not_fit_are_refused():
    cases = [(CountState(), "SH1-Z-99", "bin_not_in_count"), (CountState(), "SH1-A01-02-1", "bin_counted"),
             (CountState(1), "12", "item_first"), (CountState(1), "A01-02-1", "finish_first"),
             (CountState(2), "6901234567892", "bin_counted")]
    for state, code, error in cases:
        assert next_count_step(state, code, COUNT).code == error, (state, code)
    assert next_count_step(CountState(1), "A01-02-1", COUNT).expected == "A01-01-1"  # the bin to finish first
    assert next_count_step(CountState(), "SH1-A01-01-1", CountView(False, COUNT.bins)).code == "count_closed"
    assert finish_step(2, COUNT).code == "bin_counted" and finish_step(9, COUNT).code == "bin_not_in_count"


def test_while_a_tracked_items_lot_is_wanted_any_input_but_a_bin_is_its_lot():
    wanted = CountState(1, 7, lot_wanted=True)
    for code in ("L2024-07", "24", "(01)06901234567892(10)L1"):
        step = next_count_step(wanted, code, COUNT)
        assert (step.action, step.state) == ("give_lot", wanted), code
    for code in ("SH1-A01-01-1", "A01-02-1", ""):
        assert next_count_step(wanted, code, COUNT).code == "lot_first", code


def test_the_count_state_keeps_the_lot_of_the_last_item_or_that_its_lot_is_wanted():
    assert CountState.from_form({"location_id": "1", "sku_id": "7", "lot_id": "3"}) == CountState(1, 7, 3)
    assert CountState.from_form({"location_id": "1", "sku_id": "7", "lot_id": "3", "lot_wanted": "1"}) == \
        CountState(1, 7, None, True)
    assert CountState.from_form({"location_id": "1", "lot_id": "3"}) == CountState(1)
