"""Replenishment of lot-tracked stock (补货 by 批次): a task takes one reserve lot, the earliest
expiring that can still be sold (FEFO), and the move carries that lot to the pick face."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


def _lots(floor) -> dict[str, int]:
    """SERUM tracked by lot: R-01 holds LATE (expires in 300 days, 30), R-02 EARLY (in 100 days, 8) and
    HELD (in 50 days, on hold, 40); R-03 OLD (expired yesterday, 25)."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    sku = db.session.get(Sku, floor["serum"])
    sku.lot_tracked = True
    db.session.flush()
    today = business_today()
    made = {}
    for key, days, bin_key, qty in (("late", 300, "r1", 30), ("early", 100, "r2", 8), ("held", 50, "r2", 40),
                                    ("old", -1, "r3", 25)):
        lot = get_or_create_lot(sku, key.upper(), expiry_date=today + timedelta(days=days))
        receive(sku.id, floor[bin_key], qty, lot_id=lot.id)
        made[key] = lot.id
    db.session.get(type(lot), made["held"]).on_hold = True
    db.session.commit()
    return made


@pytest.fixture
def floor(app):
    from wms.locations.replenishment import assign_pick_face

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .bin("P-01", "pick", key="pick", x=1.0, y=1.0)
                 .bin("R-01", "reserve", key="r1", x=5.0, y=5.0)
                 .bin("R-02", "reserve", key="r2", x=2.0, y=2.0)
                 .bin("R-03", "reserve", key="r3", x=3.0, y=3.0)
                 .sku("SERUM", "Serum", barcodes=["6901234567892"], key="serum")
                 .then(_lots)
                 .build())
        assign_pick_face(floor["pick"], floor["serum"], 5, 20)
        return {key: floor[key] for key in ("wh", "pick", "r1", "r2", "r3", "serum", "late", "early", "held", "old")} \
            | {"pick_code": floor.barcode("pick"), "r1_code": floor.barcode("r1"), "r2_code": floor.barcode("r2")}


def _tasks():
    from erp_core.extensions import db
    from wms.locations.models import ReplenishmentTask

    return db.session.scalars(select(ReplenishmentTask).order_by(ReplenishmentTask.id)).all()


def _scan(client, task_id, code, **state):
    headers = {"X-CSRFToken": page_csrf(client, "/tasks/replenish"), "HX-Request": "true"}
    response = client.post(f"/tasks/replenish/{task_id}/scan", data={"code": code, **state}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def test_planning_takes_the_earliest_expiring_sellable_lot_first_and_skips_held_and_expired(app, login_as, floor):
    client = login_as("supervisor")
    response = client.post("/tasks/replenishment/plan", data={"warehouse_id": floor["wh"],
                                                              "csrf_token": page_csrf(client, "/tasks/replenishment")},
                           follow_redirects=True)
    assert "2 replenishment tasks created" in response.get_data(as_text=True)
    with app.app_context():
        tasks = _tasks()
        # 20 wanted: all 8 of EARLY, then 12 of LATE; HELD and the expired OLD untouched
        assert [(t.from_location_id, t.lot_id, t.quantity) for t in tasks] == [
            (floor["r2"], floor["early"], 8), (floor["r1"], floor["late"], 12)]


def test_a_replenishment_task_shows_its_lot_and_moves_that_lot_to_the_pick_face(app, login_as, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.stock_queries import quant_in
    from wms.locations.replenishment import plan_replenishment

    with app.app_context():
        task_id = plan_replenishment(floor["wh"]).created[0].id
        db.session.commit()
    client = login_as("picker")
    page = client.get(f"/tasks/replenish/{task_id}").get_data(as_text=True)
    assert "data-task-lot" in page and "EARLY" in page
    _scan(client, task_id, floor["r2_code"], step="from")
    # a GS1 label of another lot is refused, and nothing moves
    other = _scan(client, task_id, "(01)06901234567892(10)LATE", step="item", from_code=floor["r2_code"])
    assert _sound(other) == "scan-error" and "take lot EARLY" in other.get_data(as_text=True)
    _scan(client, task_id, "(01)06901234567892(10)EARLY", step="item", from_code=floor["r2_code"])
    done = _scan(client, task_id, floor["pick_code"], step="to", from_code=floor["r2_code"],
                 item_code="(01)06901234567892(10)EARLY", qty="")
    assert _sound(done) == "scan-ok"
    with app.app_context():
        assert quant_in(floor["serum"], floor["pick"], floor["early"]) == (8, 0)
        assert quant_in(floor["serum"], floor["r2"], floor["early"]) == (0, 0)
        assert quant_in(floor["serum"], floor["r2"], floor["held"]) == (40, 0)
        move = db.session.scalar(select(StockMove).filter_by(reason="replenishment"))
        assert (move.lot_id, move.quantity) == (floor["early"], 8)


def test_a_pick_face_that_keeps_lots_apart_only_gets_the_lot_it_holds(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from wms.locations.replenishment import plan_replenishment

    with app.app_context():
        db.session.get(Location, floor["pick"]).mixed_lots = False
        receive(floor["serum"], floor["pick"], 2, lot_id=floor["late"])
        db.session.commit()
        plan = plan_replenishment(floor["wh"])
        assert [(t.lot_id, t.quantity) for t in plan.created] == [(floor["late"], 18)]
        assert plan.short == []
