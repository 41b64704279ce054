"""Real Chromium: a picker picks a released wave on the 360-px handheld by scanning bin, item and slot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.conftest import scan  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture
def wave(app, users):
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout
    from wms.picking.planning import WaveRules
    from wms.picking.services import release_waves

    with app.app_context():
        wh = create_warehouse("SH1", "Shanghai", province="上海")
        create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1),)))
        bins = db.session.scalars(select(Location).filter_by(warehouse_id=wh.id, kind="bin")
                                  .order_by(Location.id)).all()
        db.session.add(Channel(code="TM", name="Tmall", platform="tmall"))
        db.session.commit()
        a = create_sku("A", "Cup", barcodes=["6901234567892"])
        b = create_sku("B", "Lid", barcodes=["BC-LID"])
        receive(a.id, bins[0].id, 5)
        receive(b.id, bins[5].id, 5)
        approve_order(make_order("W1", [("A", 1), ("B", 1)]))
        release_waves(wh.id, WaveRules(cart_slots=4))
        return {"bins": {a.id: bins[0].barcode, b.id: bins[5].barcode},
                "items": {a.id: "6901234567892", b.id: "BC-LID"}}




def test_a_picker_picks_a_cart_by_scanning(live_server, handheld, wave, app):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    page = handheld
    page.goto(f"{live_server}/login")
    page.locator("#b-badge").fill("BADGE-PICKER-01")
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/picking/pick")
    for _ in range(2):
        with app.app_context():
            task = db.session.scalar(select(PickTask).where(PickTask.status == "open").order_by(PickTask.sequence))
            bin_code, item = wave["bins"][task.sku_id], wave["items"][task.sku_id]
            slot = f"{task.tote.barcode}-S{task.slot}"
            expected_bin = task.location.code
        # a wrong bin is refused with the expected one named
        scan(page, "SH1-NOPE")
        page.wait_for_selector(".scan-error")
        assert expected_bin in page.locator(".scan-error").inner_text()
        scan(page, bin_code)
        page.wait_for_selector("[data-step=item]")
        scan(page, item)
        page.wait_for_selector("[data-step=slot]")
        scan(page, slot)
        page.wait_for_selector("[data-step=bin], .cart-done")
    assert page.locator(".cart-done").count() == 1
    with app.app_context():
        assert {t.status for t in db.session.scalars(select(PickTask))} == {"done"}
