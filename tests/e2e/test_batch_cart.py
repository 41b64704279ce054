"""Real Chromium at 360x640: a batch-and-sort cart of four orders wanting the same item from one bin is
picked with ONE bin scan and the item scans fired back to back by the scanner; the cart then says
to take it to the put wall."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import badge_login, queue_idle, type_scans
from tests.integration.test_batch_picking import WANTS, batch  # noqa: F401, F811  (fixture)

pytestmark = pytest.mark.e2e


def test_a_batch_cart_picks_each_bin_once_with_scans_fired_back_to_back(live_server, scanner, batch, app):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from wms.picking.models import PickTask

    page = scanner
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    page.locator("[data-scan-input]").focus()
    units_a = sum(WANTS.values())
    # one stop for A (7 units for 4 orders), one for B (4 units): each bin scanned once
    type_scans(page, [batch["bins"]["A"]] + ["BC-A"] * units_a + [batch["bins"]["B"]] + ["BC-B"] * len(WANTS))
    queue_idle(page)
    page.wait_for_selector("[data-cart-done]")
    assert "播种墙" in page.locator("#pick-panel").inner_text()  # take it to the put wall
    with app.app_context():
        assert {t.status for t in db.session.scalars(select(PickTask))} == {"done"}
        moved = dict(db.session.execute(select(StockMove.sku_id, func.sum(StockMove.quantity))
                                        .where(StockMove.reason == "pick").group_by(StockMove.sku_id)).all())
        assert moved == {batch["A"]: units_a, batch["B"]: len(WANTS)}
