"""Real Chromium on a 360-px handheld: scanning with a keyboard-wedge scanner, sounds, offline queue."""

from __future__ import annotations

import pytest

from tests.builders import FloorBuilder
from tests.e2e.conftest import badge_login, wait_until  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture
def stocked(app):
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai")
             .bin("A01-01-1", "pick")
             .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"])
             .stock("CUP-1", "A01-01-1", 7)
             .build(app))
    return floor.barcode("A01-01-1")


def _queued(page) -> int:
    return page.evaluate("window.WMS.scanQueue.pending()")






def test_a_scan_shows_the_bin_and_keeps_the_focus_for_the_next(live_server, handheld, users, stocked):
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/m/lookup")
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")
    scan.type(stocked)  # a keyboard-wedge scanner types the code, then Enter
    scan.press("Enter")
    page.wait_for_selector("#scan-result .scan-ok")
    assert "CUP-1" in page.locator("#scan-result").inner_text()
    assert page.evaluate("document.body.dataset.lastScan") == "ok"
    assert scan.input_value() == "" and scan.evaluate("el => el === document.activeElement")
    scan.type("NOPE-1")
    scan.press("Enter")
    page.wait_for_selector("#scan-result .scan-error")
    assert page.evaluate("document.body.dataset.lastScan") == "error"
    assert "NOPE-1" in page.locator("#scan-result").inner_text()


def test_scans_made_offline_are_queued_and_sent_when_back_online(live_server, handheld, users, stocked):
    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/m/lookup")
    page.context.set_offline(True)
    scan = page.locator("[data-scan-input]")
    scan.type(stocked)
    scan.press("Enter")
    wait_until(lambda: _queued(page) == 1)
    assert page.locator("[data-scan-queue]").is_visible()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until(lambda: _queued(page) == 0)
    assert page.locator("[data-scan-queue]").is_hidden()
