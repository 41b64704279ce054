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

from tests.concurrency import race
from tests.integration.test_cycle_counts import bin_count, store  # noqa: F401  (fixture)
from tests.integration.test_interception import _hidden
from tests.integration.test_manifests import desk as manifest_desk  # noqa: F401  (fixture)
from tests.integration.test_pack_station import desk as pack_desk  # noqa: F401  (fixture)
from tests.integration.test_picking import _release
from tests.integration.test_picking import floor as pick_floor  # noqa: F401  (fixture)
from tests.integration.test_putaway import received  # noqa: F401  (fixture)
from tests.integration.test_receiving import EAN_A, dock  # noqa: F401  (fixture)
from tests.integration.test_replays import CONCURRENT, SEQUENTIAL, STEP, handhelds, measured, replayed, replayed_across
from tests.integration.test_replenishment import floor as replenish_floor  # noqa: F401  (fixture)
from tests.integration.test_returns_station import _approved_case
from tests.integration.test_returns_station import desk as returns_desk  # noqa: F401  (fixture)
from tests.integration.test_scan_routes_atomic import STORED_ANSWERS, _my_first_task
from tests.integration.test_shipping_core import _pack
from tests.shipping_helpers import POOL

SCENARIOS: set[str] = {"picking.pick_scan", "picking.pick_short", "inbound.receive_open", "inbound.receive_scan",
                        "inbound.putaway_find", "inbound.putaway_confirm", "handheld.lookup_scan",
                        "floor_tasks.count_scan", "floor_tasks.count_finish", "floor_tasks.replenish_scan",
                        "pack.scan", "pack.new_package", "pack.restart", "pack.weigh", "pack.tracking_number",
                        "pack.carrier", "manifests.open_new", "manifests.scan", "put_back.scan",
                        "returns_station.scan", "returns_station.inspect", "returns_station.open_case"}
NOT_REPLAYED_YET: set[str] = set()


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


# --- the pack station ----------------------------------------------------------------------------

def _at_the_station(app, desk) -> tuple[list, list[dict]]:
    """Packers at PACK-01, each browser with the station chosen in its session."""
    clients, each = handhelds(app, "packer", page="/shipping/pack")
    for client, headers in zip(clients, each, strict=True):
        chosen = client.post("/shipping/pack/station", data={"station_id": desk["station"],
                                                             "csrf_token": headers["X-CSRFToken"]})
        assert chosen.status_code == 302
    return clients, each


def _packing(app, desk, *order_ids: int) -> tuple[int, int]:
    """(units counted, packages) of the orders (every order of the desk) as their progress rows hold them."""
    from erp_core.extensions import db
    from wms.shipping.pack_services import progress_of

    with app.app_context():
        states = [progress_of(order_id) for order_id in order_ids or desk["orders"]]
        db.session.remove()
    return sum(sum(s.counted().values()) for s in states), sum(len(s.packages) for s in states)


def _at_station(desk):
    from erp_core.inventory.models import Quant

    return _units(Quant.quantity, Quant.location_id == desk["station"])


def test_an_item_scanned_again_at_the_pack_station_is_counted_once(app, pack_desk):  # noqa: F811
    # given S0 (1 x A, 2 x B) opened at the station
    clients, each = _at_the_station(app, pack_desk)
    order_id = pack_desk["orders"][0]
    _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="S0")

    def item(code: str) -> dict:
        return {"headers": each, "body": {"data": {"code": code, "order_id": order_id}}}

    # then each item scanned counts one unit into the open package, and no stock moves yet
    STEP.clear()
    STEP["delta"] = (1, 0, 0)
    replayed(app, clients, "/shipping/pack/scan", {**item("6901234567892"), "next": lambda: item("BC-B")},
             lambda: (_packing(app, pack_desk)[0], *measured(app, "stock_moves", _at_station(pack_desk))))


def test_a_package_opened_again_is_opened_once(app, pack_desk):  # noqa: F811
    # given S0 opened and its cup counted into package 1
    clients, each = _at_the_station(app, pack_desk)
    order_id = pack_desk["orders"][0]
    _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="S0")
    _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="6901234567892", order_id=order_id)

    def next_package() -> dict:  # a phone case counted into package 2, so it holds units
        _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="BC-B", order_id=order_id)
        return {"headers": each, "body": {"data": {"order_id": order_id}}}

    # then each press opens one package more, and nothing moves
    STEP.clear()
    STEP["delta"] = (1, 0)
    replayed(app, clients, "/shipping/pack/package", {"headers": each, "body": {"data": {"order_id": order_id}},
                                                      "next": next_package},
             lambda: (_packing(app, pack_desk)[1], *measured(app, "stock_moves")))
    assert _packing(app, pack_desk, order_id) == (2, 3)


def test_a_restart_sent_again_drops_the_count_once(app, pack_desk):  # noqa: F811
    # given S0 and S1 each with a cup counted
    clients, each = _at_the_station(app, pack_desk)
    first, second = pack_desk["orders"][:2]
    for number, order_id in (("S0", first), ("S1", second)):
        _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code=number)
        _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="6901234567892", order_id=order_id)
    # then S0's restart, sent again and again, drops its count once; S1's, sent 5 times at once, once
    STEP.clear()
    STEP["delta"] = (-1, 0)
    replayed(app, clients, "/shipping/pack/restart",
             {"headers": each, "body": {"data": {"order_id": first}},
              "next": lambda: {"headers": each, "body": {"data": {"order_id": second}}}},
             lambda: (_packing(app, pack_desk)[0], *measured(app, "stock_moves")))
    # and a restart replayed after the order was counted again does not drop the new count
    key = uuid.uuid4().hex
    restart = {"data": {"order_id": first}, "headers": {**each[0], "Idempotency-Key": key}}
    assert clients[0].post("/shipping/pack/restart", **restart).status_code == 200
    _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code="6901234567892", order_id=first)
    again = clients[0].post("/shipping/pack/restart", **restart)
    assert again.headers.get("Idempotent-Replayed") == "true" and _packing(app, pack_desk)[0] == 1


def test_a_weighing_sent_again_packs_the_order_once(app, pack_desk):  # noqa: F811

    # given S1 (1 x A) opened and counted: it waits to be weighed
    clients, each = _at_the_station(app, pack_desk)
    boxes = pack_desk["boxes"]

    def weighed(number: str, order_id: int, code: str, box: str, grams: int) -> dict:
        _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code=number)
        _scanned_ok(clients[0], each[0], "/shipping/pack/scan", code=code, order_id=order_id)
        return {"headers": each, "body": {"data": {"order_id": order_id, "package": 0, "box_type_id": boxes[box],
                                                   "weight": f"{grams} g"}}}

    # then each weighing packs its order once: one shipment, one move of its unit to the station
    STEP.clear()
    STEP["delta"] = (1, 1, 1)
    s1, s2 = pack_desk["orders"][1:]
    replayed(app, clients, "/shipping/pack/weigh",
             {**weighed("S1", s1, "6901234567892", "S", 60 + 320), "next": lambda: weighed("S2", s2, "BC-C", "L",
                                                                                          400 + 1100)},
             lambda: measured(app, "shipments", "stock_moves", _at_station(pack_desk)))


def _packed_with(app, desk, carrier: str) -> list[int]:
    """The one-item orders S1 and S2 packed at the station with that carrier: their shipments' ids."""
    with app.app_context():
        return [_pack(desk, order_id, carrier_code=carrier).shipment.id for order_id in desk["orders"][1:]]


def test_a_waybill_number_scanned_again_is_saved_once(app, pack_desk):  # noqa: F811
    from wms.shipping.models import Shipment

    # given S1 and S2 packed with SF, a manual carrier: their pre-printed waybills' numbers are scanned
    shipments = _packed_with(app, pack_desk, "SF")
    clients, each = _at_the_station(app, pack_desk)

    def number(shipment_id: int, code: str) -> dict:
        return {"path": f"/shipping/pack/shipments/{shipment_id}/tracking", "headers": each,
                "body": {"data": {"code": code}}}

    STEP.clear()
    STEP["delta"] = (1, 0, 0)
    replayed_across(app, clients, {**number(shipments[0], "SF123456789012"),
                                   "next": lambda: number(shipments[1], "SF123456789013")},
                    lambda: measured(app, _rows(Shipment, Shipment.tracking_number != ""), "shipments", "stock_moves"))


def test_a_carrier_changed_again_relabels_the_parcel_once(app, pack_desk):  # noqa: F811
    from wms.shipping.models import Shipment, TrackingNumber

    # given S1 and S2 packed with ZTO (a pool number each)
    shipments = _packed_with(app, pack_desk, "ZTO")
    clients, each = _at_the_station(app, pack_desk)

    def to_sf(shipment_id: int) -> dict:
        return {"path": f"/shipping/pack/shipments/{shipment_id}/carrier", "headers": each,
                "body": {"data": {"carrier": "SF"}}}

    # then each change cancels its shipment and voids its number once, and packs the parcel again once
    STEP.clear()
    STEP["delta"] = (1, 1, 1, 0)
    replayed_across(app, clients, {**to_sf(shipments[0]), "next": lambda: to_sf(shipments[1])},
                    lambda: measured(app, "shipments", _rows(Shipment, Shipment.status == "cancelled"),
                                     _rows(TrackingNumber, TrackingNumber.status == "void"), _at_station(pack_desk)))


# --- the handover desk ---------------------------------------------------------------------------

def test_a_handover_opened_again_is_opened_once(app, users, manifest_desk):  # noqa: F811
    """The desk's form answers with a redirect to the new handover's page (not a 2xx `replayed` reads):
    sent again with its key, it is the same redirect, to the one handover it opened."""
    clients, each = handhelds(app, "shipping", page="/shipping/manifests/")
    form = {"carrier_id": manifest_desk["zto"], "warehouse_id": manifest_desk["wh"]}

    def opened(i: int, key: str) -> tuple[int, str]:
        answer = clients[i].post("/shipping/manifests/", data=form, headers={**each[i], "Idempotency-Key": key})
        return answer.status_code, answer.headers.get("Location", "")

    # when the form is sent 20 times with one key, then 5 times at once with another
    key = uuid.uuid4().hex
    sequential = {opened(0, key) for _ in range(SEQUENTIAL)}
    once = measured(app, "manifests")
    key = uuid.uuid4().hex
    concurrent = race(app, *(lambda i=i: opened(i, key) for i in range(CONCURRENT)))
    # then each key opened one handover, and every answer is the redirect to it
    assert [o.kind for o in concurrent] == ["ok"] * CONCURRENT, [str(o) for o in concurrent]
    answers = sequential | {o.value for o in concurrent}
    assert len(sequential) == 1 and len(answers) == 2 and {status for status, _ in answers} == {302}, answers
    assert (once, measured(app, "manifests")) == ((1,), (2,))


def test_a_parcel_scanned_again_is_on_the_handover_once(app, users, manifest_desk):  # noqa: F811
    from wms.shipping.manifests import open_manifest
    from wms.shipping.models import Shipment

    with app.app_context():
        manifest = open_manifest(manifest_desk["zto"], manifest_desk["wh"]).id
    clients, each = handhelds(app, "shipping")

    def parcel(number: str) -> dict:
        return {"headers": each, "body": {"data": {"code": number}}}

    STEP.clear()
    STEP["delta"] = (1, 0)
    replayed(app, clients, f"/shipping/manifests/{manifest}/scan", {**parcel(POOL[0]), "next": lambda: parcel(POOL[1])},
             lambda: measured(app, _rows(Shipment, Shipment.manifest_id == manifest), "stock_moves"))


def test_a_handover_closed_again_ships_its_parcels_once(app, users, manifest_desk):  # noqa: F811
    from erp_core.extensions import db
    from wms.shipping.manifests import open_manifest, scan_parcel
    from wms.shipping.models import Manifest, Shipment, ShipmentLine

    # given two handovers of two parcels each; the handover's own barcode closes it
    with app.app_context():
        manifests = []
        for numbers in (POOL[:2], POOL[2:4]):
            manifest = open_manifest(manifest_desk["zto"], manifest_desk["wh"])
            for number in numbers:
                scan_parcel(manifest.id, number)
            manifests.append((manifest.id, manifest.reference))
        second_moves = db.session.scalar(select(func.count()).select_from(ShipmentLine).join(Shipment).where(
            Shipment.manifest_id == manifests[1][0]))
    clients, each = handhelds(app, "shipping")

    def close(at: int) -> dict:
        manifest_id, reference = manifests[at]
        return {"path": f"/shipping/manifests/{manifest_id}/scan", "headers": each,
                "body": {"data": {"code": reference, "courier_name": "王师傅"}}}

    # then each close ships its parcels once: one move per shipment line to the customer, once
    STEP.clear()
    STEP["delta"] = (1, 2, second_moves)
    replayed_across(app, clients, {**close(0), "next": lambda: close(1)},
                    lambda: measured(app, _rows(Manifest, Manifest.status == "closed"),
                                     _rows(Shipment, Shipment.status == "shipped"), "stock_moves"))


# --- put-back ------------------------------------------------------------------------------------

def test_a_put_back_scan_sent_again_puts_one_unit_back(app, pack_desk):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant, StockReservation
    from erp_core.orders.intercept import intercept_order

    # given S0 (1 x A, 2 x B) intercepted after picking: its units wait on the cart to be put back
    order_id = pack_desk["orders"][0]
    with app.app_context():
        intercept_order(order_id, "buyer cancelled")
        target = db.session.scalar(select(Location.id).filter_by(warehouse_id=pack_desk["wh"], code="A01-04-1"))
    clients, each = handhelds(app, "supervisor")
    path = f"/shipping/put-back/{order_id}/scan"

    def into_the_bin() -> dict:
        fields = _hidden(_scanned_ok(clients[0], each[0], path, step="item", code="BC-B", qty="1"))
        assert fields["step"] == "bin"
        return {"headers": each, "body": {"data": {**fields, "code": "A01-04-1"}}}

    # then each bin scan puts one unit back once: one move, one unit less reserved, one more in the bin
    STEP.clear()
    STEP["delta"] = (1, -1, 1)
    replayed(app, clients, path, {**into_the_bin(), "next": into_the_bin},
             lambda: measured(app, "stock_moves", _units(StockReservation.quantity),
                              _units(Quant.quantity, Quant.location_id == target)))


# --- the returns station -------------------------------------------------------------------------

def _returned():
    from erp_core.aftersales.models import AfterSalesLine
    from erp_core.inventory.models import Location, Quant

    returns_bins = select(Location.id).where(Location.bin_type == "returns")
    return (_units(AfterSalesLine.received_quantity), _units(AfterSalesLine.restocked_quantity),
            _units(Quant.quantity, Quant.location_id.in_(returns_bins)))


def test_a_returned_item_scanned_again_is_received_once(app, returns_desk):  # noqa: F811
    # given a return of 2 cups, approved, at the station
    case = _approved_case(app, returns_desk["orders"]["cups"], {"A": 2})
    clients, each = handhelds(app, "packer", page="/returns/station/")
    cup = {"headers": each, "body": {"data": {"case_id": case["id"], "code": "6901234567892"}}}
    # then each cup scanned is received once: one move from the customer into the returns bin
    STEP.clear()
    STEP["delta"] = (1, 1, 0, 1)
    replayed(app, clients, "/returns/station/scan", cup, lambda: measured(app, "stock_moves", *_returned()))


def test_an_inspection_sent_again_restocks_one_unit(app, returns_desk):  # noqa: F811
    from erp_core.aftersales.models import AfterSalesLine
    from erp_core.extensions import db

    # given 2 cups of a return received into the returns bin
    case = _approved_case(app, returns_desk["orders"]["cups"], {"A": 2})
    clients, each = handhelds(app, "packer", page="/returns/station/")
    for _ in range(2):
        _scanned_ok(clients[0], each[0], "/returns/station/scan", case_id=case["id"], code="6901234567892")
    with app.app_context():
        line_id = db.session.scalar(select(AfterSalesLine.id).filter_by(case_id=case["id"]))
    sellable = {"case_id": case["id"], "line_id": line_id, "outcome": "sellable", "qty": "1", "bin": "A01-01-1"}
    # then each inspection sends one cup back to its pick bin once
    STEP.clear()
    STEP["delta"] = (1, 0, 1, -1)
    replayed(app, clients, "/returns/station/inspect", {"headers": each, "body": {"data": sellable}},
             lambda: measured(app, "stock_moves", *_returned()))


def test_a_case_opened_again_at_the_station_is_opened_once(app, returns_desk):  # noqa: F811
    # given the office at the station, opening a return of everything the cups order and the cream order still have
    clients, each = handhelds(app, "supervisor", page="/returns/station/")

    def of(order: str) -> dict:
        return {"headers": each, "body": {"data": {"order_id": returns_desk["orders"][order]}}}

    # then each order gets one case (approved), with one line per returnable line, and nothing moves
    STEP.clear()
    STEP["delta"] = (1, 1, 0)
    replayed(app, clients, "/returns/station/open-case", {**of("cups"), "next": lambda: of("cream")},
             lambda: measured(app, "aftersales_cases", "aftersales_lines", "stock_moves"))
