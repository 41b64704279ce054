"""Real Chromium on a 360-px handheld: a picker counts one bin blind with a keyboard-wedge scanner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.e2e.conftest import badge_login, scan, wait_until  # noqa: E402

pytestmark = pytest.mark.e2e

BOOKS = 4817  # what the books hold; the counter must never see it


@pytest.fixture
def one_bin_count(app):
    from wms.locations.count_planning import create_count

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .bin("A01-01-1", "pick", key="bin")
                 .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], key="sku")
                 .stock("sku", "bin", BOOKS)
                 .build())
        task = create_count(floor["wh"], [floor["bin"]])
        return {"task": task.id, "bin": floor.barcode("bin"), "location": floor["bin"], "sku": floor["sku"]}








def _panel(page) -> str:
    return page.locator("#count-panel").inner_text()


def test_a_picker_counts_one_bin_blind_on_the_handheld(app, live_server, handheld, users, one_bin_count):
    page = handheld
    badge_login(page, live_server)
    # given the picker opens the count from the handheld menu
    page.goto(f"{live_server}/m/")
    page.locator("a[href='/tasks/count']").click()
    page.locator(f"a[href='/tasks/count/{one_bin_count['task']}']").click()
    page.wait_for_selector("[data-scan-input]")
    assert page.locator("[data-scan-input]").evaluate("el => el === document.activeElement")
    # when they scan the bin, the item twice, type 24 and scan the bin again
    scan(page, one_bin_count["bin"])
    page.wait_for_selector("[data-counting-bin]")
    assert page.evaluate("document.body.dataset.lastScan") == "ok"
    scan(page, "6901234567892")
    wait_until(lambda: page.locator("[data-counted]").count() == 1
                and page.locator("[data-counted]").inner_text() == "1")
    scan(page, "6901234567892")
    wait_until(lambda: page.locator("[data-counted]").inner_text() == "2")
    scan(page, "NOT-A-CODE")
    wait_until(lambda: page.evaluate("document.body.dataset.lastScan") == "error")
    assert "NOT-A-CODE" in _panel(page) and page.locator("[data-counted]").inner_text() == "2"
    scan(page, "24")
    wait_until(lambda: page.locator("[data-counted]").inner_text() == "24")
    assert str(BOOKS) not in page.content()
    # the scan field keeps the focus, and the screen fits 360 px
    assert page.locator("[data-scan-input]").evaluate("el => el === document.activeElement")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    scan(page, one_bin_count["bin"])
    page.wait_for_selector("[data-count-complete]")
    # then the count is complete, the books were never shown, and the count is stored
    assert str(BOOKS) not in page.content()
    from erp_core.extensions import db
    from wms.locations.models import CountLine, CountTask

    with app.app_context():
        line = db.session.scalar(select(CountLine).filter_by(task_id=one_bin_count["task"]))
        assert (line.counted_quantity, line.expected_quantity) == (24, BOOKS) and line.counted_at is not None
        assert db.session.get(CountTask, one_bin_count["task"]).status == "counted"
