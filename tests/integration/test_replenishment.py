"""Replenishment (补货): pick faces below their minimum and waves needing more than a pick face has
get tasks from the reserve bins; a task is done by scanning the reserve bin, the item and the pick
face, and moves stock through the ledger exactly once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import login, page_csrf


@pytest.fixture
def floor(app):
    """SH1: pick face P-01 (CUP, min 10 max 50) holding 4; reserve bins R-01 (30), R-02 (12), R-03 far away (20)."""
    from wms.locations.replenishment import assign_pick_face

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .warehouse("SZ1", "Shenzhen", key="other")
                 .bin("P-01", "pick", key="pick", warehouse="wh", x=1.0, y=1.0)
                 .bin("P-02", "pick", key="pick2", warehouse="wh", x=1.0, y=2.0)
                 .bin("R-01", "reserve", key="r1", warehouse="wh", x=5.0, y=5.0)
                 .bin("R-02", "reserve", key="r2", warehouse="wh", x=2.0, y=2.0)
                 .bin("R-03", "reserve", key="r3", warehouse="wh", x=30.0, y=30.0)
                 .bin("R-01", "reserve", key="far", warehouse="other")
                 .sku("CUP", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], key="cup")
                 .sku("LID", "Lid", barcodes=["6901234567809"], key="lid")
                 .stock("cup", "pick", 4)
                 .stock("cup", "r1", 30)
                 .stock("cup", "r2", 12)
                 .stock("cup", "far", 500)
                 .stock("lid", "r3", 20)
                 .build())
        face = assign_pick_face(floor["pick"], floor["cup"], 10, 50)
        lid_face = assign_pick_face(floor["pick2"], floor["lid"], 5, 15)
        ids = {key: floor[key] for key in ("wh", "other", "pick", "pick2", "r1", "r2", "r3", "cup", "lid")}
        return {**ids, "face": face.id, "lid_face": lid_face.id, "pick_code": floor.barcode("pick"),
                "r1_code": floor.barcode("r1"), "r2_code": floor.barcode("r2")}


def _tasks(**where):
    from erp_core.extensions import db
    from wms.locations.models import ReplenishmentTask

    return db.session.scalars(select(ReplenishmentTask).filter_by(**where).order_by(ReplenishmentTask.id)).all()


def _qty(sku_id, location_id):
    from erp_core.inventory.stock_queries import quant_in

    return quant_in(sku_id, location_id)[0]


# --- planning --------------------------------------------------------------------------------------

def test_a_pick_face_below_min_is_filled_to_max_from_the_largest_reserve_bins_first(ctx, floor):
    from wms.locations.replenishment import plan_replenishment

    # given CUP's face holds 4 (min 10, max 50) and the reserves hold 30 and 12
    # when replenishment is planned
    plan = plan_replenishment(floor["wh"])
    # then 46 are asked for: 30 from R-01 (the largest), then 12 from R-02; 4 are missing
    cup = [(t.from_location_id, t.quantity, t.trigger, t.status) for t in plan.created if t.sku_id == floor["cup"]]
    assert cup == [(floor["r1"], 30, "min", "open"), (floor["r2"], 12, "min", "open")]
    assert [(s.sku_id, s.missing) for s in plan.short] == [(floor["cup"], 4)]


def test_one_reserve_bin_with_enough_gives_one_task(ctx, floor):
    from wms.locations.replenishment import plan_replenishment, update_pick_face

    update_pick_face(floor["face"], 10, 20)
    plan = plan_replenishment(floor["wh"])
    assert [(t.from_location_id, t.quantity) for t in plan.created if t.sku_id == floor["cup"]] == [(floor["r1"], 16)]
    assert all(s.sku_id != floor["cup"] for s in plan.short)


def test_planning_again_does_not_duplicate_an_open_task(ctx, floor):
    from wms.locations.replenishment import plan_replenishment

    first = plan_replenishment(floor["wh"])
    again = plan_replenishment(floor["wh"])
    assert len(first.created) == 3 and again.created == []
    assert again.already_open == 2
    assert len(_tasks(to_location_id=floor["pick"])) == 2


def test_a_pick_face_with_no_reserve_stock_gets_no_task_and_is_reported(ctx, floor):
    from erp_core.inventory.services import move_stock, virtual_location
    from wms.locations.replenishment import plan_replenishment

    # given the only reserve bin holding LID is emptied
    move_stock(floor["lid"], floor["r3"], virtual_location("INV-LOSS").id, 20, reason="adjustment")
    # when planning
    plan = plan_replenishment(floor["wh"])
    # then LID's face is reported short of all 15 and no task asks for it
    assert [(s.sku_id, s.missing) for s in plan.short if s.sku_id == floor["lid"]] == [(floor["lid"], 15)]
    assert _tasks(sku_id=floor["lid"]) == []


def test_a_pick_face_at_its_minimum_needs_nothing(ctx, floor):
    from erp_core.inventory.services import receive
    from wms.locations.replenishment import plan_replenishment

    receive(floor["cup"], floor["pick"], 6)  # 10 = min: not below
    plan = plan_replenishment(floor["wh"])
    assert all(t.sku_id != floor["cup"] for t in plan.created)


def test_reserved_units_and_units_promised_to_open_tasks_are_not_planned(ctx, floor):
    from tests.stock_helpers import reserve
    from wms.locations.replenishment import plan_replenishment, replenish_for_demand

    # given 25 of R-01's 30 are reserved for orders
    reserve(floor["cup"], floor["r1"], 25)
    # when planning
    plan = plan_replenishment(floor["wh"])
    # then only the free units are asked for: R-02's 12 first, then R-01's 5
    assert [(t.from_location_id, t.quantity) for t in plan.created if t.sku_id == floor["cup"]] == [
        (floor["r2"], 12), (floor["r1"], 5)]
    # and a wave asking for more finds nothing left to promise
    wave = replenish_for_demand(floor["wh"], {floor["cup"]: 100}, "WAVE-1")
    assert wave.created == [] and wave.short[0].sku_id == floor["cup"]


def test_planning_only_uses_reserve_bins_of_the_same_warehouse(ctx, floor):
    from wms.locations.replenishment import plan_replenishment

    plan = plan_replenishment(floor["wh"])
    sources = {t.from_location_id for t in plan.created}
    assert sources <= {floor["r1"], floor["r2"], floor["r3"]}


# --- demand from a released wave -------------------------------------------------------------------

def test_a_wave_needing_more_than_the_pick_face_has_available_gets_a_wave_task(ctx, floor):
    from erp_core.inventory.services import receive
    from tests.stock_helpers import reserve
    from wms.locations.replenishment import replenish_for_demand

    # given CUP's face holds 24 (min 10, max 50), 20 of them reserved: 4 available
    receive(floor["cup"], floor["pick"], 20)
    reserve(floor["cup"], floor["pick"], 20)
    # when a wave needs 40 CUP
    plan = replenish_for_demand(floor["wh"], {floor["cup"]: 40}, "WAVE-7")
    # then 36 are brought (the shortfall, more than the 26 that would fill it to max) with trigger 'wave'
    assert [(t.trigger, t.reference, t.quantity) for t in plan.created] == [("wave", "WAVE-7", 30),
                                                                              ("wave", "WAVE-7", 6)]


def test_a_wave_the_pick_face_can_serve_needs_no_task(ctx, floor):
    from wms.locations.replenishment import replenish_for_demand

    plan = replenish_for_demand(floor["wh"], {floor["cup"]: 4}, "WAVE-8")
    assert plan.created == [] and plan.short == []
    assert _tasks() == []


def test_a_small_shortfall_fills_the_pick_face_up_to_its_maximum(ctx, floor):
    from wms.locations.replenishment import replenish_for_demand, update_pick_face

    update_pick_face(floor["face"], 2, 20)
    plan = replenish_for_demand(floor["wh"], {floor["cup"]: 6}, "WAVE-9")
    assert [t.quantity for t in plan.created] == [16]  # 2 short, but one trip fills it to 20


def test_wave_demand_counts_what_open_tasks_already_bring(ctx, floor):
    from wms.locations.replenishment import plan_replenishment, replenish_for_demand

    plan_replenishment(floor["wh"])  # 42 on their way to CUP's face
    plan = replenish_for_demand(floor["wh"], {floor["cup"]: 40, floor["lid"]: 3}, "WAVE-10")
    assert plan.created == []


# --- doing a task by scans -------------------------------------------------------------------------

@pytest.fixture
def one_task(app, floor):
    from wms.locations.replenishment import plan_replenishment, update_pick_face

    with app.app_context():
        update_pick_face(floor["face"], 10, 20)
        task = next(t for t in plan_replenishment(floor["wh"]).created if t.sku_id == floor["cup"])
        return task.id


def _scan(client, task_id, code, key=None, **state):
    headers = {"X-CSRFToken": page_csrf(client, "/tasks/replenish"), "HX-Request": "true"}
    if key:
        headers["Idempotency-Key"] = key
    response = client.post(f"/tasks/replenish/{task_id}/scan", data={"code": code, **state}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def _do_task(client, task_id, floor, qty=None, key_prefix="k"):
    _scan(client, task_id, floor["r1_code"], key=f"{key_prefix}-1", step="from")
    _scan(client, task_id, "6901234567892", key=f"{key_prefix}-2", step="item", from_code=floor["r1_code"])
    state = {"step": "to", "from_code": floor["r1_code"], "item_code": "6901234567892", "qty": qty or ""}
    return _scan(client, task_id, floor["pick_code"], key=f"{key_prefix}-3", **state), state


def test_a_task_done_by_scans_moves_the_stock_and_closes_the_task(app, login_as, floor, one_task):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import ledger_discrepancies

    client = login_as("picker")
    # when the picker scans the reserve bin, the item and the pick face
    first = _scan(client, one_task, floor["r1_code"], step="from")
    assert _sound(first) == "scan-ok" and "item" in first.get_data(as_text=True)
    done, _state = _do_task(client, one_task, floor)
    # then the stock moved with the task's reference, and the task is done by the picker
    assert _sound(done) == "scan-ok"
    with app.app_context():
        assert (_qty(floor["cup"], floor["r1"]), _qty(floor["cup"], floor["pick"])) == (14, 20)
        move = db.session.scalar(select(StockMove).filter_by(reason="replenishment"))
        assert (move.reference, move.quantity, move.from_location_id) == (f"RPL-{one_task}", 16, floor["r1"])
        task = _tasks(id=one_task)[0]
        assert task.status == "done" and task.done_at is not None and task.user_id is not None
        assert ledger_discrepancies() == []


@pytest.mark.parametrize("step,code,expected", [
    ("from", "SH1-R-02", "R-01"),
    ("item", "6901234567809", "CUP"),
    ("to", "SH1-R-02", "P-01"),
])
def test_a_wrong_scan_is_refused_with_what_was_expected_and_changes_nothing(app, login_as, floor, one_task, step,
                                                                            code, expected):
    from erp_core.inventory.services import ledger_discrepancies

    client = login_as("picker")
    state = {"step": step, "from_code": floor["r1_code"], "item_code": "6901234567892"}
    response = _scan(client, one_task, code, **state)
    assert _sound(response) == "scan-error"
    body = response.get_data(as_text=True)
    assert code in body and expected in body
    with app.app_context():
        assert _tasks(id=one_task)[0].status == "open"
        assert (_qty(floor["cup"], floor["r1"]), _qty(floor["cup"], floor["pick"])) == (30, 4)
        assert ledger_discrepancies() == []


def test_the_last_scan_alone_cannot_skip_the_reserve_bin_and_the_item(app, login_as, floor, one_task):
    client = login_as("picker")
    response = _scan(client, one_task, floor["pick_code"], step="to")
    assert _sound(response) == "scan-error"
    with app.app_context():
        assert _tasks(id=one_task)[0].status == "open" and _qty(floor["cup"], floor["pick"]) == 4


def test_a_smaller_typed_quantity_moves_only_that(app, login_as, floor, one_task):
    client = login_as("picker")
    _scan(client, one_task, floor["r1_code"], step="from")
    state = {"step": "to", "from_code": floor["r1_code"], "item_code": "6901234567892"}
    typed = _scan(client, one_task, "9", **state)
    assert _sound(typed) == "scan-ok" and 'name="qty" value="9"' in typed.get_data(as_text=True)
    assert _sound(_scan(client, one_task, "17", **state)) == "scan-error"  # more than the task asks
    _scan(client, one_task, floor["pick_code"], **state, qty=9)
    with app.app_context():
        assert _qty(floor["cup"], floor["pick"]) == 13 and _tasks(id=one_task)[0].quantity == 9


def test_reserved_units_are_not_taken_and_the_refusal_says_so(app, login_as, floor, one_task):
    from erp_core.inventory.services import ledger_discrepancies
    from tests.stock_helpers import reserve

    with app.app_context():
        reserve(floor["cup"], floor["r1"], 20)  # 10 of R-01's 30 stay free; the task asks for 16
    client = login_as("picker")
    response, _state = _do_task(client, one_task, floor)
    body = response.get_data(as_text=True)
    assert _sound(response) == "scan-error" and "10" in body and "20" in body
    with app.app_context():
        assert _tasks(id=one_task)[0].status in ("open", "in_progress")
        assert (_qty(floor["cup"], floor["r1"]), _qty(floor["cup"], floor["pick"])) == (30, 4)
        assert ledger_discrepancies() == []


def test_a_replayed_confirming_scan_moves_the_stock_once(app, login_as, floor, one_task):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    client = login_as("picker")
    first, state = _do_task(client, one_task, floor, key_prefix="same")
    again = _scan(client, one_task, floor["pick_code"], key="same-3", **state)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_data() == first.get_data()
    with app.app_context():
        assert len(db.session.scalars(select(StockMove).filter_by(reason="replenishment")).all()) == 1
        assert _qty(floor["cup"], floor["pick"]) == 20


def test_two_racing_confirmations_do_the_task_once(app, floor, one_task, users):
    from erp_core.errors import DomainError
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from wms.locations.replenishment import confirm_replenishment

    def confirm(_n):
        with app.app_context():
            try:
                confirm_replenishment(one_task, from_scan=floor["r1_code"], item_scan="CUP",
                                      to_scan=floor["pick_code"], quantity=16, user_id=users["picker"])
                return "done"
            except DomainError as error:
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(confirm, range(4)))
    assert outcomes.count("done") == 1 and set(outcomes) <= {"done", "task_closed"}
    with app.app_context():
        assert len(db.session.scalars(select(StockMove).filter_by(reason="replenishment")).all()) == 1


def test_the_handheld_lists_only_open_tasks_of_the_users_warehouses_wave_first(app, login_as, floor, users):
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse
    from wms.locations.replenishment import plan_replenishment, replenish_for_demand

    with app.app_context():
        plan_replenishment(floor["wh"])
        replenish_for_demand(floor["wh"], {floor["lid"]: 30}, "WAVE-2")
        picker = db.session.get(User, users["picker"])
        picker.warehouses = [db.session.get(Warehouse, floor["other"])]
        db.session.commit()
    client = login_as("picker")
    assert "R-01" not in client.get("/tasks/replenish").get_data(as_text=True)
    with app.app_context():
        picker = db.session.get(User, users["picker"])
        picker.warehouses = []
        db.session.commit()
    page = client.get("/tasks/replenish").get_data(as_text=True)
    assert page.index("R-03") < page.index("R-02") < page.index("R-01")  # the wave first, then nearest


# --- office screens and permissions ----------------------------------------------------------------

def test_plan_now_creates_the_tasks_and_reports_what_no_reserve_has(app, login_as, floor):
    client = login_as("supervisor")
    token = page_csrf(client, "/tasks/replenishment")
    response = client.post("/tasks/replenishment/plan", data={"warehouse_id": floor["wh"], "csrf_token": token},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "3 replenishment tasks created" in body and "No reserve stock for CUP" in body
    assert body.count("RPL-") == 3


def test_pick_faces_are_assigned_edited_and_removed_on_the_office_page(app, login_as, floor):
    from erp_core.extensions import db
    from wms.locations.models import PickFace

    client = login_as("supervisor")
    token = page_csrf(client, "/tasks/pick-faces")
    client.post("/tasks/pick-faces", data={"csrf_token": token, "warehouse_id": floor["wh"], "bin": "P-02",
                                           "sku": "6901234567892", "min_quantity": 3, "max_quantity": 9})
    refused = client.post("/tasks/pick-faces", data={"csrf_token": token, "warehouse_id": floor["wh"], "bin": "R-01",
                                                     "sku": "CUP", "min_quantity": 3, "max_quantity": 9},
                          follow_redirects=True)
    assert "Only a pick-face bin can be a pick face" in refused.get_data(as_text=True)
    with app.app_context():
        face = db.session.scalar(select(PickFace).filter_by(location_id=floor["pick2"], sku_id=floor["cup"]))
        assert (face.min_quantity, face.max_quantity) == (3, 9)
        face_id = face.id
    client.post(f"/tasks/pick-faces/{face_id}", data={"csrf_token": token, "min_quantity": 4, "max_quantity": 12})
    bad = client.post(f"/tasks/pick-faces/{face_id}", data={"csrf_token": token, "min_quantity": 9,
                                                             "max_quantity": 9}, follow_redirects=True)
    assert "The maximum must be above the minimum" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PickFace, face_id).max_quantity == 12
    client.post(f"/tasks/pick-faces/{face_id}/remove", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(PickFace, face_id) is None


def test_a_picker_replenishes_but_cannot_manage_pick_faces(app, login_as, floor, one_task):
    client = login_as("picker")
    assert client.get("/tasks/pick-faces").status_code == 403
    assert client.get("/tasks/replenish").status_code == 200
    assert "Replenish" in client.get("/m/").get_data(as_text=True)
    packer = app.test_client()
    login(packer, "packer")
    assert packer.get(f"/tasks/replenish/{one_task}").status_code == 403
    assert "Replenish" not in packer.get("/m/").get_data(as_text=True)


def test_the_replenishment_pages_render_in_chinese(login_as, floor, one_task):
    client = login_as("supervisor")
    token = page_csrf(client)
    client.post("/settings/language", data={"locale": "zh", "csrf_token": token})
    for path in ("/tasks/replenishment", "/tasks/pick-faces", "/tasks/replenish", f"/tasks/replenish/{one_task}"):
        response = client.get(path)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.get_data(as_text=True), path
