"""Real Chromium: a picker picks a released wave on the 360-px handheld by scanning bin, item and slot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.conftest import one_cart_floor, scan

pytestmark = pytest.mark.e2e


@pytest.fixture
def wave(app, users):
    return one_cart_floor(app)




def test_a_picker_picks_a_cart_by_scanning(live_server, handheld, wave, app):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    page = handheld
    page.goto(f"{live_server}/login")
    page.locator("#b-badge").fill("BADGE-PICKER-01")
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/m/")
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
