"""Batch picking by location, through the routes exactly as the handheld scans: a batch-and-sort
cart shows one stop per bin, SKU (and lot) with the total, the bin is scanned once, the units are
shared out over the order lines oldest order first, short picks too; the cart goes to the put wall,
where the last unit of an order says "slot complete" and the last unit of the cart "cart empty"."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.concurrency import race
from tests.conftest import login
from tests.integration.test_picking_lots import (  # noqa: F401  (fixture)
    EAN,
    _orders,
    gs1,
    lot_floor,
)
from tests.integration.test_scan_routes_atomic import Handheld, assert_refused, snapshot, sound

PICK = "/picking/pick/scan"
SORT = "/picking/sort/scan"
WANTS = {"O1": 1, "O2": 2, "O3": 1, "O4": 3}  # units of A each order wants (and one B each)


@pytest.fixture
def batch(app, users):
    """SH1: A in bin A01-01-1 (10), B in A01-05-1 (10); four released orders each wanting A and one B,
    released as one batch-and-sort wave: one cart."""
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import PickList
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).stock("A", "A01-01-1", 10)
                 .sku("B", "Item B", barcodes=["BC-B"]).stock("B", "A01-05-1", 10)
                 .build())
        orders = {}
        for i, (number, units) in enumerate(WANTS.items()):
            orders[number] = make_order(number, [("A", units), ("B", 1)], phone=f"1380013800{i}")
            approve_order(orders[number])
        waves, plan = release_waves(floor["wh"], WaveRules(multi_item_mode="batch_sort", cart_slots=6))
        assert plan.excluded == {} and [w.kind for w in waves] == ["batch_sort"]
        pick_list = db.session.scalar(select(PickList))
        return {"wh": floor["wh"], "A": floor["A"], "B": floor["B"], "orders": orders, "list": pick_list.id,
                "bins": {"A": floor.barcode("A01-01-1"), "B": floor.barcode("A01-05-1")},
                "picker": db.session.scalar(select(User.id).filter_by(username="picker"))}


def screen(response) -> dict:
    """What the pick screen shows: the stop's bin, quantity and orders, the step, the cart, the totals."""
    body = response.get_data(as_text=True)

    def first(pattern: str, default: str = "") -> str:
        found = re.search(pattern, body, re.S)
        return found.group(1).strip() if found else default

    return {"bin": first(r"data-expected-bin>([^<]+)<"),
            "qty": int(first(r'class="pick-qty">[^<]*<strong>(\d+)<', "0")),
            "orders": int(first(r"for (\d+) orders", "1")), "step": first(r'data-step="(\w+)"'),
            "task_id": first(r'name="task_id" value="(\d+)"'), "cart": first(r'data-cart-code="([^"]*)"'),
            "take_cart": "take-cart" in body, "done": first(r'data-cart-done="(\w+)"'),
            "totals": {k: int(v) for k, v in re.findall(r'data-(lines-done|lines|units-done|units)="(\d+)"', body)},
            "next": re.findall(r'<span class="bin-code">([^<]+)</span>', body), "body": body}


def _pick_stop(handheld, shown: dict, bin_code: str, item: str, quantities: list[int]):
    """One stop: the bin scanned once, then the item scans (each with its typed quantity)."""
    answer = handheld.scan(PICK, task_id=shown["task_id"], code=bin_code)
    assert sound(answer)[0] == "scan-ok" and screen(answer)["step"] == "item"
    for qty in quantities:
        answer = handheld.scan(PICK, task_id=screen(answer)["task_id"], bin=bin_code, code=item, qty=str(qty))
        assert sound(answer)[0] == "scan-ok", answer.headers["HX-Trigger"]
    return answer


def _cart_lines(app, list_id: int) -> dict[int, int]:
    """{order line id: units reserved for it on the cart}."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation

    with app.app_context():
        return {line: int(q) for line, q in db.session.execute(
            select(StockReservation.order_line_id, func.sum(StockReservation.quantity)).join(Location)
            .where(Location.code == f"CART-{list_id}").group_by(StockReservation.order_line_id))}


def _line_ids(app, batch, sku: str) -> dict[str, int]:
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    with app.app_context():
        return {number: db.session.scalar(select(OrderLine.id).filter_by(order_id=oid, sku_id=batch[sku]))
                for number, oid in batch["orders"].items()}


def _invariants_hold(app, batch):
    from erp_core.inventory.integrity import stock_invariant_violations

    with app.app_context():
        assert stock_invariant_violations() == []


def _statuses(app, batch) -> dict[str, str]:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        return {n: db.session.get(Order, oid).status for n, oid in batch["orders"].items()}


def _pick_all(app, batch, login_as) -> Handheld:
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    while not shown["done"]:
        sku = "A" if shown["bin"] == "A01-01-1" else "B"
        shown = screen(_pick_stop(handheld, shown, batch["bins"][sku], f"BC-{sku}", [shown["qty"]]))
    return handheld


def test_a_batch_cart_shows_one_stop_per_bin_and_sku_and_shares_the_units_out(app, batch, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import StockMove
    from wms.picking.models import PickTask

    # given a picker taking the batch cart of four orders that all want A from A01-01-1
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    # then the screen names the cart label to take, the totals, and ONE stop for A with the total
    assert shown["take_cart"] and shown["cart"].endswith(f"CART-{batch['list']}")
    assert shown["totals"] == {"lines-done": 0, "lines": 2, "units-done": 0, "units": 11}
    assert shown["next"] in (["A01-01-1"], ["A01-05-1"])  # the one other stop, never the same bin again
    first_is_a = shown["bin"] == "A01-01-1"
    # when the picker scans A's bin once and types the total; and B's bin once and scans B four times
    if first_is_a:
        assert (shown["qty"], shown["orders"]) == (7, 4)
        after_a = _pick_stop(handheld, shown, batch["bins"]["A"], "BC-A", [7])
        assert "Picked. Next bin." in after_a.get_data(as_text=True)
        shown_b = screen(after_a)
        assert (shown_b["bin"], shown_b["qty"], shown_b["orders"]) == ("A01-05-1", 4, 4)
        assert shown_b["totals"] == {"lines-done": 1, "lines": 2, "units-done": 7, "units": 11}
        done = _pick_stop(handheld, shown_b, batch["bins"]["B"], "BC-B", [1, 1, 1, 1])
    else:
        assert (shown["qty"], shown["orders"]) == (4, 4)
        after_b = _pick_stop(handheld, shown, batch["bins"]["B"], "BC-B", [1, 1, 1, 1])
        shown_a = screen(after_b)
        assert (shown_a["bin"], shown_a["qty"], shown_a["orders"]) == ("A01-01-1", 7, 4)
        done = _pick_stop(handheld, shown_a, batch["bins"]["A"], "BC-A", [7])
    # then the cart is complete and goes to the put wall, not to packing
    assert sound(done)[1] == "Cart complete. Take it to the put wall."
    final = screen(done)
    assert final["done"] == "put_wall" and "Take it to packing" not in final["body"]
    assert final["totals"] == {"lines-done": 2, "lines": 2, "units-done": 11, "units": 11}
    # and every order line's units are on the cart, reserved for it, moved task by task in the ledger
    cart = _cart_lines(app, batch["list"])
    a_lines, b_lines = _line_ids(app, batch, "A"), _line_ids(app, batch, "B")
    assert {n: cart[line] for n, line in a_lines.items()} == WANTS
    assert {n: cart[line] for n, line in b_lines.items()} == {n: 1 for n in WANTS}
    with app.app_context():
        tasks = db.session.scalars(select(PickTask)).all()
        assert {t.status for t in tasks} == {"done"} and len(tasks) == 8
        for task in tasks:
            moved = db.session.scalars(select(StockMove.quantity).filter_by(reference=f"PICK-{task.id}")).all()
            assert sum(moved) == task.quantity
        assert stock_invariant_violations() == []
    assert set(_statuses(app, batch).values()) == {"picked"}  # picked, not yet sorted


def test_units_at_a_stop_go_to_the_oldest_orders_first(app, batch, login_as):
    # given the stop of A (7 units for O1 x1, O2 x2, O3 x1, O4 x3)
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    if shown["bin"] != "A01-01-1":
        shown = screen(_pick_stop(handheld, shown, batch["bins"]["B"], "BC-B", [4]))
    # when the picker picks 2, then 2 more
    answer = _pick_stop(handheld, shown, batch["bins"]["A"], "BC-A", [2])
    assert "Picked. 5 more here." in answer.get_data(as_text=True) and screen(answer)["qty"] == 5
    answer = handheld.scan(PICK, task_id=screen(answer)["task_id"], bin=batch["bins"]["A"], code="BC-A", qty="2")
    # then the oldest orders are filled first: O1 and O2 complete (3 units), then one for O3
    cart, lines = _cart_lines(app, batch["list"]), _line_ids(app, batch, "A")
    assert {n: cart.get(line, 0) for n, line in lines.items()} == {"O1": 1, "O2": 2, "O3": 1, "O4": 0}
    # and the screen still asks for the rest of the stop, in the same bin, with no new bin scan
    assert (screen(answer)["qty"], screen(answer)["step"], screen(answer)["orders"]) == (3, "item", 1)


def test_too_many_at_a_stop_is_refused_with_the_stop_total_and_changes_nothing(app, batch, login_as):
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    assert sound(handheld.scan(PICK, task_id=shown["task_id"], code=batch["bins"]["A" if shown["bin"] == "A01-01-1"
                                                                                   else "B"]))[0] == "scan-ok"
    sku = "A" if shown["bin"] == "A01-01-1" else "B"
    before = snapshot(app)
    refused = handheld.scan(PICK, task_id=shown["task_id"], bin=batch["bins"][sku], code=f"BC-{sku}",
                            qty=str(shown["qty"] + 1))
    assert f"only {shown['qty']} left" in assert_refused(refused)
    assert snapshot(app) == before


def test_a_short_pick_at_a_stop_fills_the_oldest_orders_and_re_sources_the_newest(app, batch, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from wms.locations.models import CountTask
    from wms.picking.models import PickTask

    # given a second bin of A with 5 units, and the picker at the stop of A (7 wanted)
    with app.app_context():
        other = db.session.scalar(select(Location).filter_by(warehouse_id=batch["wh"], code="A02-05-1"))
        receive(batch["A"], other.id, 5, reference="PO-2")
        other_id = other.id
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    if shown["bin"] != "A01-01-1":
        shown = screen(_pick_stop(handheld, shown, batch["bins"]["B"], "BC-B", [4]))
    # when the picker finds only 4 in A01-01-1
    answer = handheld.scan(f"/picking/pick/{shown['task_id']}/short", found="4")
    assert sound(answer)[0] == "scan-ok"
    # then the 4 found fill O1, O2 and O3 (oldest first); O4's 3 are re-sourced from A02-05-1
    cart, lines = _cart_lines(app, batch["list"]), _line_ids(app, batch, "A")
    assert {n: cart.get(line, 0) for n, line in lines.items()} == {"O1": 1, "O2": 2, "O3": 1, "O4": 0}
    with app.app_context():
        o4 = db.session.scalars(select(PickTask).filter_by(order_line_id=lines["O4"])).all()
        assert sorted((t.location_id == other_id, t.status, t.quantity, t.short_quantity) for t in o4) == [
            (False, "short", 3, 3), (True, "open", 3, 0)]
        assert db.session.scalar(select(func.count(CountTask.id))) == 1  # the bin is counted once
        assert stock_invariant_violations() == []
    # and the screen goes on to the next stop: the re-sourced A is one stop of its own
    assert screen(answer)["bin"] in ("A02-05-1", "A01-05-1")


def test_two_confirmations_of_one_stop_at_once_pick_it_once(app, batch):
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import StockMove
    from wms.picking import stops
    from wms.picking.services import pick_list_for

    with app.app_context():
        pick_list = pick_list_for(batch["picker"], None)
        assert pick_list.id == batch["list"]
        location_id = db.session.scalar(select(stops.PickTask.location_id).filter_by(sku_id=batch["A"]))

    def confirm():
        return stops.confirm_stop(batch["list"], location_id, batch["A"], None, bin_scan=batch["bins"]["A"],
                                  item_scan="BC-A", quantity=7, user_id=batch["picker"])

    outcomes = race(app, confirm, confirm)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    assert next(o for o in outcomes if not o.ok).code == "bin_empty"
    with app.app_context():
        moved = db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.reference.like("PICK-%")))
        assert moved == 7
        assert stock_invariant_violations() == []
    cart, lines = _cart_lines(app, batch["list"]), _line_ids(app, batch, "A")
    assert {n: cart[line] for n, line in lines.items()} == WANTS


def test_the_put_wall_says_slot_complete_per_order_and_cart_empty_at_the_end(app, batch, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    # given the batch cart picked completely
    _pick_all(app, batch, login_as)
    with app.app_context():
        cart = db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{batch['list']}"))
    packer = app.test_client()
    assert login(packer, "packer").status_code == 302
    sorter = Handheld(packer)
    page = sorter.client.get("/picking/sort").get_data(as_text=True)
    assert "js/put_wall.js" in page
    assert sound(sorter.scan(SORT, step="cart", code=cart))[0] == "scan-ok"
    completed, signals = [], []
    left = sum(WANTS.values()) + len(WANTS)
    for code in ["BC-A"] * sum(WANTS.values()) + ["BC-B"] * len(WANTS):
        shown = sorter.scan(SORT, step="item", list_id=batch["list"], code=code)
        assert sound(shown)[0] == "scan-ok"
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', shown.get_data(as_text=True)))
        with app.app_context():
            label = db.session.scalar(select(Location.barcode).filter_by(
                warehouse_id=batch["wh"], code=f"PW-{int(fields['slot']):02d}"))
        put = sorter.scan(SORT, **fields, code=label)
        left -= 1
        triggers = json.loads(put.headers["HX-Trigger"])
        body = put.get_data(as_text=True)
        assert next(iter(triggers)) == "scan-ok"
        signals.append(set(triggers) - {"scan-ok"})
        if "slot-complete" in triggers:
            number = triggers["slot-complete"]["order"]
            completed.append(number)
            # shown big, with the order number, and the order is sorted now (not before)
            assert f'data-slot-complete="{fields["slot"]}"' in body and number in body
            assert _statuses(app, batch)[number] == "sorted"
        assert ("Next item" in body) == (left > 0 and "slot-complete" not in triggers)
        statuses = _statuses(app, batch)
        assert {n for n, s in statuses.items() if s == "sorted"} == set(completed)
    # then each order's slot completed once, on its last unit (its B), oldest first; the cart empty at the end
    assert completed == list(WANTS)
    assert signals[-1] == {"slot-complete", "cart-empty"} and all("cart-empty" not in s for s in signals[:-1])
    assert "data-cart-empty" in body and 'data-step="cart"' in body
    _invariants_hold(app, batch)


def test_a_bulk_single_sku_cart_is_picked_by_stop_and_goes_to_packing(app, users, login_as):
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import Wave
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    # given three one-SKU orders of A, released as a bulk single-SKU wave
    with app.app_context():
        floor = (FloorBuilder().warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=4, levels=1)).channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).stock("A", "A01-02-1", 10).build())
        for i in range(3):
            approve_order(make_order(f"S{i}", [("A", 1)], phone=f"1370013700{i}"))
        release_waves(floor["wh"], WaveRules(bulk_sku_threshold=3))
        assert [w.kind for w in db.session.scalars(select(Wave))] == ["single_sku"]
        bin_code = floor.barcode("A01-02-1")
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    # then one stop of 3, and the cart goes to packing
    assert (shown["bin"], shown["qty"], shown["orders"]) == ("A01-02-1", 3, 3)
    done = _pick_stop(handheld, shown, bin_code, "BC-A", [3])
    assert sound(done)[1] == "Cart complete. Take it to packing." and screen(done)["done"] == "packing"


def test_a_cluster_cart_keeps_one_stop_per_slot_and_goes_to_packing(app, batch, login_as):
    """Cluster carts are unchanged: the same bin and SKU for two orders are two stops (two slots)."""
    from erp_core.extensions import db
    from wms.picking.models import Wave

    with app.app_context():  # the same cart, had it been released as a cluster wave
        db.session.get(Wave, db.session.scalar(select(Wave.id))).kind = "cluster"
        db.session.commit()
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    assert shown["orders"] == 1 and shown["cart"].endswith(f"CART-{batch['list']}")
    assert shown["next"] == [shown["bin"]] * 3  # the same bin again, once per order's slot


# --- lots ----------------------------------------------------------------------------------------

def test_two_lots_in_one_bin_are_two_stops_each_picked_of_its_lot(app, lot_floor, login_as):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import Location, StockMove, StockReservation
    from wms.picking.models import PickTask
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    # given five orders of 2 creams on one batch cart: FEFO within the shipping limit reserves
    # LOT-A (3) and LOT-B in A01-01-1, and LOT-C in A01-03-1
    _orders(app, *[[("CREAM", 2)]] * 5)
    with app.app_context():
        release_waves(lot_floor["wh"], WaveRules(multi_item_mode="batch_sort", cart_slots=6))
        keys = {(t.location.code, t.lot.lot_number) for t in db.session.scalars(select(PickTask))}
        assert {lot for code, lot in keys if code == "A01-01-1"} == {"LOT-A", "LOT-B"}
    handheld = Handheld(login_as("picker"))
    shown = screen(handheld.client.get("/picking/pick"))
    seen = []
    while not shown["done"]:
        lot = re.search(r'class="lot-number">([^<]+)<', shown["body"]).group(1)
        with app.app_context():
            task = db.session.get(PickTask, int(shown["task_id"]))
            bin_barcode = task.location.barcode
            expected = sum(t.quantity for t in db.session.scalars(select(PickTask).filter_by(
                location_id=task.location_id, lot_id=task.lot_id, status="open")))
        assert shown["qty"] == expected
        seen.append((shown["bin"], lot))
        # a plain barcode where two lots lie: the lot is asked for; the GS1 label of the stop's lot picks
        answer = handheld.scan(PICK, task_id=shown["task_id"], code=bin_barcode)
        if shown["bin"] == "A01-01-1":
            assert "several lots" in assert_refused(handheld.scan(PICK, task_id=shown["task_id"], bin=bin_barcode,
                                                                  code=EAN, qty=str(shown["qty"])))
        answer = handheld.scan(PICK, task_id=shown["task_id"], bin=bin_barcode, code=gs1(lot), qty=str(shown["qty"]))
        assert sound(answer)[0] == "scan-ok", answer.headers["HX-Trigger"]
        shown = screen(answer)
    # then each bin and lot was one stop, each task moved its own lot, each line holds its 2 on the cart
    assert len(seen) == len(set(seen)) == len(keys)
    with app.app_context():
        for task in db.session.scalars(select(PickTask)):
            assert task.status == "done"
            moves = db.session.scalars(select(StockMove).filter_by(reference=f"PICK-{task.id}")).all()
            assert {m.lot_id for m in moves} == {task.lot_id} and sum(m.quantity for m in moves) == task.quantity
        on_cart = db.session.execute(select(StockReservation.order_line_id, func.sum(StockReservation.quantity))
                                     .join(Location).where(Location.code.like("CART-%"))
                                     .group_by(StockReservation.order_line_id)).all()
        assert len(on_cart) == 5 and {int(q) for _, q in on_cart} == {2}
        assert stock_invariant_violations() == []
