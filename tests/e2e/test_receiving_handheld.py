"""Real Chromium on a 360-px handheld: receiving scans against an ASN, a carton, the over-receipt flag."""

from __future__ import annotations

import pytest

from tests.builders import FloorBuilder
from tests.e2e.conftest import badge_login, wait_until  # noqa: E402

pytestmark = pytest.mark.e2e

EAN = "6901234567892"


@pytest.fixture
def asn(app):
    from wms.locations.asn_services import create_asn

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai")
                 .bin("STAGE-IN", "staging")
                 .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=[EAN])
                 .build())
        return create_asn(floor["SH1"], [(floor["CUP-1"], 3)], reference="ASN-E2E").id






def test_two_scans_against_an_asn_show_the_counts_on_the_handheld(live_server, handheld, users, asn):
    page = handheld
    badge_login(page, live_server)
    # given the receiving screen of the ASN, reached from the task menu by scanning its reference
    page.goto(f"{live_server}/m/")
    page.locator(".hh-tile[href='/inbound/receive']").click()
    page.wait_for_url(f"{live_server}/inbound/receive")
    scan = page.locator("[data-scan-input]")
    scan.type("ASN-E2E")
    scan.press("Enter")
    page.wait_for_url(f"{live_server}/inbound/receive/{asn}")
    received = page.locator("tr[data-sku='CUP-1'] [data-received]")
    assert received.inner_text() == "0"
    # when the item is scanned once
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")
    scan.type(EAN)
    scan.press("Enter")
    wait_until(lambda: received.inner_text() == "1")
    assert page.evaluate("document.body.dataset.lastScan") == "ok"
    assert scan.input_value() == "" and scan.evaluate("el => el === document.activeElement")
    # and a carton of 3 is scanned with the quantity typed first
    page.locator("#quantity").fill("3")
    scan.click()
    scan.type(EAN)
    scan.press("Enter")
    # then the counts show 4 of 3 received, flagged as over-receipt with the error sound
    wait_until(lambda: received.inner_text() == "4")
    assert page.evaluate("document.body.dataset.lastScan") == "error"
    assert page.locator("#receipt .badge").first.is_visible()
    assert page.locator("#quantity").input_value() == "1"  # back to one unit per scan
    # and the screen fits the 360-px handheld
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
