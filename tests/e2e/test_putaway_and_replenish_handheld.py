"""Real Chromium on the 360-px handheld: putting away a received item, and a replenishment by scans."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.conftest import badge_login, scan, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def floor(app, users):
    """SH1 with a staging bin holding 4 received cups waiting for putaway, a pick face and a reserve bin."""
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db
    from erp_core.inventory.services import create_warehouse, move_stock, receive
    from wms.locations.models import PutawayTask
    from wms.locations.replenishment import assign_pick_face, plan_replenishment
    from wms.locations.services import create_bin

    with app.app_context():
        wh = create_warehouse("SH1", "Shanghai")
        staging = create_bin(wh.id, "STAGE-IN", "staging")
        face = create_bin(wh.id, "A01-01-1", "pick", x=1.5, y=2.0)
        reserve = create_bin(wh.id, "R01-01-3", "reserve", x=1.5, y=8.0)
        cup = create_sku("CUP-1", "Thermos cup", barcodes=["6901234567892"])
        lid = create_sku("LID-1", "Lid", barcodes=["BC-LID"])
        receive(cup.id, staging.id, 4, reference="ASN-1")
        db.session.add(PutawayTask(warehouse_id=wh.id, sku_id=cup.id, quantity=4, from_location_id=staging.id,
                                   suggested_location_id=reserve.id))
        db.session.commit()
        receive(lid.id, face.id, 1)
        receive(lid.id, reserve.id, 20)
        move_stock(lid.id, face.id, reserve.id, 1, reason="move")  # the face is now empty
        assign_pick_face(face.id, lid.id, 2, 10)
        plan_replenishment(wh.id)
        task_id = db.session.scalar(select(PutawayTask.id))
        return {"putaway": task_id, "reserve": reserve.barcode, "face": face.barcode, "staging": staging.id,
                "cup": cup.id, "lid": lid.id, "face_id": face.id}


def _quantity(app, sku_id, location_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    with app.app_context():
        quant = db.session.scalar(select(Quant).filter_by(sku_id=sku_id, location_id=location_id))
        return quant.quantity if quant else 0


def test_putting_away_by_scanning_the_suggested_bin(live_server, handheld, floor, app):
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/inbound/putaway/{floor['putaway']}")
    assert page.locator("[data-suggested-bin]").inner_text() == "R01-01-3"
    scan(page, "SH1-NOPE")  # a bin that does not exist is refused
    page.wait_for_selector("#scan-result .scan-error")
    assert _quantity(app, floor["cup"], floor["staging"]) == 4
    scan(page, floor["reserve"])
    page.wait_for_selector("#scan-result .scan-ok")
    wait_until(lambda: _quantity(app, floor["cup"], floor["staging"]) == 0)


def test_replenishing_a_pick_face_by_scans(live_server, handheld, floor, app):
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/tasks/replenish")
    page.locator("a.hh-task").first.click()  # the open task, nearest first
    page.wait_for_selector("[data-move-qty]")
    scan(page, floor["face"])  # the wrong bin first: the task starts at the reserve bin
    page.wait_for_selector("#replenish-panel .scan-error")
    scan(page, floor["reserve"])
    # wait for each answer's next step: an earlier answer's message could otherwise satisfy the wait
    page.wait_for_selector("#replenish-panel [data-scan-form] input[name=step][value=item]", state="attached")
    scan(page, "BC-LID")
    page.wait_for_selector("#replenish-panel [data-scan-form] input[name=step][value=to]", state="attached")
    scan(page, floor["face"])
    wait_until(lambda: _quantity(app, floor["lid"], floor["face_id"]) == 10)
