"""Picking by lot (批次), as plain functions: which lot the picked units are, the refusals, and the
put wall carrying the unit's lot to the slot. No app, no database."""

from __future__ import annotations

from datetime import date

from wms.picking.pick_steps import LotInBin, PickState, PickTaskView, Scan, lot_to_pick, next_step
from wms.picking.sort_steps import SlotView, SortState
from wms.picking.sort_steps import next_step as next_sort_step
from wms.scanning import BinLabel, ScanRefused

LIMIT = date(2027, 3, 1)  # the order's shipping limit: lots must expire on or after it
L1 = LotInBin("L1", date(2027, 4, 1), on_hold=False, free=0)  # the task's lot, all reserved
L2 = LotInBin("L2", date(2027, 6, 1), on_hold=False, free=5)  # as good: later expiry, free units
HELD = LotInBin("H1", date(2027, 9, 1), on_hold=True, free=5)
SHORT = LotInBin("S1", date(2027, 2, 1), on_hold=False, free=5)  # expires before the shipping limit
TASK = PickTaskView(bin=BinLabel("A01-02-1", "SH1-A01-02-1"), sku_id=7, sku_code="CREAM", remaining=3,
                    lot="L1", lot_expiry=L1.expiry, ship_limit=LIMIT, bin_lots=(L1, L2, HELD, SHORT))
ALONE = PickTaskView(bin=TASK.bin, sku_id=7, sku_code="CREAM", remaining=3, lot="L1", lot_expiry=L1.expiry,
                     ship_limit=LIMIT, bin_lots=(L1,))
UNTRACKED = PickTaskView(bin=TASK.bin, sku_id=7, sku_code="CUP", remaining=3)


def test_the_tasks_own_lot_is_picked_whatever_its_spelling():
    assert lot_to_pick(TASK, "L1", 1) == "L1"
    assert lot_to_pick(TASK, " l1 ", 3) == "L1"


def test_an_equally_good_lot_of_the_bin_is_taken_instead():
    assert lot_to_pick(TASK, "l2", 2) == "L2"


def test_a_held_a_short_dated_an_unknown_or_a_too_scarce_lot_is_refused_with_the_lot_to_pick():
    for scanned, quantity in (("H1", 1), ("S1", 1), ("NOPE", 1), ("L2", 6)):
        refusal = lot_to_pick(TASK, scanned, quantity)
        assert isinstance(refusal, ScanRefused) and refusal.code == "wrong_lot", scanned
        assert refusal.details == {"expected": "L1", "scanned": scanned, "expiry": "2027-04-01"}


def test_a_lot_expiring_on_the_shipping_limit_itself_is_still_good():
    on_the_day = LotInBin("D1", LIMIT, on_hold=False, free=1)
    task = PickTaskView(**{**TASK.__dict__, "bin_lots": (L1, on_the_day)})
    assert lot_to_pick(task, "D1", 1) == "D1"


def test_a_plain_barcode_is_the_tasks_lot_only_when_the_bin_holds_no_other_lot():
    assert lot_to_pick(ALONE, None, 1) == "L1"
    refusal = lot_to_pick(TASK, None, 1)
    assert refusal.code == "lot_scan_needed" and refusal.details == {"expected": "L1", "sku": "CREAM"}


def test_a_sku_without_lots_ignores_any_lot():
    assert lot_to_pick(UNTRACKED, None, 1) is None and lot_to_pick(UNTRACKED, "L9", 1) is None


def test_the_item_step_carries_the_lot_to_the_confirmation():
    # a GS1 scan of another good lot: the pick goes on with that lot, sent back with the scans
    step = next_step(PickState("item", bin="SH1-A01-02-1", qty=2), Scan("(01)06901234567892", 7, "L2"), TASK)
    assert step.confirm and step.state.lot == "L2"
    assert step.state.hidden() == {"bin": "SH1-A01-02-1", "item": "(01)06901234567892", "qty": "2", "lot": "L2"}
    # a lot typed by hand with a plain barcode counts as the scanned lot
    typed = next_step(PickState("item", bin="x", lot="l1"), Scan("CREAM", 7), TASK)
    assert typed.confirm and typed.state.lot == "L1"
    # a plain barcode where several lots lie is refused
    assert next_step(PickState("item", bin="x"), Scan("CREAM", 7), TASK).code == "lot_scan_needed"
    assert next_step(PickState("item", bin="x"), Scan("CREAM", 7, "H1"), TASK).code == "wrong_lot"


def test_the_lot_comes_back_from_the_form_at_the_item_and_the_slot_step():
    assert PickState.from_form({"bin": "B", "lot": " L2 "}) == PickState("item", "B", "", 1, "L2")
    assert PickState.from_form({"bin": "B", "item": "I", "lot": "L2"}) == PickState("slot", "B", "I", 1, "L2")
    assert PickState.from_form({"lot": "L2"}) == PickState()


def test_the_put_wall_carries_the_units_lot_to_the_slot():
    slot = SlotView(line_id=11, sku_id=7, slot=4, label=BinLabel("PW-04", "SH1-PW-04"), lot_id=21)
    shown = next_sort_step(SortState("item", 9), "(01)06901234567892", slot)
    assert shown.state == SortState("slot", 9, 11, 7, 4, 21)
    assert shown.state.hidden() == {"list_id": 9, "line_id": 11, "sku_id": 7, "slot": 4, "lot_id": 21}
    assert SortState.from_form({k: str(v) for k, v in shown.state.hidden().items()} | {"step": "slot"}) == shown.state
