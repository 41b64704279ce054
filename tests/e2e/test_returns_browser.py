"""Real Chromium on the 360-px handheld (zh-CN): a returns clerk scans the parcel's waybill, scans the
returned items (a wrong one refused with the error sound), then inspects them: one back to its pick
bin, one to the damaged bin; the ledger and the case say so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import scan, wait_until
from tests.returns_helpers import case_moves, returns_floor
from tests.shipping_helpers import order_lines

pytestmark = pytest.mark.e2e


def test_a_returns_clerk_receives_and_inspects_a_return_on_a_360_px_handheld(live_server, handheld, app, users):
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.aftersales.services import NewCase, NewCaseLine, approve_case, create_case
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    desk = returns_floor(app, users)
    order_id = desk["orders"]["cups"]
    with app.app_context():
        case = create_case(NewCase(order_id=order_id, kind="return_refund", lines=[
            NewCaseLine(order_lines(order_id)["A"], 2, "quality")]))
        approve_case(case.id)
        case_id, number = case.id, case.number
        waybill = db.session.scalar(select(Shipment.tracking_number).filter_by(order_id=order_id))
    page = handheld
    page.goto(f"{live_server}/login")
    page.fill("#username", "packer")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{live_server}/m/")
    page.goto(f"{live_server}/returns/station/")
    page.wait_for_selector("[data-scan-input]")
    # nothing sticks out of the 360-px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    scan(page, waybill)
    page.wait_for_selector(f'[data-case="{number}"]')
    scan(page, "BC-C")  # the yoga mat is not on the case: refused, and what is expected is named
    page.wait_for_selector(".scan-error")
    assert "A ×2" in page.locator("[data-expected]").inner_text()
    assert page.evaluate("document.body.dataset.lastScan") == "error"
    scan(page, "6901234567892")
    scan(page, "6901234567892")
    page.wait_for_selector('[data-case-status="received"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # inspection: one cup back to its pick bin, the other to the damaged bin
    form = page.locator('form.inspect-form[data-line="A"]')
    form.locator("select[name=outcome]").select_option("sellable")
    form.locator("input[name=qty]").fill("1")
    form.locator("input[name=bin]").fill("A01-01-1")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.locator("button.inspect-button").click()
    page.wait_for_selector(".scan-ok")
    wait_until(lambda: page.locator('form.inspect-form[data-line="A"] input[name=qty]').count() == 1
               and page.locator('form.inspect-form[data-line="A"] input[name=qty]').input_value() == "1")
    form = page.locator('form.inspect-form[data-line="A"]')
    form.locator("select[name=outcome]").select_option("damaged")
    form.locator("input[name=note]").fill("cracked")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.locator("button.inspect-button").click()
    page.wait_for_selector('[data-case-status="inspected"]')

    with app.app_context():
        assert db.session.get(AfterSalesCase, case_id).status == "inspected"
        assert [m[:3] for m in case_moves(number)] == [("return", "CUSTOMER", "RET-01")] * 2 + [
            ("putaway", "RET-01", "A01-01-1"), ("move", "RET-01", "DMG-01")]
