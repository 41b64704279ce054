"""Receiving and putaway scans' rules, as plain functions: no app, no database."""

from __future__ import annotations

from wms.locations.inbound_steps import (
    MAX_SCAN_QUANTITY,
    BinView,
    Placement,
    PutawayView,
    ReceiveState,
    ReceiveStep,
    putaway_step,
    receive_step,
)


def test_one_scan_receives_one_unit_and_a_quantity_can_be_typed_before_it_or_in_its_field():
    assert receive_step(ReceiveState("6901234567892")) == ReceiveStep("6901234567892", 1, False)
    assert receive_step(ReceiveState("12*6901234567892")) == ReceiveStep("6901234567892", 12, False)
    assert receive_step(ReceiveState("B", typed="3", damaged=True)) == ReceiveStep("B", 3, True)
    assert ReceiveState.from_form({"code": " B ", "quantity": "2", "damaged": "1"}) == ReceiveState("B", "2", True)


def test_a_quantity_that_is_not_a_whole_number_in_range_is_refused_with_the_range():
    for state in (ReceiveState("B", typed="abc"), ReceiveState("B", typed="0"), ReceiveState("0*B"),
                  ReceiveState("B", typed=str(MAX_SCAN_QUANTITY + 1))):
        refusal = receive_step(state)
        assert refusal.code == "bad_quantity" and refusal.details == {"minimum": 1, "maximum": MAX_SCAN_QUANTITY}


TASK = PutawayView(warehouse_id=1, quantity=3, suggested_bin_id=10, staging_available=3)


def _bin(id_=10, *, warehouse_id=1, storage=True, room=None):
    return BinView(id_, f"R-{id_:02d}", warehouse_id, "SH1" if warehouse_id == 1 else "SZ1", storage, room)


def test_the_suggested_bin_or_another_storage_bin_with_room_takes_every_unit():
    assert putaway_step(TASK, _bin()) == Placement(3, as_suggested=True)
    assert putaway_step(TASK, _bin(11, room=3)) == Placement(3, as_suggested=False)


def test_the_suggested_bin_with_room_for_part_takes_that_part_and_another_bin_is_refused():
    assert putaway_step(TASK, _bin(room=2)) == Placement(2, as_suggested=True)
    refusal = putaway_step(TASK, _bin(11, room=2))
    assert refusal.code == "no_room" and refusal.details == {"bin": "R-11", "room": 2, "quantity": 3}
    assert putaway_step(TASK, _bin(room=-1)).details["room"] == 0


def test_a_bin_of_another_warehouse_or_not_for_storage_is_refused():
    assert putaway_step(TASK, _bin(11, warehouse_id=2)).details == {"bin": "R-11", "warehouse": "SZ1"}
    assert putaway_step(TASK, _bin(11, storage=False)).code == "not_storage_bin"


def test_units_no_longer_in_staging_are_not_put_away():
    refusal = putaway_step(PutawayView(1, 3, 10, staging_available=1), _bin())
    assert refusal.code == "staging_short" and refusal.details == {"available": 1, "quantity": 3}
