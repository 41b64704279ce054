"""Picking and sorting by lot (批次), through the routes exactly as the handheld scans: an order takes
the earliest lot meeting its shipping limit; the picker scanning a held or short-dated lot is refused
and nothing changes; a scan of another lot as good swaps the reservation and picks it; a plain
barcode where several lots lie asks for the lot; a short pick re-sources FEFO within the limit; the
put wall sorts each unit with its own lot's reservation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import login
from tests.integration.test_scan_routes_atomic import Handheld, assert_refused, snapshot, sound

EAN = "6901234567892"  # the face cream's barcode; its GS1 labels carry GTIN 0 + EAN
SERUM_EAN = "4006381333931"
PICK = "/picking/pick/scan"
SORT = "/picking/sort/scan"
# lot -> (days to expiry, bin, units); the SKU must ship with at least 90 days left
LOTS = {"LOT-SHORT": (30, "A01-01-1", 5), "LOT-A": (200, "A01-01-1", 3), "LOT-B": (300, "A01-01-1", 5),
        "LOT-HELD": (400, "A01-01-1", 5), "LOT-S2": (40, "A01-03-1", 4), "LOT-C": (250, "A01-03-1", 4)}


def gs1(lot: str, days: int | None = None, gtin: str = "0" + EAN) -> str:
    """A GS1-128 label as a scanner reads it: GTIN, expiry, then the lot."""
    from erp_core.inventory.reservations import business_today

    expiry = f"(17){business_today() + timedelta(days=days or LOTS[lot][0]):%y%m%d}" if lot in LOTS or days else ""
    return f"(01){gtin}{expiry}(10){lot}"


@pytest.fixture
def lot_floor(app, users):
    """SH1: face cream tracked by lot (720 days' shelf life, 90 to be left at shipment), four lots
    in bin A01-01-1 (one too short-dated, one on hold) and two in A01-03-1; a serum with one lot."""
    from erp_core.auth.models import User
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Location
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive
    from wms.locations.services import ZoneSpec

    def lots(floor):
        today = business_today()
        made = {}
        for code, numbers in (("CREAM", LOTS), ("SERUM", {"SER-1": (365, "A01-04-1", 6)})):
            sku = db.session.get(Sku, floor[code])
            sku.lot_tracked, sku.shelf_life_days, sku.min_ship_life_days = True, 720, 90
            db.session.commit()
            for number, (days, bin_code, units) in numbers.items():
                lot = get_or_create_lot(sku, number, expiry_date=today + timedelta(days=days))
                lot.on_hold, lot.hold_reason = number == "LOT-HELD", "quality check" if number == "LOT-HELD" else ""
                db.session.commit()
                bin_id = db.session.scalar(select(Location.id).filter_by(warehouse_id=floor["wh"], code=bin_code))
                receive(sku.id, bin_id, units, reference="PO-1", lot_id=lot.id)
                made[number] = lot.id
        return made

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("CREAM", "Face cream", barcodes=[EAN])
                 .sku("SERUM", "Serum", barcodes=[SERUM_EAN])
                 .then(lots)
                 .build())
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        return dict(floor.items()) | {"picker": picker}


def _orders(app, *lines_per_order):
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order

    with app.app_context():
        for i, lines in enumerate(lines_per_order):
            approve_order(make_order(f"L{i}", lines, phone=f"1390013900{i}"))


def _release(app, floor, **rules):
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        waves, plan = release_waves(floor["wh"], WaveRules(**rules))
        assert plan.excluded == {}, plan.excluded
        return [w.id for w in waves]


def _task(app, floor, sku="CREAM", **where):
    """The first open pick task of the SKU, as the scans need it."""
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    with app.app_context():
        task = db.session.scalar(select(PickTask).filter_by(sku_id=floor[sku], status="open", **where)
                                 .order_by(PickTask.sequence, PickTask.id))
        slot = f"{task.tote.barcode}-S{task.slot}" if task.slot else ""
        return {"id": task.id, "bin": task.location.barcode, "slot": slot, "quantity": task.quantity,
                "lot": task.lot.lot_number if task.lot else None, "line": task.order_line_id}


def _form_fields(response, path: str) -> dict[str, str]:
    """The hidden fields of the answer's scan form: the accepted scans the next scan sends back."""
    body = response.get_data(as_text=True)
    form = body.split(f'hx-post="{path}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))


def _picker(app, login_as) -> Handheld:
    handheld = Handheld(login_as("picker"))
    assert handheld.client.get("/picking/pick").status_code == 200  # the picker takes the cart
    return handheld


def _scan_bin(handheld, task):
    assert sound(handheld.scan(PICK, task_id=task["id"], code=task["bin"]))[0] == "scan-ok"


def _scan_item(handheld, task, item: str, qty: int = 1, lot: str = ""):
    """The item scan (and, on a cluster cart, the slot scan it asks for): the last answer."""
    answer = handheld.scan(PICK, task_id=task["id"], bin=task["bin"], code=item, qty=str(qty), lot=lot)
    if sound(answer)[0] == "scan-ok" and 'data-step="slot"' in answer.get_data(as_text=True):
        answer = handheld.scan(PICK, **_form_fields(answer, PICK), code=task["slot"])
    return answer


def _reserved(app, line_id: int) -> dict[str, int]:
    """{lot number @ location code: units} the order line holds."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Lot, StockReservation

    with app.app_context():
        rows = db.session.execute(select(Lot.lot_number, Location.code, func.sum(StockReservation.quantity))
                                  .join(Lot, Lot.id == StockReservation.lot_id)
                                  .join(Location, Location.id == StockReservation.location_id)
                                  .where(StockReservation.order_line_id == line_id)
                                  .group_by(Lot.lot_number, Location.code)).all()
        return {f"{lot}@{loc}": int(q) for lot, loc, q in rows}


def _picked_lots(app, task_id: int) -> list[str]:
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot, StockMove

    with app.app_context():
        return db.session.scalars(select(Lot.lot_number).join(StockMove, StockMove.lot_id == Lot.id)
                                  .where(StockMove.reference == f"PICK-{task_id}")).all()


def _invariants(app):
    from erp_core.inventory.integrity import stock_invariant_violations

    with app.app_context():
        assert stock_invariant_violations() == []


def test_an_order_takes_the_earliest_lot_meeting_its_shipping_limit_and_the_screen_shows_it(app, lot_floor,
                                                                                               login_as):
    from erp_core.inventory.reservations import business_today

    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    task = _task(app, lot_floor)
    # LOT-SHORT expires first but has 30 days left where 90 must be: LOT-A is the earliest that may ship
    assert task["lot"] == "LOT-A" and _reserved(app, task["line"]) == {"LOT-A@A01-01-1": 2}
    page = _picker(app, login_as).client.get("/picking/pick").get_data(as_text=True)
    expiry = (business_today() + timedelta(days=200)).isoformat()
    assert "LOT-A" in page and expiry in page and 'name="lot"' not in page  # the lot field waits for the item step
    office = app.test_client()
    login(office, "supervisor")
    board = office.get(f"/picking/waves/{_waves(app)[0]}").get_data(as_text=True)
    assert "LOT-A" in board and expiry in board


def _waves(app):
    from erp_core.extensions import db
    from wms.picking.models import Wave

    with app.app_context():
        return db.session.scalars(select(Wave.id).order_by(Wave.id)).all()


@pytest.mark.parametrize("lot", ["LOT-HELD", "LOT-SHORT", "LOT-NOPE"])
def test_a_held_short_dated_or_unknown_lot_is_refused_and_nothing_changes(app, lot_floor, login_as, lot):
    from wms.picking.errors import ScanRefused
    from wms.picking.services import confirm_pick

    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    _scan_bin(handheld, task)
    before = snapshot(app)
    refused = _scan_item(handheld, task, gs1(lot, days=500))
    message = assert_refused(refused)
    assert f"Wrong lot {lot}: pick lot LOT-A" in message and "expiring" in message
    assert snapshot(app) == before
    # nor does the service take it when the scan reaches it directly (say, a forged form)
    with app.app_context(), pytest.raises(ScanRefused) as error:
        confirm_pick(task["id"], bin_scan=task["bin"], item_scan=gs1(lot, days=500), quantity=2,
                     user_id=lot_floor["picker"])
    assert error.value.code == "wrong_lot"
    assert snapshot(app) == before


def test_another_lot_as_good_is_swapped_in_and_picked(app, lot_floor, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant
    from wms.picking.models import PickTask

    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    _scan_bin(handheld, task)
    # the picker takes two units of LOT-B (later expiry, free units, not held), scanned in the raw
    # form a scanner sends: symbology prefix, no brackets
    raw = gs1("LOT-B").replace("(01)", "]C101").replace("(17)", "17").replace("(10)", "10")
    answer = _scan_item(handheld, task, raw, qty=2)
    assert sound(answer)[0] == "scan-ok", answer.headers["HX-Trigger"]
    with app.app_context():
        picked = db.session.get(PickTask, task["id"])
        assert (picked.lot.lot_number, picked.picked_quantity, picked.status) == ("LOT-B", 2, "done")
        quants = {q.lot.lot_number: (q.quantity, q.reserved_quantity) for q in db.session.scalars(
            select(Quant).where(Quant.sku_id == lot_floor["CREAM"], Quant.location_id == picked.location_id))}
    assert quants["LOT-A"] == (3, 0) and quants["LOT-B"] == (3, 0)  # LOT-A is free again, LOT-B left the bin
    assert _picked_lots(app, task["id"]) == ["LOT-B"]
    assert _reserved(app, task["line"]) == {f"LOT-B@CART-{_list_id(app, task)}": 2}
    _invariants(app)


def _list_id(app, task) -> int:
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    with app.app_context():
        return db.session.get(PickTask, task["id"]).pick_list_id


def test_part_of_a_task_from_another_lot_splits_off_and_the_rest_stays_on_the_tasks_lot(app, lot_floor, login_as):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking.models import PickTask

    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    _scan_bin(handheld, task)
    # one unit of LOT-B: it splits off into its own task; the task keeps LOT-A for the other
    assert sound(_scan_item(handheld, task, gs1("LOT-B")))[0] == "scan-ok"
    with app.app_context():
        tasks = db.session.scalars(select(PickTask).filter_by(order_line_id=task["line"]).order_by(PickTask.id)).all()
        assert [(t.id == task["id"], t.lot.lot_number, t.quantity, t.picked_quantity, t.status) for t in tasks] == [
            (True, "LOT-A", 1, 0, "open"), (False, "LOT-B", 1, 1, "done")]
        split_id = tasks[1].id
    assert _picked_lots(app, split_id) == ["LOT-B"]
    # then the last unit, of the task's own lot, finishes the order
    _scan_bin(handheld, task)
    assert sound(_scan_item(handheld, task, gs1("LOT-A")))[0] == "scan-ok"
    assert _picked_lots(app, task["id"]) == ["LOT-A"]
    with app.app_context():
        assert db.session.scalar(select(Order.status)) == "picked"
    cart = f"CART-{_list_id(app, task)}"
    assert _reserved(app, task["line"]) == {f"LOT-A@{cart}": 1, f"LOT-B@{cart}": 1}
    _invariants(app)


def test_a_plain_barcode_among_several_lots_asks_for_the_lot_and_a_typed_lot_picks(app, lot_floor, login_as):
    _orders(app, [("CREAM", 1), ("SERUM", 1)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    _scan_bin(handheld, task)
    before = snapshot(app)
    message = assert_refused(_scan_item(handheld, task, EAN))
    assert "several lots of CREAM" in message and "LOT-A" in message
    assert snapshot(app) == before
    # the lot typed by hand with the plain barcode picks
    assert sound(_scan_item(handheld, task, EAN, lot="lot-a"))[0] == "scan-ok"
    assert _picked_lots(app, task["id"]) == ["LOT-A"]
    # the serum's bin holds one lot only: its plain barcode is enough
    serum = _task(app, lot_floor, "SERUM")
    _scan_bin(handheld, serum)
    assert sound(_scan_item(handheld, serum, SERUM_EAN))[0] == "scan-ok"
    assert _picked_lots(app, serum["id"]) == ["SER-1"]
    _invariants(app)


def test_a_short_pick_re_sources_the_earliest_lot_meeting_the_shipping_limit(app, lot_floor, login_as):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    # the picker finds one unit of LOT-A: the other goes to A01-03-1, LOT-C (LOT-S2 there expires
    # earlier but too soon for the order; LOT-B lies in the bin found short)
    assert sound(handheld.scan(f"/picking/pick/{task['id']}/short", found="1"))[0] == "scan-ok"
    assert _picked_lots(app, task["id"]) == ["LOT-A"]
    with app.app_context():
        again = db.session.scalars(select(PickTask).filter_by(order_line_id=task["line"], status="open")).all()
        assert [(t.location.code, t.lot.lot_number, t.quantity) for t in again] == [("A01-03-1", "LOT-C", 1)]
    cart = f"CART-{_list_id(app, task)}"
    assert _reserved(app, task["line"]) == {f"LOT-A@{cart}": 1, "LOT-C@A01-03-1": 1}
    _invariants(app)


def test_the_put_wall_sorts_each_unit_with_its_lots_reservation(app, lot_floor, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Lot, Quant
    from erp_core.orders.models import Order
    from wms.picking.models import PickTask, WaveOrder
    from wms.picking.services import confirm_pick, pick_list_for

    # given two orders of 2 creams: the first takes LOT-A x 2, the second LOT-A x 1 and LOT-C x 1;
    # a batch cart picked completely, each unit of its task's lot
    _orders(app, [("CREAM", 2)], [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4, multi_item_mode="batch_sort")
    with app.app_context():
        pick_list = pick_list_for(lot_floor["picker"], None)
        for task in db.session.scalars(select(PickTask).order_by(PickTask.sequence)).all():
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=gs1(task.lot.lot_number),
                         quantity=task.quantity, user_id=lot_floor["picker"])
        list_id = pick_list.id
        cart = db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{list_id}"))
        slots = {o.external_id: wo.slot for wo, o in db.session.execute(
            select(WaveOrder, Order).join(Order, Order.id == WaveOrder.order_id))}
    sorter = Handheld(login_as("packer"))
    assert sound(sorter.scan(SORT, step="cart", code=cart))[0] == "scan-ok"
    item = {"step": "item", "list_id": list_id}
    # a plain barcode while the cart holds two lots of the cream: the lot is asked for, nothing changes
    before = snapshot(app)
    asked = sorter.scan(SORT, **item, code=EAN)
    assert "several lots of CREAM" in assert_refused(asked) and 'name="lot"' in asked.get_data(as_text=True)
    # a lot the cart does not hold is put aside
    assert "lot LOT-B of CREAM" in assert_refused(sorter.scan(SORT, **item, code=gs1("LOT-B")))
    assert snapshot(app) == before

    def sort(code: str, lot: str = "") -> int:
        shown = sorter.scan(SORT, **item, code=code, lot=lot)
        assert sound(shown)[0] == "scan-ok", shown.headers["HX-Trigger"]
        fields = _form_fields(shown, SORT)
        with app.app_context():
            label = db.session.scalar(select(Location.barcode).filter_by(
                warehouse_id=lot_floor["wh"], code=f"PW-{int(fields['slot']):02d}"))
        assert sound(sorter.scan(SORT, **fields, code=label))[0] == "scan-ok"
        return int(fields["slot"])

    # the LOT-C unit goes to the second order, whose reservation is of LOT-C; the LOT-A units to the
    # oldest order waiting for LOT-A (one of them with the lot typed by hand)
    assert sort(gs1("LOT-C")) == slots["L1"]
    assert [sort(gs1("LOT-A")), sort(EAN, lot="LOT-A"), sort(gs1("LOT-A"))] == [slots["L0"], slots["L0"], slots["L1"]]
    with app.app_context():
        in_slots = {(loc, lot): int(q) for loc, lot, q in db.session.execute(
            select(Location.code, Lot.lot_number, Quant.quantity).join(Location, Location.id == Quant.location_id)
            .join(Lot, Lot.id == Quant.lot_id).where(Location.bin_type == "put_wall", Quant.quantity > 0))}
        assert in_slots == {(f"PW-{slots['L0']:02d}", "LOT-A"): 2, (f"PW-{slots['L1']:02d}", "LOT-A"): 1,
                            (f"PW-{slots['L1']:02d}", "LOT-C"): 1}
        assert set(db.session.scalars(select(Order.status))) == {"sorted"}
    _invariants(app)


def test_a_chinese_picker_reads_the_lot_and_the_wrong_lot_in_chinese(app, lot_floor, login_as, users):
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        db.session.get(User, users["picker"]).locale = "zh"
        db.session.commit()
    _orders(app, [("CREAM", 2)])
    _release(app, lot_floor, cart_slots=4)
    handheld, task = _picker(app, login_as), _task(app, lot_floor)
    assert "批次" in handheld.client.get("/picking/pick").get_data(as_text=True)
    _scan_bin(handheld, task)
    assert "批次错误 LOT-HELD：请拣批次 LOT-A" in assert_refused(_scan_item(handheld, task, gs1("LOT-HELD")))
