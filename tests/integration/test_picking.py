"""Wave picking end to end: plan -> release -> pick every task -> wave complete, with the ledger sound;
wrong scans, short picks, replayed scans and a concurrent double pick."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from erp_core.errors import DomainError
from tests.builders import FloorBuilder


@pytest.fixture
def floor(app, users):
    """SH1 with a generated layout (2 aisles), 3 SKUs in pick bins, 6 released orders."""
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec

    with app.app_context():
        # bins in id order: A01-01-1 .. A01-06-1, then A02-01-1 .. A02-06-1
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).stock("A", "A01-01-1", 10)
                 .sku("B", "Item B", barcodes=["BC-B"]).stock("B", "A01-05-1", 10)
                 .sku("C", "Item C", barcodes=["BC-C"]).stock("C", "A02-03-1", 10)
                 .stock("A", "A02-05-1", 5)  # a second bin of A, for short picks
                 .build())
        orders = [make_order(f"P{i}", lines, phone=f"1380013800{i}") for i, lines in enumerate(
            [[("A", 1), ("B", 2)], [("A", 2)], [("C", 1), ("B", 1)], [("A", 1), ("C", 1)], [("B", 1)], [("C", 3)]])]
        for order_id in orders:
            approve_order(order_id)
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        return {"wh": floor["wh"], "orders": orders, "skus": {code: floor[code] for code in "ABC"},
                "picker": picker, "bins": floor.bins()}


def _release(app, floor, **rules):
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        waves, plan = release_waves(floor["wh"], WaveRules(**rules))
        return [w.id for w in waves], plan


def _pick_everything(app, floor):
    from erp_core.extensions import db
    from wms.picking.services import confirm_pick, next_task, pick_list_for

    with app.app_context():
        while (pick_list := pick_list_for(floor["picker"], None)) is not None:
            while (task := next_task(pick_list)) is not None:
                for _ in range(task.quantity - task.picked_quantity):
                    confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=f"BC-{task.sku.code}",
                                 user_id=floor["picker"])
                db.session.refresh(pick_list)
            db.session.expire_all()


def test_plan_release_pick_everything_completes_the_wave(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.orders.models import Order
    from wms.picking.models import Wave

    wave_ids, plan = _release(app, floor, cart_items=6, cart_slots=3)
    assert plan.excluded == {} and plan.order_count == 6
    _pick_everything(app, floor)
    with app.app_context():
        assert {db.session.get(Wave, i).status for i in wave_ids} == {"picked"}
        statuses = db.session.scalars(select(Order.status).where(Order.id.in_(floor["orders"]))).all()
        assert set(statuses) == {"picked"}
        assert ledger_discrepancies() == []


def test_tasks_follow_the_route_and_carts_respect_slots(app, floor):
    from erp_core.extensions import db
    from wms.picking.models import PickList

    _release(app, floor, cart_items=6, cart_slots=3)
    with app.app_context():
        for pick_list in db.session.scalars(select(PickList)):
            assert len({t.order_id for t in pick_list.tasks}) <= 3
            assert [t.sequence for t in pick_list.tasks] == sorted(t.sequence for t in pick_list.tasks)
            assert pick_list.route_length_m > 0


def test_wrong_bin_wrong_item_and_too_many_change_nothing(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from wms.picking.errors import TooManyPicked, WrongBinScanned, WrongItemScanned
    from wms.picking.services import confirm_pick, next_task, pick_list_for

    _release(app, floor, cart_items=6, cart_slots=3)
    with app.app_context():
        moves_before = db.session.scalar(select(func.count(StockMove.id)))
        task = next_task(pick_list_for(floor["picker"], None))
        with pytest.raises(WrongBinScanned) as wrong_bin:
            confirm_pick(task.id, bin_scan="SH1-NOPE", item_scan=f"BC-{task.sku.code}", user_id=floor["picker"])
        assert wrong_bin.value.expected == task.location.code
        with pytest.raises(WrongItemScanned):
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan="BC-ZZZ", user_id=floor["picker"])
        with pytest.raises(TooManyPicked):
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=f"BC-{task.sku.code}",
                         quantity=task.quantity + 1, user_id=floor["picker"])
        assert db.session.scalar(select(func.count(StockMove.id))) == moves_before


def test_a_short_pick_goes_to_another_bin_and_asks_for_a_count(app, floor):
    from erp_core.extensions import db
    from wms.locations.models import CountTask
    from wms.picking.models import PickTask
    from wms.picking.services import pick_list_for, report_short

    _release(app, floor, cart_items=20, cart_slots=6)
    with app.app_context():
        pick_list = pick_list_for(floor["picker"], None)
        task = next(t for t in pick_list.tasks if t.sku_id == floor["skus"]["A"])
        report_short(task.id, found=0, user_id=floor["picker"])
        again = db.session.scalars(select(PickTask).where(PickTask.sku_id == floor["skus"]["A"],
                                                          PickTask.location_id == floor["bins"][10])).all()
        assert again and again[0].quantity == task.quantity
        assert db.session.scalar(select(func.count(CountTask.id))) == 1


def test_concurrent_pickers_on_the_same_last_unit_one_wins(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.services import ledger_discrepancies
    from wms.picking.services import pick_list_for

    _release(app, floor, cart_items=20, cart_slots=6)
    with app.app_context():
        pick_list = pick_list_for(floor["picker"], None)
        task = next(t for t in pick_list.tasks if t.quantity == 1)
        task_id, bin_code, item = task.id, task.location.barcode, f"BC-{task.sku.code}"
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def worker():
        from wms.picking.services import confirm_pick

        with app.app_context():
            start.wait()
            try:
                confirm_pick(task_id, bin_scan=bin_code, item_scan=item, user_id=floor["picker"])
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert sorted(outcomes) == ["bin_empty", "ok"]
    with app.app_context():
        assert ledger_discrepancies() == []


def test_a_replayed_scan_is_applied_once(app, floor, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from tests.conftest import page_csrf
    from wms.picking.services import next_task, pick_list_for

    _release(app, floor, cart_items=20, cart_slots=6)
    client = login_as("picker")
    page = client.get("/picking/pick")
    assert page.status_code == 200
    with app.app_context():
        task = next_task(pick_list_for(floor["picker"], None))
        data = {"task_id": task.id, "bin": task.location.barcode, "item": f"BC-{task.sku.code}", "qty": "1",
                "code": task.tote.barcode + f"-S{task.slot}" if task.slot else f"BC-{task.sku.code}"}
        if not task.slot:
            data.pop("item")
        moves_before = db.session.scalar(select(func.count(StockMove.id)))
    headers = {"X-CSRFToken": page_csrf(client, "/picking/pick"), "Idempotency-Key": "scan-abc"}
    first = client.post("/picking/pick/scan", data=data, headers=headers)
    second = client.post("/picking/pick/scan", data=data, headers=headers)
    assert first.status_code == second.status_code == 200 and "scan-ok" in first.headers["HX-Trigger"]
    with app.app_context():
        assert db.session.scalar(select(func.count(StockMove.id))) == moves_before + 1


def test_the_wave_board_hears_a_burst_of_picks_once_coalesced_after_commit(app, floor, login_as, monkeypatch):
    import time

    from wms.picking.services import confirm_pick, next_task, pick_list_for
    from wms.realtime import socketio

    monkeypatch.setitem(app.config, "BOARD_COALESCE_SECONDS", 1.0)
    board = login_as("supervisor")
    sock = socketio.test_client(app, flask_test_client=board)
    assert sock.emit("join_warehouse", {"warehouse_id": floor["wh"]}, callback=True) == {"ok": True}
    wave_ids, _ = _release(app, floor, cart_items=20, cart_slots=6)

    def progress_of(wave_id, timeout):
        received, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.05)
            received += [m["args"][0] for m in sock.get_received()
                         if m["name"] == "wave_progress" and m["args"][0]["wave"] == wave_id]
        return received

    released = progress_of(wave_ids[0], 2.5)
    assert [p["picked"] for p in released] == [0], "the release is announced once, after the window"
    with app.app_context():
        for _ in range(3):  # three scans back to back, within one window
            task = next_task(pick_list_for(floor["picker"], None))
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=f"BC-{task.sku.code}",
                         user_id=floor["picker"])
        wave_id = task.pick_list.wave_id
    picked = progress_of(wave_id, 3.0)
    assert len(picked) == 1, "a burst of three picks gives the board one coalesced update"
    assert picked[0]["picked"] == 3 and 'id="wave-' in picked[0]["html"]


def test_a_wave_needing_more_than_a_pick_face_holds_asks_for_replenishment(app, floor):
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.models import ReplenishmentTask
    from wms.locations.replenishment import assign_pick_face

    with app.app_context():
        # given D's pick face holds 2, a reserve bin 30, and an order wants 5
        face_bin, reserve_bin = floor["bins"][2], floor["bins"][11]
        db.session.get(Location, reserve_bin).bin_type = "reserve"
        db.session.commit()
        sku = create_sku("D", "Item D", barcodes=["BC-D"])
        receive(sku.id, face_bin, 2)
        receive(sku.id, reserve_bin, 30)
        assign_pick_face(face_bin, sku.id, 4, 20)
        approve_order(make_order("PD", [("D", 5)], phone="13700137000"))
    # when the wave is released
    _release(app, floor, cart_items=20, cart_slots=6)
    # then the face gets a replenishment task for the wave
    with app.app_context():
        tasks = db.session.scalars(select(ReplenishmentTask).where(ReplenishmentTask.to_location_id == face_bin)).all()
        assert tasks and {t.trigger for t in tasks} == {"wave"} and sum(t.quantity for t in tasks) >= 5


def test_a_batch_cart_is_sorted_into_the_put_wall_slots(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation
    from erp_core.inventory.services import ledger_discrepancies
    from wms.picking.models import PickList, WaveOrder
    from wms.picking.put_wall import confirm_sort, left_on_cart, where_does_it_go
    from wms.scanning import ScanRefused

    _release(app, floor, cart_items=20, cart_slots=6, multi_item_mode="batch_sort")
    _pick_everything(app, floor)
    with app.app_context():
        batch_lists = [pl for pl in db.session.scalars(select(PickList)) if pl.wave.kind == "batch_sort"]
        assert batch_lists and all(t.slot is None for pl in batch_lists for t in pl.tasks)  # no sorting while picking
        pick_list = batch_lists[0]
        slots = {wo.order_id: wo.slot
                 for wo in db.session.scalars(select(WaveOrder).filter_by(wave_id=pick_list.wave_id))}
        assert sorted(slots.values()) == list(range(1, len(slots) + 1))
        # a wrong slot changes nothing
        where = where_does_it_go(pick_list.id, "BC-B")
        with pytest.raises(ScanRefused):
            confirm_sort(pick_list.id, where.order_line_id, where.sku_id, "SH1-PW-99", user_id=floor["picker"])
        # sort every unit on the cart
        while left_on_cart(pick_list.id):
            reservation = db.session.scalar(select(StockReservation).join(Location).where(
                Location.code == f"CART-{pick_list.id}"))
            sku_code = {v: k for k, v in floor["skus"].items()}[reservation.sku_id]
            where = where_does_it_go(pick_list.id, f"BC-{sku_code}")
            assert where.slot == slots[where.order_id]
            confirm_sort(pick_list.id, where.order_line_id, where.sku_id, where.slot_code, user_id=floor["picker"])
        assert ledger_discrepancies() == []
        in_slots = db.session.scalars(select(StockReservation).join(Location).where(Location.bin_type == "put_wall"))
        assert sum(r.quantity for r in in_slots) > 0 and left_on_cart(pick_list.id) == 0
        # and every order of the cart, all its units in its slot, is now sorted (ready for packing)
        from erp_core.orders.models import Order

        on_cart = {wo.order_id for wo in db.session.scalars(select(WaveOrder).filter_by(pick_list_id=pick_list.id))}
        assert {db.session.get(Order, oid).status for oid in on_cart} == {"sorted"}
