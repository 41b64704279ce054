"""The pick screen's and the put wall's steps, as plain functions: no app, no database."""

from __future__ import annotations

from wms.picking.pick_steps import PickState, PickTaskView, Scan, after_pick, after_refusal, next_step, short_step
from wms.picking.sort_steps import CartView, SlotView, SortState
from wms.picking.sort_steps import next_step as next_sort_step
from wms.scanning import BinLabel, ScanRefused

TASK = PickTaskView(bin=BinLabel("A01-02-1", "SH1-A01-02-1"), sku_id=7, sku_code="CUP", remaining=2)
SLOTTED = PickTaskView(bin=TASK.bin, sku_id=7, sku_code="CUP", remaining=2, slot=3, slot_code="SH1-CART-9-S3")


def test_the_bin_by_its_barcode_or_its_code_leads_to_the_item():
    for code in ("SH1-A01-02-1", "a01-02-1"):
        step = next_step(PickState(), Scan(code), TASK)
        assert step.state == PickState("item", bin=code) and step.say == "bin_ok" and not step.confirm


def test_a_wrong_bin_is_refused_with_the_bin_expected():
    refusal = next_step(PickState(), Scan("SH1-A01-09-1"), TASK)
    assert isinstance(refusal, ScanRefused) and refusal.code == "wrong_bin"
    assert refusal.details == {"expected": "A01-02-1", "scanned": "SH1-A01-09-1"}


def test_the_right_item_on_a_cart_without_slots_confirms_the_pick():
    step = next_step(PickState("item", bin="SH1-A01-02-1", qty=2), Scan("6901234567892", sku_id=7), TASK)
    assert step.confirm and step.state == PickState("slot", "SH1-A01-02-1", "6901234567892", 2)


def test_the_right_item_on_a_cluster_cart_asks_for_the_slot_then_the_slot_confirms():
    item = next_step(PickState("item", bin="SH1-A01-02-1"), Scan("CUP", sku_id=7), SLOTTED)
    assert not item.confirm and item.say == "scan_slot" and item.params == {"slot": 3}
    assert item.state.hidden() == {"bin": "SH1-A01-02-1", "item": "CUP", "qty": "1"}
    slot = next_step(item.state, Scan("sh1-cart-9-s3"), SLOTTED)
    assert slot.confirm and slot.state == item.state


def test_a_wrong_item_a_wrong_slot_and_too_many_are_refused_with_what_was_expected():
    wrong_item = next_step(PickState("item", bin="x"), Scan("LID", sku_id=8), TASK)
    unknown = next_step(PickState("item", bin="x"), Scan("NOPE"), TASK)
    too_many = next_step(PickState("item", bin="x", qty=3), Scan("CUP", sku_id=7), TASK)
    wrong_slot = next_step(PickState("slot", "x", "CUP"), Scan("SH1-CART-9-S4"), SLOTTED)
    assert [(r.code, r.expected) for r in (wrong_item, unknown, too_many, wrong_slot)] == [
        ("wrong_item", "CUP"), ("wrong_item", "CUP"), ("too_many", "2"), ("wrong_slot", "3")]


def test_nothing_left_to_pick_says_the_bin_is_empty():
    refusal = next_step(PickState("item", bin="x"), Scan("CUP", sku_id=7),
                        PickTaskView(TASK.bin, 7, "CUP", remaining=0))
    assert refusal.code == "bin_empty"


def test_the_state_comes_back_from_the_form_and_a_refusal_keeps_the_accepted_bin():
    assert PickState.from_form({}) == PickState()
    assert PickState.from_form({"bin": "B", "qty": "-3"}) == PickState("item", "B", "", 1)
    assert PickState.from_form({"bin": "B", "item": "I", "qty": "2"}) == PickState("slot", "B", "I", 2)
    assert after_refusal(PickState("slot", "B", "I", 2)) == PickState("item", bin="B")
    assert after_refusal(PickState()) == PickState()


def test_after_a_pick_the_cart_is_done_more_wait_here_or_the_next_bin():
    picked = PickState("slot", "B", "I", 1)
    assert after_pick(picked, cart_done=True, left_here=0).say == "cart_done"
    more = after_pick(picked, cart_done=False, left_here=2)
    assert more.say == "more_here" and more.params == {"n": 2} and more.state == PickState("item", bin="B")
    assert after_pick(picked, cart_done=False, left_here=0).state == PickState()


def test_a_short_pick_finds_from_none_to_all_of_what_is_left():
    assert short_step(0, TASK).confirm and short_step(2, TASK).confirm
    for found in (-1, 3):
        refusal = short_step(found, TASK)
        assert refusal.code == "bad_quantity" and refusal.details == {"minimum": 0, "maximum": 2}


# --- put wall ------------------------------------------------------------------------------------

SLOT = SlotView(line_id=11, sku_id=7, slot=4, label=BinLabel("PW-04", "SH1-PW-04"))


def test_a_batch_cart_opens_and_any_other_code_is_refused():
    opened = next_sort_step(SortState(), "SH1-CART-9", CartView(9, "W-20260101-0001", batch=True))
    assert opened.state == SortState("item", 9) and opened.params == {"ref": "W-20260101-0001"}
    assert next_sort_step(SortState(), "NOPE", None).code == "not_a_cart"
    assert next_sort_step(SortState(), "SH1-CART-9", CartView(9, "W", batch=False)).code == "not_a_batch_cart"


def test_an_item_shows_its_slot_and_the_slot_label_confirms():
    shown = next_sort_step(SortState("item", 9), "CUP", SLOT)
    assert shown.state == SortState("slot", 9, 11, 7, 4) and shown.params == {"slot": 4} and not shown.confirm
    assert shown.state.hidden() == {"list_id": 9, "line_id": 11, "sku_id": 7, "slot": 4}
    sorted_ = next_sort_step(shown.state, "SH1-PW-04", SLOT)
    assert sorted_.confirm and sorted_.state == SortState("item", 9)
    wrong = next_sort_step(shown.state, "SH1-PW-05", SLOT)
    assert (wrong.code, wrong.expected) == ("wrong_slot", "4")


def test_the_sort_state_comes_back_from_the_form():
    assert SortState.from_form({"step": "item"}) == SortState()
    assert SortState.from_form({"step": "item", "list_id": "9"}) == SortState("item", 9)
    assert SortState.from_form({"step": "slot", "list_id": "9", "line_id": "11", "sku_id": "7",
                                "slot": "4"}) == SortState("slot", 9, 11, 7, 4)
    assert SortState.from_form({"step": "slot", "list_id": "9"}) == SortState("item", 9)
