"""Real Chromium on the 360-px handheld (zh-CN): a packer packs an order by scans at the pack station:
the cart, each item (a wrong one refused with what is expected), the weight typed, confirmed, and the
tracking number shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import scan
from tests.shipping_helpers import POOL, shipping_floor

pytestmark = pytest.mark.e2e


def test_a_packer_packs_an_order_by_scanning_it_at_the_pack_station(live_server, handheld, app, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.orders.models import Order
    from wms.picking.models import WaveOrder

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]])
    with app.app_context():
        list_id = db.session.scalar(select(WaveOrder.pick_list_id).filter_by(order_id=desk["orders"][0]))
        cart = db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{list_id}"))
    page = handheld
    page.goto(f"{live_server}/login")
    page.fill("#username", "packer")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{live_server}/m/")
    page.goto(f"{live_server}/shipping/pack")
    page.locator("button.station-choice", has_text="PACK-01").click()
    page.wait_for_selector("[data-scan-input]")

    scan(page, cart)
    page.wait_for_selector('[data-order="S0"]')
    scan(page, "BC-C")  # the yoga mat is not in this order: refused, and what is expected is named
    page.wait_for_selector(".scan-error")
    assert "A ×1, B ×2" in page.locator("[data-expected]").inner_text()
    assert page.evaluate("document.body.dataset.lastScan") == "error"
    scan(page, "6901234567892")
    scan(page, "BC-B")
    scan(page, "BC-B")
    page.wait_for_selector("[data-step=weigh]")
    scan(page, "460 g")  # the weight typed (or the scale's reading) and Enter: confirm and pack
    page.wait_for_selector("[data-tracking]")
    assert page.locator("[data-tracking]").inner_text() == POOL[0]
    assert page.locator("a.waybill-link").get_attribute("href").endswith("/waybill.pdf")
    with app.app_context():
        assert db.session.get(Order, desk["orders"][0]).status == "packed"
