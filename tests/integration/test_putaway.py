"""Putaway (上架) on the handheld: the suggested bin, another bin with room, refusals, replays, races."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.integration.test_receiving import EAN_A, client_as, dock, qty, scan, sound  # noqa: F401  (fixture)


@pytest.fixture
def received(app, dock):  # noqa: F811
    """ASN-1 received: 3 x A and 2 x B in staging, finished, so each SKU has a putaway task."""
    from erp_core.extensions import db
    from wms.locations.receiving import finish_receipt, receive_scan

    with app.app_context():
        receive_scan(dock["asn"], dock["a"], 3)
        receive_scan(dock["asn"], dock["b"], 2)
        planned = finish_receipt(dock["asn"])
        tasks = {p.task.sku_id: p.task.id for p in planned.putaways}
        db.session.remove()
    return {**dock, "task_a": tasks[dock["a"]], "task_b": tasks[dock["b"]]}


def task(task_id: int):
    from erp_core.extensions import db
    from wms.locations.models import PutawayTask

    return db.session.get(PutawayTask, task_id)


def barcode(location_id: int) -> str:
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    return db.session.get(Location, location_id).barcode


def test_the_suggested_bin_holds_the_sku_and_scanning_it_puts_the_units_away(app, login_as, received):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import ledger_discrepancies

    # given A's task suggests P-01, the pick face that already holds 10 x A
    with app.app_context():
        assert task(received["task_a"]).suggested_location_id == received["pick"]
        pick_code = barcode(received["pick"])
    client = login_as("picker")
    page = client.get(f"/inbound/putaway/{received['task_a']}").get_data(as_text=True)
    assert "data-suggested-bin>P-01<" in page
    # when the picker scans P-01
    response = scan(client, f"/inbound/putaway/{received['task_a']}/scan", pick_code)
    # then the 3 units moved from staging to P-01 and the task is done there
    assert sound(response) == "scan-ok" and "3 × A put in P-01." in response.get_data(as_text=True)
    with app.app_context():
        assert qty(received["a"], received["staging"]) == 0 and qty(received["a"], received["pick"]) == 13
        done = task(received["task_a"])
        assert (done.status, done.done_location_id) == ("done", received["pick"]) and done.done_at is not None
        move = db.session.scalar(select(StockMove).filter_by(reason="putaway"))
        assert (move.from_location_id, move.to_location_id, move.quantity) == (received["staging"],
                                                                             received["pick"], 3)
        assert move.reference == f"PA-{received['task_a']:06d}" and move.note == ""
        assert ledger_discrepancies() == []


def test_the_two_skus_of_one_receipt_are_not_sent_to_the_same_empty_bin(app, received):
    with app.app_context():
        # B holds no bin yet: it gets an empty reserve bin, and nothing else is promised there
        suggested_b = task(received["task_b"]).suggested_location_id
        assert suggested_b in (received["near"], received["far"])
        assert task(received["task_a"]).suggested_location_id != suggested_b


def test_another_bin_with_room_is_accepted_and_recorded_with_a_note(app, login_as, received):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    with app.app_context():
        far_code = barcode(received["far"])
    response = scan(login_as("picker"), f"/inbound/putaway/{received['task_a']}/scan", far_code)
    assert sound(response) == "scan-ok" and "instead of the suggested bin" in response.get_data(as_text=True)
    with app.app_context():
        done = task(received["task_a"])
        assert done.status == "done" and done.done_location_id == received["far"]
        assert done.suggested_location_id == received["pick"]
        assert qty(received["a"], received["far"]) == 3
        move = db.session.scalar(select(StockMove).filter_by(reason="putaway"))
        assert move.note == "suggested P-01, put in R-02"


def test_a_bin_without_room_is_refused_and_nothing_changes(app, login_as, received):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    # given R-01 can take only 2 more units
    with app.app_context():
        near = db.session.get(Location, received["near"])
        near.capacity = 2
        db.session.commit()
        near_code = near.barcode
    response = scan(login_as("picker"), f"/inbound/putaway/{received['task_a']}/scan", near_code)
    assert sound(response) == "scan-error"
    assert "Bin R-01 has room for 2, the task has 3" in response.get_data(as_text=True)
    with app.app_context():
        assert task(received["task_a"]).status == "open"
        assert qty(received["a"], received["staging"]) == 3 and qty(received["a"], received["near"]) == 0


@pytest.mark.parametrize("where", ["other_warehouse", "staging", "unknown"])
def test_a_bin_of_another_warehouse_or_a_non_storage_bin_is_refused(app, login_as, received, where):
    with app.app_context():
        code = {"other_warehouse": lambda: barcode(received["sz_bin"]),
                "staging": lambda: barcode(received["damaged"]), "unknown": lambda: "SH1-NOPE"}[where]()
    response = scan(login_as("picker"), f"/inbound/putaway/{received['task_a']}/scan", code)
    assert sound(response) == "scan-error"
    text = response.get_data(as_text=True)
    assert {"other_warehouse": "in warehouse SZ1", "staging": "DMG-01 is not a storage bin",
            "unknown": "No bin has this barcode"}[where] in text
    with app.app_context():
        assert task(received["task_a"]).status == "open" and qty(received["a"], received["staging"]) == 3


def test_a_replayed_putaway_scan_is_applied_once(app, login_as, received):
    with app.app_context():
        pick_code = barcode(received["pick"])
    client = login_as("picker")
    path = f"/inbound/putaway/{received['task_a']}/scan"
    first = scan(client, path, pick_code, key="put-1")
    replay = scan(client, path, pick_code, key="put-1")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_data() == first.get_data()
    # and a new scan of the done task is refused
    assert "already done" in scan(client, path, pick_code).get_data(as_text=True)
    with app.app_context():
        assert qty(received["a"], received["pick"]) == 13


def test_scanning_an_item_in_staging_opens_its_task(app, login_as, received):
    client = login_as("picker")
    response = scan(client, "/inbound/putaway/scan", EAN_A)
    assert response.headers["HX-Redirect"] == f"/inbound/putaway/{received['task_a']}"
    assert sound(scan(client, "/inbound/putaway/scan", "C")) == "scan-error"
    assert "A" in client.get("/inbound/putaway").get_data(as_text=True)


def test_a_suggested_bin_with_room_for_part_takes_part_and_the_rest_gets_a_new_task(app, login_as, received):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.locations.models import PutawayTask

    # given every storage bin but P-01 is full, and P-01 has room for 2 of A's 3 units
    with app.app_context():
        for key in ("near", "far"):
            db.session.get(Location, received[key]).capacity = 0
        db.session.get(Location, received["pick"]).capacity = 12
        db.session.commit()
        pick_code = barcode(received["pick"])
    # when the picker scans the suggested P-01
    response = scan(login_as("picker"), f"/inbound/putaway/{received['task_a']}/scan", pick_code)
    # then 2 go in and the last unit waits in a new task with no bin to suggest
    assert "2 × A put in P-01; 1 more need another bin." in response.get_data(as_text=True)
    with app.app_context():
        assert (task(received["task_a"]).quantity, task(received["task_a"]).status) == (2, "done")
        rest = db.session.scalar(select(PutawayTask).where(PutawayTask.status == "open", PutawayTask.sku_id
                                                           == received["a"]))
        assert rest.quantity == 1 and rest.suggested_location_id is None and rest.asn_id == received["asn"]
        assert qty(received["a"], received["staging"]) == 1


def test_two_pickers_confirming_the_same_task_at_once_put_it_away_once(app, users, received):
    with app.app_context():
        pick_code = barcode(received["pick"])
    clients = [client_as(app, "picker"), client_as(app, "supervisor")]
    barrier = threading.Barrier(2)
    answers = []

    def confirm(client):
        barrier.wait()
        answers.append(sound(scan(client, f"/inbound/putaway/{received['task_a']}/scan", pick_code)))

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["scan-error", "scan-ok"]
    with app.app_context():
        assert qty(received["a"], received["pick"]) == 13 and qty(received["a"], received["staging"]) == 0
