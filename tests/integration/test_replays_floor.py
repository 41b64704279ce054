"""Replays of the handheld and station routes (pick, pack, receive, count, returns, manifests): each
sent again 1-20 times, sequentially and concurrently, has one effect
and the same answer (the harness: tests/integration/test_replays.py `replayed`).

Each scan is sent as the handheld's scan queue sends it (static/js/scanner.js): htmx, the CSRF
header, the scan id as the Idempotency-Key, the screen's hidden fields. The effect counted is the
rows the scan writes, its ledger moves (stock_moves) and the quantities it changes (units picked,
received, counted, put away...), so a second application shows; a scan that only opens a screen or
shows what lies where changes nothing but its one stored answer.

Move a route from NOT_REPLAYED_YET to SCENARIOS when a test here replays it; test_replays.py checks that
every idempotent route of the app is in one of the two sets of one of the replay files."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tests.integration.test_cycle_counts import bin_count, store  # noqa: F401  (fixture)
from tests.integration.test_picking import _release
from tests.integration.test_picking import floor as pick_floor  # noqa: F401  (fixture)
from tests.integration.test_putaway import received  # noqa: F401  (fixture)
from tests.integration.test_receiving import EAN_A, dock  # noqa: F401  (fixture)
from tests.integration.test_replays import STEP, handhelds, measured, replayed, replayed_across
from tests.integration.test_replenishment import floor as replenish_floor  # noqa: F401  (fixture)
from tests.integration.test_scan_routes_atomic import STORED_ANSWERS, _my_first_task

SCENARIOS: set[str] = {"picking.pick_scan", "picking.pick_short", "inbound.receive_open", "inbound.receive_scan",
                        "inbound.putaway_find", "inbound.putaway_confirm", "handheld.lookup_scan",
                        "floor_tasks.count_scan", "floor_tasks.count_finish", "floor_tasks.replenish_scan"}
NOT_REPLAYED_YET = {
    "manifests.open_new",
    "manifests.scan",
    "pack.carrier",
    "pack.new_package",
    "pack.restart",
    "pack.scan",
    "pack.tracking_number",
    "pack.weigh",
    "put_back.scan",
    "returns_station.inspect",
    "returns_station.open_case",
    "returns_station.scan",
}


def _rows(model, *where):
    """How many rows of a table match."""
    return select(func.count()).select_from(model).where(*where)


def _units(column, *where):
    """The sum of a quantity column (0 when no row matches)."""
    return select(func.coalesce(func.sum(column), 0)).where(*where)


# --- pick, short pick ----------------------------------------------------------------------------

def _on_carts():
    from erp_core.inventory.models import Location, Quant

    return _units(Quant.quantity, Quant.location_id.in_(select(Location.id).where(Location.code.like("CART-%"))))


def test_a_pick_scan_sent_again_picks_one_unit(app, pick_floor):  # noqa: F811
    from wms.picking.models import PickTask

    # given a picker at a cluster cart, each pick confirmed by the scan of its order's tote slot
    _release(app, pick_floor, cart_items=20, cart_slots=6)
    clients, each = handhelds(app, "picker")

    def slot_scan() -> dict:
        task = _my_first_task(app, pick_floor)
        return {"headers": each, "body": {"data": {"task_id": task["id"], "bin": task["bin"], "item": task["item"],
                                                   "qty": "1", "code": task["slot"]}}}

    # when the slot scan (the unit into the tote) is sent 20 times, then the next one 5 times at once
    STEP.clear()
    STEP["delta"] = (1, 1, 1)
    # then each picks one unit: one move bin -> cart, one unit more picked and on the cart
    replayed(app, clients, "/picking/pick/scan", {**slot_scan(), "next": slot_scan},
             lambda: measured(app, "stock_moves", _units(PickTask.picked_quantity), _on_carts()))


def test_a_short_pick_sent_again_is_reported_once(app, pick_floor):  # noqa: F811
    from wms.locations.models import CountTask
    from wms.picking.models import PickTask

    # given a picker at a task asking for 2 x A who finds 1 in the bin, then at a task of 1 x A finding none
    _release(app, pick_floor, cart_items=20, cart_slots=6)
    clients, each = handhelds(app, "picker")
    two = _my_first_task(app, pick_floor, sku_id=pick_floor["skus"]["A"], quantity=2)
    STEP.clear()
    STEP["delta"] = (1, 0, 0, 1, 0)  # the second: its unit re-sourced, no move, the bin's count asked already

    def the_next() -> dict:
        one = _my_first_task(app, pick_floor, sku_id=pick_floor["skus"]["A"], quantity=1)
        return {"path": f"/picking/pick/{one['id']}/short", "headers": each, "body": {"data": {"found": "0"}}}

    # then the first picks the 1 found and re-sources the other once, with one count of the bin
    replayed_across(app, clients, {"path": f"/picking/pick/{two['id']}/short", "headers": each,
                                   "body": {"data": {"found": "1"}}, "next": the_next},
                    lambda: measured(app, "pick_tasks", "count_tasks", "stock_moves",
                                     _units(PickTask.short_quantity), _units(PickTask.picked_quantity)))
    assert measured(app, _rows(CountTask)) == (1,)


# --- receive, putaway, lookup --------------------------------------------------------------------

def _scanned_ok(client, headers: dict, path: str, **data) -> str:
    """One scan with a key of its own, as the handheld sends it: accepted (the ok sound); its HTML."""
    answer = client.post(path, data=data, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 200 and "scan-ok" in answer.headers["HX-Trigger"], answer.headers.get("HX-Trigger")
    return answer.get_data(as_text=True)


def _only_its_answer(app, *more):
    """A scan that opens a screen or shows what lies where: its one stored answer, and nothing else."""
    from erp_core.inventory.models import Quant

    STEP.clear()
    STEP["delta"] = (1, 0, 0) + (0,) * len(more)
    return lambda: measured(app, STORED_ANSWERS, "stock_moves", _units(Quant.quantity), *more)


def test_an_asn_scanned_again_opens_its_receipt_and_changes_nothing(app, users, dock):  # noqa: F811
    from wms.locations.models import Asn

    clients, each = handhelds(app, "picker")
    _scanned_ok(clients[0], each[0], "/inbound/receive/open", code="ASN-1")
    replayed(app, clients, "/inbound/receive/open", {"headers": each, "body": {"data": {"code": "ASN-1"}}},
             _only_its_answer(app, _rows(Asn, Asn.status != "expected")))


def test_a_receiving_scan_sent_again_receives_one_unit(app, users, dock):  # noqa: F811
    from erp_core.inventory.models import Quant
    from wms.locations.models import AsnLine

    clients, each = handhelds(app, "picker")
    STEP.clear()
    STEP["delta"] = (1, 1, 1)
    replayed(app, clients, f"/inbound/receive/{dock['asn']}/scan", {"headers": each, "body": {"data": {"code": EAN_A}}},
             lambda: measured(app, "stock_moves", _units(AsnLine.received_quantity),
                              _units(Quant.quantity, Quant.location_id == dock["staging"])))


def test_an_item_scanned_again_in_staging_opens_its_putaway_and_changes_nothing(app, users, received):  # noqa: F811
    from wms.locations.models import PutawayTask

    clients, each = handhelds(app, "picker")
    _scanned_ok(clients[0], each[0], "/inbound/putaway/scan", code=EAN_A)
    replayed(app, clients, "/inbound/putaway/scan", {"headers": each, "body": {"data": {"code": EAN_A}}},
             _only_its_answer(app, _rows(PutawayTask, PutawayTask.status == "done")))


def test_a_putaway_scan_sent_again_puts_the_units_away_once(app, users, received):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant
    from wms.locations.models import PutawayTask

    # given A's task (3 units, suggested P-01) and B's (2 units) waiting in staging
    clients, each = handhelds(app, "picker")
    with app.app_context():
        codes = {key: db.session.get(Location, db.session.get(PutawayTask, received[key]).suggested_location_id)
                 .barcode for key in ("task_a", "task_b")}

    def bin_scan(key: str) -> dict:
        return {"path": f"/inbound/putaway/{received[key]}/scan", "headers": each,
                "body": {"data": {"code": codes[key]}}}

    # then each task is put away once: one move out of staging, the task done, its units gone from staging
    STEP.clear()
    STEP["delta"] = (1, 1, -2)
    replayed_across(app, clients, {**bin_scan("task_a"), "next": lambda: bin_scan("task_b")},
                    lambda: measured(app, "stock_moves", _rows(PutawayTask, PutawayTask.status == "done"),
                                     _units(Quant.quantity, Quant.location_id == received["staging"])))


def test_a_lookup_scanned_again_shows_the_bin_and_changes_nothing(app, users, dock):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    clients, each = handhelds(app, "picker")
    with app.app_context():
        pick = db.session.get(Location, dock["pick"]).barcode
    assert "SH1" in _scanned_ok(clients[0], each[0], "/m/lookup/scan", code=pick)
    replayed(app, clients, "/m/lookup/scan", {"headers": each, "body": {"data": {"code": pick}}},
             _only_its_answer(app))


# --- count, replenish ----------------------------------------------------------------------------

def _counted():
    from wms.locations.models import CountLine

    return (_rows(CountLine, CountLine.counted_quantity.is_not(None)),
            _units(CountLine.counted_quantity))


def test_a_count_scan_sent_again_counts_one_unit(app, users, store, bin_count):  # noqa: F811
    # given a picker counting the bin A01-01-1 (blind: the books hold 4817 cups there)
    clients, each = handhelds(app, "picker")
    path = f"/tasks/count/{bin_count}/scan"
    _scanned_ok(clients[0], each[0], path, code="SH1-A01-01-1")
    cup = {"headers": each, "body": {"data": {"code": "6901234567892", "location_id": store["b1"]}}}
    # then each cup scanned counts one cup, and no stock moves (the office approves the count)
    STEP.clear()
    STEP["delta"] = (0, 0, 1, 0)
    replayed(app, clients, path, cup, lambda: measured(app, "count_lines", *_counted(), "stock_moves"))


def test_a_bin_finished_again_is_finished_once(app, users, store, bin_count):  # noqa: F811
    # given a picker who counted one cup in A01-01-1 (its lids not scanned)
    clients, each = handhelds(app, "picker")
    scan, finish = f"/tasks/count/{bin_count}/scan", f"/tasks/count/{bin_count}/finish"
    _scanned_ok(clients[0], each[0], scan, code="SH1-A01-01-1")
    _scanned_ok(clients[0], each[0], scan, code="6901234567892", location_id=store["b1"])

    def next_bin() -> dict:  # A01-02-1 started, nothing scanned in it: its cups count 0
        _scanned_ok(clients[0], each[0], scan, code="SH1-A01-02-1")
        return {"headers": each, "body": {"data": {"location_id": store["b2"]}}}

    # then the Finish button counts what was not found 0, once: one line more counted, nothing moved
    STEP.clear()
    STEP["delta"] = (1, 0, 0)
    replayed(app, clients, finish, {"headers": each, "body": {"data": {"location_id": store["b1"]}},
                                    "next": next_bin},
             lambda: measured(app, *_counted(), "stock_moves"))
    assert measured(app, *_counted()) == (3, 1)


def test_a_replenishment_sent_again_moves_the_units_once(app, users, replenish_floor):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant
    from wms.locations.models import ReplenishmentTask
    from wms.locations.replenishment import plan_replenishment, update_pick_face

    # given two tasks: 16 cups R-01 -> P-01, and 15 lids R-03 -> P-02
    floor = replenish_floor
    with app.app_context():
        update_pick_face(floor["face"], 10, 20)
        tasks = {t.sku_id: (t.id, t.quantity, db.session.get(Location, t.from_location_id).barcode,
                            db.session.get(Location, t.to_location_id).barcode)
                 for t in plan_replenishment(floor["wh"]).created}
    clients, each = handhelds(app, "picker")

    def at_the_face(sku: str, item: str) -> dict:
        task_id, quantity, from_code, to_code = tasks[floor[sku]]
        path = f"/tasks/replenish/{task_id}/scan"
        _scanned_ok(clients[0], each[0], path, step="from", code=from_code)
        _scanned_ok(clients[0], each[0], path, step="item", from_code=from_code, code=item)
        return {"path": path, "headers": each, "body": {"data": {
            "step": "to", "from_code": from_code, "item_code": item, "qty": str(quantity), "code": to_code}}}

    # then each task's units move once: one move, the task done, the pick faces hold them
    STEP.clear()
    STEP["delta"] = (1, 1, tasks[floor["lid"]][1])
    faces = (floor["pick"], floor["pick2"])
    replayed_across(app, clients, {**at_the_face("cup", "6901234567892"),
                                   "next": lambda: at_the_face("lid", "6901234567809")},
                    lambda: measured(app, "stock_moves", _rows(ReplenishmentTask, ReplenishmentTask.status == "done"),
                                     _units(Quant.quantity, Quant.location_id.in_(faces))))
