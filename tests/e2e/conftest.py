"""A live server (the real app in a thread) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.builders import FloorBuilder
from tests.conftest import service_unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _unmock_socketio() -> None:
    """Flask-SocketIO's test client replaces the server's packet senders with mocks on the shared server
    object (flask_socketio/test_client.py), and never puts them back: after an integration test used one,
    a real browser's socket would never finish its handshake. Drop the instance overrides."""
    from wms.realtime import socketio

    server = getattr(socketio, "server", None)
    if server is not None:
        for name in ("_send_packet", "_send_eio_packet"):
            server.__dict__.pop(name, None)


@pytest.fixture
def live_server(app):
    _unmock_socketio()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        service_unavailable(f"Chromium not found at {CHROMIUM} (make setup installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def handheld(browser):
    """A 360-px-wide handheld screen that prefers Chinese."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def wait_until(condition, timeout_s: float = 10.0) -> None:
    """Poll a Python condition: page.wait_for_function evaluates a string, which the CSP forbids."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def badge_login(page, live_server: str, badge: str = "BADGE-PICKER-01") -> None:
    """Log in as a handheld does: the badge field has the focus, the scanner types and presses Enter."""
    page.goto(f"{live_server}/login")
    page.locator("#b-badge").fill(badge)
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/m/")


def scan(page, code: str) -> None:
    """A scan: the code in the scan field, then Enter; returns once the server has answered.

    (Typing key by key, as a keyboard-wedge scanner does, is covered by test_handheld_scanning.py;
    here the whole code goes in at once so a busy machine cannot interleave it with the last swap.)
    """
    field = page.locator("[data-scan-input]")
    with page.expect_response(lambda response: response.request.method == "POST", timeout=20_000):
        field.fill(code)
        field.press("Enter")
    # htmx drops a new submit while the last one is still being swapped in: wait until it is done
    wait_until(lambda: page.evaluate(
        "document.querySelectorAll('.htmx-request, .htmx-swapping, .htmx-settling').length") == 0)


# --- the scan queue (static/js/scanner.js) ---------------------------------------------------------

@pytest.fixture
def scanner(browser):
    """A 360x640 handheld (zh-CN) whose scan queue retries quickly (the backoff is the same, shorter)."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    context.add_init_script("window.WMSScanConfig = {retryBaseMs: 150, retryCapMs: 1000, maxServerTries: 4};")
    page = context.new_page()
    yield page
    context.close()


def type_scans(page, codes, *, apart_ms: int = 20, key_ms: int = 1, suffix: str = "Enter") -> None:
    """A keyboard-wedge scanner firing scans back to back: each code typed key by key (`key_ms` apart),
    Enter (or Tab) after it, the next scan `apart_ms` later."""
    for code in codes:
        page.keyboard.type(code, delay=key_ms)
        page.keyboard.press(suffix)
        page.wait_for_timeout(apart_ms)


def queue_idle(page, timeout_s: float = 20.0) -> None:
    """Wait until the scan queue has sent everything and nothing (scan or panel refresh) is in flight."""
    wait_until(lambda: page.evaluate("window.WMS.scanQueue.ready() && window.WMS.scanQueue.pending() === 0"
                                     " && !window.WMS.scanQueue.busy()"),
               timeout_s)


@pytest.fixture
def cluster_cart(app, users):
    """One released cluster cart for the picker: order Q1 wants 3 cups (bin A01-01-1) and 1 lid
    (A02-02-1), both into slot 1 of the cart's tote."""
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import PickTask
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Cup", name_zh="杯子", barcodes=["6901234567892"])
                 .sku("B", "Lid", name_zh="盖子", barcodes=["BC-LID"])
                 .stock("A", "A01-01-1", 5)
                 .stock("B", "A02-02-1", 5)
                 .build())
        approve_order(make_order("Q1", [("A", 3), ("B", 1)]))
        release_waves(floor["SH1"], WaveRules(cart_slots=4))
        tasks = {t.sku.code: t for t in db.session.scalars(select(PickTask))}
        slot = f"{tasks['A'].tote.barcode}-S{tasks['A'].slot}"
        return {"tasks": {code: t.id for code, t in tasks.items()}, "slot": slot,
                "bin_a": floor.barcode("A01-01-1"), "bin_b": floor.barcode("A02-02-1"),
                "item_a": "6901234567892", "item_b": "BC-LID"}


def picked(app, task_id: int) -> int:
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    with app.app_context():
        return db.session.get(PickTask, task_id).picked_quantity


@pytest.fixture
def put_wall_cart(app, users):
    """A batch cart picked whole, waiting at the put wall: order P0 wants 2 A and 1 B, order P1 wants
    1 C and 2 D; each SKU belongs to one order, so each unit's slot is known in advance."""
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import PickList
    from wms.picking.planning import WaveRules
    from wms.picking.put_wall import where_does_it_go
    from wms.picking.services import confirm_pick, next_task, pick_list_for
    from wms.picking.waves import release_waves

    with app.app_context():
        builder = (FloorBuilder()
                   .warehouse("SH1", "Shanghai", province="上海")
                   .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1))
                   .channel("TM", "Tmall", "tmall"))
        for code, where in zip("ABCD", ("A01-01-1", "A01-03-1", "A02-02-1", "A02-04-1"), strict=True):
            builder = builder.sku(code, f"Item {code}", barcodes=[f"BC-{code}"]).stock(code, where, 10)
        floor = builder.build()
        for i, lines in enumerate([[("A", 2), ("B", 1)], [("C", 1), ("D", 2)]]):
            approve_order(make_order(f"P{i}", lines, phone=f"1380013802{i}"))
        release_waves(floor["SH1"], WaveRules(cart_slots=6, cart_items=20, multi_item_mode="batch_sort"))
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        pick_list = pick_list_for(picker, None)
        while (task := next_task(pick_list)) is not None:
            for _ in range(task.quantity - task.picked_quantity):
                confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=f"BC-{task.sku.code}",
                             user_id=picker)
            db.session.refresh(pick_list)
        list_id = pick_list.id
        assert db.session.get(PickList, list_id).wave.kind == "batch_sort"
        cart = db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{list_id}"))
        slots = {code: where_does_it_go(list_id, f"BC-{code}").slot_code for code in "ABCD"}
        return {"list": list_id, "cart": cart, "slots": slots}


@pytest.fixture
def two_sku_count(app):
    """A blind count of one bin holding cups and lids."""
    from wms.locations.count_planning import create_count

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .bin("A01-01-1", "pick", key="bin")
                 .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], key="cup")
                 .sku("LID-1", "Lid", name_zh="盖子", barcodes=["BC-LID"], key="lid")
                 .stock("cup", "bin", 9)
                 .stock("lid", "bin", 9)
                 .build())
        task = create_count(floor["wh"], [floor["bin"]])
        return {"task": task.id, "bin": floor.barcode("bin"), "cup": floor["cup"], "lid": floor["lid"]}


@pytest.fixture
def two_sku_asn(app):
    """An ASN of 6 cups and 4 lids, received into staging."""
    from wms.locations.asn_services import create_asn

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai")
                 .bin("STAGE-IN", "staging")
                 .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"])
                 .sku("LID-1", "Lid", name_zh="盖子", barcodes=["BC-LID"])
                 .build())
        return create_asn(floor["SH1"], [(floor["CUP-1"], 6), (floor["LID-1"], 4)], reference="ASN-Q").id


def one_cart_floor(app) -> dict:
    """SH1 with a small pick zone and one released cart: order W1 wants a cup (A01-01-1) and a lid
    (A02-02-1). The handheld tests pick it, interrupt it or watch it on the board."""
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.builders import FloorBuilder
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import Wave
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Cup", barcodes=["6901234567892"])
                 .sku("B", "Lid", barcodes=["BC-LID"])
                 .stock("A", "A01-01-1", 5)
                 .stock("B", "A02-02-1", 5)
                 .build())
        order_id = make_order("W1", [("A", 1), ("B", 1)])
        approve_order(order_id)
        release_waves(floor["SH1"], WaveRules(cart_slots=4))
        return {"warehouse": floor["SH1"], "order": order_id, "wave": db.session.scalar(select(Wave.id)),
                "bin_codes": [floor.barcode("A01-01-1"), floor.barcode("A02-02-1")],
                "bins": {floor["A"]: floor.barcode("A01-01-1"), floor["B"]: floor.barcode("A02-02-1")},
                "items": {floor["A"]: "6901234567892", floor["B"]: "BC-LID"}}

