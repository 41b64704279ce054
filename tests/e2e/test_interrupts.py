"""Real Chromium: the office intercepts an order on a picker's cart from the order page, and the
picker's 360-px handheld shows the banner within seconds (Socket.IO, the picker's own room); the
next scan of that order's pick is refused with what to do, in Chinese; a command barcode scanned
into the same field pauses the cart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import badge_login, one_cart_floor, scan, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def cart(app, users):
    """One released order W1 of two lines on a cart, claimed by the picker."""
    found = one_cart_floor(app)
    return {"order": found["order"], "bins": found["bin_codes"]}


def _office_intercepts(desktop, live_server: str, order_id: int) -> None:
    page = desktop
    page.goto(f"{live_server}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login?'] button[type=submit], form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/orders/{order_id}")
    page.fill("input[name=reason]", "buyer cancelled")
    page.click("#intercept-order")
    page.wait_for_load_state()


def test_the_picker_sees_the_interception_at_once_and_its_pick_is_refused(live_server, handheld, desktop, cart, app):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    # given the picker on the pick screen of a cart holding W1, the live connection up
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    wait_until(lambda: page.evaluate("document.body.dataset.interruptsLive") == "yes", 10)
    with app.app_context():
        task = db.session.scalar(select(PickTask).where(PickTask.status == "open").order_by(PickTask.sequence))
        first_bin = task.location.barcode
    # when the office intercepts W1 from its order page
    _office_intercepts(desktop, live_server, cart["order"])
    # then the handheld shows the banner within a few seconds, in Chinese, and played the alarm
    banner = page.locator(".hh-interrupt")
    banner.wait_for(timeout=5_000)
    assert "W1" in banner.inner_text() and "异常周转箱" in banner.inner_text()
    assert page.evaluate("document.body.dataset.lastInterrupt") in ("order_intercepted_on_cart",
                                                                   "order_cancelled_on_cart")
    # and the next scan of W1's pick on the screen still showing it is refused, saying what to do
    scan(page, first_bin)
    page.wait_for_selector(".scan-error")
    assert "还库" in page.locator(".scan-error").inner_text()
    # the banner can be dismissed
    banner.locator("button").click()
    assert page.locator(".hh-interrupt").count() == 0


def test_a_command_barcode_pauses_the_cart_from_the_scan_field(live_server, handheld, cart, app):
    from erp_core.extensions import db
    from wms.picking.models import PickList

    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    page.locator("[data-scan-input]").fill("CMD-PAUSE")
    page.locator("[data-scan-input]").press("Enter")
    page.wait_for_url(f"{live_server}/m/")
    with app.app_context():
        assert {pl.status for pl in db.session.scalars(select(PickList))} == {"paused"}


def test_a_command_that_does_nothing_here_shows_a_notice_and_keeps_the_pick_screen(live_server, handheld, cart):
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    field = page.locator("[data-scan-input]")
    field.fill("CMD-NOSUCH")
    field.press("Enter")
    page.wait_for_selector("#hh-notice :first-child")
    assert page.locator("#hh-notice").inner_text().strip()
    assert page.locator("#pick-panel [data-scan-input]").count() == 1  # the panel was not replaced by the notice
