"""Real Chromium on the 360-px handheld: putting away a received item, and a replenishment by scans."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.e2e.conftest import badge_login, scan, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def floor(app, users):
    """SH1 with a staging bin holding 4 received cups waiting for putaway, a pick face and a reserve bin."""
    from erp_core.extensions import db
    from erp_core.inventory.services import move_stock
    from wms.locations.models import PutawayTask
    from wms.locations.replenishment import assign_pick_face, plan_replenishment

    def putaway_task(floor) -> None:
        db.session.add(PutawayTask(warehouse_id=floor["wh"], sku_id=floor["cup"], quantity=4,
                                   from_location_id=floor["staging"], suggested_location_id=floor["reserve"]))
        db.session.commit()

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .bin("STAGE-IN", "staging", key="staging")
                 .bin("A01-01-1", "pick", key="face", x=1.5, y=2.0)
                 .bin("R01-01-3", "reserve", key="reserve", x=1.5, y=8.0)
                 .sku("CUP-1", "Thermos cup", barcodes=["6901234567892"], key="cup")
                 .sku("LID-1", "Lid", barcodes=["BC-LID"], key="lid")
                 .stock("cup", "staging", 4, reference="ASN-1")
                 .then(putaway_task)
                 .stock("lid", "face", 1)
                 .stock("lid", "reserve", 20)
                 .build())
        move_stock(floor["lid"], floor["face"], floor["reserve"], 1, reason="move")  # the face is now empty
        assign_pick_face(floor["face"], floor["lid"], 2, 10)
        plan_replenishment(floor["wh"])
        task_id = db.session.scalar(select(PutawayTask.id))
        return {"putaway": task_id, "reserve": floor.barcode("reserve"), "face": floor.barcode("face"),
                "staging": floor["staging"], "cup": floor["cup"], "lid": floor["lid"], "face_id": floor["face"]}


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
