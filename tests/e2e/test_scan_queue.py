"""Real Chromium at 360x640: no scan is ever lost. A keyboard-wedge scanner fires scans 20 ms apart;
the page's scan queue sends one at a time, each against the form the previous answer rendered, keeps
them in IndexedDB across a reload, replays offline scans and lost answers with the same scan id (applied
once), retries a 5xx with backoff and sets it aside (listed) instead of blocking the queue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import badge_login, picked, queue_idle, type_scans, wait_until

pytestmark = pytest.mark.e2e

PICK_SCAN = "**/picking/pick/scan"


def _queue_ready(page):
    wait_until(lambda: page.evaluate("!!(window.WMS && window.WMS.scanQueue)"))


def _open_pick(page, live_server):
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    page.wait_for_selector("[data-step=bin]")
    _queue_ready(page)


def _scan_records(app) -> int:
    from erp_core.api.models import IdempotencyRecord
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(IdempotencyRecord)
                                 .where(IdempotencyRecord.path.like("%/scan")))


def test_ten_scans_20_ms_apart_on_the_pick_screen_are_all_applied_in_order(live_server, scanner, app, cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    # when bin, item, slot three times for the cups, then bin, item, slot for the lid come 20 ms apart
    scans = [cart["bin_a"]] + [cart["item_a"], cart["slot"]] * 3 + [cart["bin_b"], cart["item_b"], cart["slot"]]
    assert len(scans) == 10
    type_scans(page, scans)
    queue_idle(page)
    # then every unit was picked once, in order, and the screen says the cart is complete
    assert picked(app, cart["tasks"]["A"]) == 3 and picked(app, cart["tasks"]["B"]) == 1
    assert page.locator(".cart-done").count() == 1
    assert _scan_records(app) == 10  # ten scans, ten scan ids: nothing merged
    assert page.locator("[data-scan-refused]").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_bin_then_item_back_to_back_sends_both_in_order(live_server, scanner, app, cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    requests = []
    page.on("request", lambda r: requests.append(r.post_data) if r.url.endswith("/picking/pick/scan") else None)
    type_scans(page, [cart["bin_a"], cart["item_a"]], apart_ms=0)
    queue_idle(page)
    # the item went with the bin the first answer accepted (its step context), not as a bin scan
    assert len(requests) == 2
    assert "bin=" not in requests[0] and f"bin={cart['bin_a']}" in requests[1]
    assert page.locator("[data-step=slot]").count() == 1
    assert picked(app, cart["tasks"]["A"]) == 0  # the slot is still to scan


def test_offline_bin_then_item_are_applied_once_each_and_the_screen_is_current(live_server, scanner, app,
                                                                               cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    # given the handheld loses the network at the bin step
    page.context.set_offline(True)
    type_scans(page, [cart["bin_a"], cart["item_a"]])
    wait_until(lambda: page.evaluate("window.WMS.scanQueue.pending()") == 2)
    assert page.locator("[data-scan-queue]").is_visible()
    assert page.locator("[data-step=bin]").count() == 1
    # when it comes back
    page.context.set_offline(False)
    refreshed = []
    page.on("request", lambda r: refreshed.append(r.url) if r.method == "GET" and "/picking/pick?" in r.url else None)
    queue_idle(page)
    # then the bin and the item were applied in order (the item with its bin), and the screen shows the
    # server's current state at the slot step without a manual reload
    assert page.locator("[data-step=slot]").count() == 1
    assert refreshed and "task_id=" in refreshed[-1]
    assert page.locator("[data-scan-queue]").is_hidden()
    assert page.locator("[data-scan-refused]").is_hidden()
    type_scans(page, [cart["slot"]])
    queue_idle(page)
    assert picked(app, cart["tasks"]["A"]) == 1  # once, not twice
    assert _scan_records(app) == 3


def test_a_lost_answer_is_replayed_with_the_same_scan_id_and_applied_once(live_server, scanner, app, cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    seen = []

    def lose_the_first_answer(route):
        seen.append(route.request.headers.get("idempotency-key"))
        if len(seen) == 1:
            route.fetch()  # the request reaches the server and is applied...
            route.abort("connectionreset")  # ...but its answer never reaches the handheld
        else:
            route.continue_()

    replayed = []
    page.on("response", lambda r: replayed.append(r.headers.get("idempotent-replayed"))
            if r.url.endswith("/picking/pick/scan") else None)
    page.route(PICK_SCAN, lose_the_first_answer)
    type_scans(page, [cart["bin_a"], cart["item_a"], cart["slot"]])
    queue_idle(page)
    # the bin went twice with one scan id; the second answer is the stored one; the unit is picked once
    assert seen[0] == seen[1] and len(set(seen)) == 3 and len(seen) == 4
    assert replayed[0] == "true"
    assert picked(app, cart["tasks"]["A"]) == 1
    assert _scan_records(app) == 3
    assert page.locator("[data-step=item]").count() == 1  # more cups here


def test_a_reload_keeps_the_queued_scans_and_sends_them(live_server, scanner, app, cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    held = []
    page.route(PICK_SCAN, lambda route: held.append(route))  # the network hangs: nothing gets through
    type_scans(page, [cart["bin_a"], cart["item_a"], cart["slot"]])
    wait_until(lambda: page.evaluate("window.WMS.scanQueue.stored()") == 3)
    assert _scan_records(app) == 0
    # when the page reloads (or the battery dies) with the three scans queued
    page.unroute_all(behavior="ignoreErrors")
    page.reload()
    _queue_ready(page)
    queue_idle(page)
    # then they were kept and sent, in order, each once
    assert picked(app, cart["tasks"]["A"]) == 1
    assert _scan_records(app) == 3
    assert page.locator("[data-step=item]").count() == 1
    assert page.evaluate("window.WMS.scanQueue.stored()") == 0


def test_a_server_error_is_retried_with_backoff_and_the_queue_goes_on(live_server, scanner, app, cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    calls = []

    def fail_twice(route):
        calls.append(route.request.headers.get("idempotency-key"))
        if len(calls) <= 2:
            route.fulfill(status=500, body="boom")
        else:
            route.continue_()

    page.route(PICK_SCAN, fail_twice)
    type_scans(page, [cart["bin_a"], cart["item_a"], cart["slot"]])
    queue_idle(page)
    assert calls[0] == calls[1] == calls[2] and len(calls) == 5
    assert picked(app, cart["tasks"]["A"]) == 1
    assert page.locator("[data-scan-refused]").is_hidden()


def test_a_scan_that_keeps_failing_is_set_aside_and_listed_and_the_queue_goes_on(live_server, scanner, app,
                                                                                  cluster_cart):
    page, cart = scanner, cluster_cart
    _open_pick(page, live_server)
    calls = []

    def always_fail_the_first_scan(route):
        calls.append(route.request.headers.get("idempotency-key"))
        if route.request.headers.get("idempotency-key") == calls[0]:
            route.fulfill(status=503, body="down")
        else:
            route.continue_()

    page.route(PICK_SCAN, always_fail_the_first_scan)
    type_scans(page, [cart["bin_a"], cart["bin_a"]])
    queue_idle(page)
    # the first bin scan is set aside after 4 tries (the test's limit) and listed; the second goes on
    assert calls.count(calls[0]) == 4
    refused = page.locator("[data-scan-refused]")
    assert refused.is_visible() and cart["bin_a"] in refused.inner_text() and "503" in refused.inner_text()
    assert page.locator("[data-step=item]").count() == 1
    # the list survives a reload until it is cleared
    page.unroute_all(behavior="ignoreErrors")
    page.reload()
    page.wait_for_selector("[data-scan-refused]:not([hidden])")
    page.locator("[data-scan-refused-clear]").click()
    assert refused.is_hidden()


def test_ten_fast_scans_on_the_count_screen_count_each_and_keep_the_bin(live_server, scanner, app, users,
                                                                        two_sku_count):
    from erp_core.extensions import db
    from wms.locations.models import CountLine, CountTask

    page, count = scanner, two_sku_count
    badge_login(page, live_server)
    url = f"{live_server}/tasks/count/{count['task']}"
    page.goto(url)
    page.wait_for_selector("[data-scan-input]")
    _queue_ready(page)
    cup, lid = "6901234567892", "BC-LID"
    # the bin, four cups and four lids mixed, the bin again to finish; some scanners end with Tab
    type_scans(page, [count["bin"], cup, cup, cup, lid, lid])
    type_scans(page, [cup, lid, lid], suffix="Tab")
    type_scans(page, [count["bin"]])
    queue_idle(page)
    assert page.url == url  # never reloaded to ?location_id=...&code=...
    page.wait_for_selector("[data-count-complete]")
    with app.app_context():
        lines = {ln.sku_id: ln.counted_quantity for ln in db.session.scalars(select(CountLine)
                                                                              .filter_by(task_id=count["task"]))}
        assert lines == {count["cup"]: 4, count["lid"]: 4}
        assert db.session.get(CountTask, count["task"]).status == "counted"


def test_three_fast_item_scans_on_a_count_count_three_and_the_bin_stays(live_server, scanner, app, users,
                                                                        two_sku_count):
    page, count = scanner, two_sku_count
    badge_login(page, live_server)
    url = f"{live_server}/tasks/count/{count['task']}"
    page.goto(url)
    _queue_ready(page)
    type_scans(page, [count["bin"]])
    page.wait_for_selector("[data-counting-bin]")
    type_scans(page, ["6901234567892"] * 3)
    queue_idle(page)
    assert page.url == url
    assert page.locator("[data-counting-bin]").count() == 1
    assert page.locator("[data-counted]").inner_text() == "3"


def test_ten_fast_scans_on_the_put_wall_sort_each_unit_into_its_slot(live_server, scanner, app, put_wall_cart):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation

    page, wall = scanner, put_wall_cart
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/sort")
    _queue_ready(page)
    s = wall["slots"]
    assert s["A"] == s["B"] != s["C"] == s["D"]  # one slot per order
    scans = [wall["cart"], "BC-A", s["A"], "BC-A", s["A"], "BC-B", s["B"], "BC-C", s["C"], "BC-D"]
    type_scans(page, scans)
    queue_idle(page)
    # four units sorted, the fifth scanned and waiting for its slot
    page.wait_for_selector("[data-step=slot]")
    with app.app_context():
        in_slots = db.session.execute(
            select(Location.barcode, func.sum(StockReservation.quantity)).join(Location)
            .where(Location.bin_type == "put_wall").group_by(Location.barcode)).all()
        assert dict(in_slots) == {s["A"]: 3, s["C"]: 1}
    assert page.locator("[data-scan-refused]").is_hidden()


def test_ten_fast_scans_on_the_receive_screen_receive_ten_units(live_server, scanner, app, users, two_sku_asn):
    from erp_core.extensions import db
    from wms.locations.models import AsnLine

    page = scanner
    badge_login(page, live_server)
    page.goto(f"{live_server}/inbound/receive/{two_sku_asn}")
    _queue_ready(page)
    cup, lid = "6901234567892", "BC-LID"
    type_scans(page, [cup, lid, cup, cup, lid, cup, lid, cup, lid, cup])
    queue_idle(page)
    assert page.locator("tr[data-sku='CUP-1'] [data-received]").inner_text() == "6"
    assert page.locator("tr[data-sku='LID-1'] [data-received]").inner_text() == "4"
    with app.app_context():
        lines = db.session.scalars(select(AsnLine).filter_by(asn_id=two_sku_asn))
        got = {ln.sku.code: ln.received_quantity for ln in lines}
        assert got == {"CUP-1": 6, "LID-1": 4}
