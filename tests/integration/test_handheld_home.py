"""The handheld home: the user's waiting work by type with counts, and their own shift today."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def floor(app, users):
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).stock("A", "A01-01-1", 10)
                 .sku("B", "Item B", barcodes=["BC-B"]).stock("B", "A01-05-1", 10)
                 .build())
        orders = [make_order(f"H{i}", lines, phone=f"1380013800{i}")
                  for i, lines in enumerate([[("A", 2)], [("B", 1)], [("A", 1), ("B", 1)], [("B", 2)]])]
        for order_id in orders:
            approve_order(order_id)
        return {"wh": floor["wh"], "picker": db.session.scalar(select(User.id).filter_by(username="picker"))}


def _release(app, floor) -> int:
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        waves, _plan = release_waves(floor["wh"], WaveRules(cart_items=3, cart_slots=2))
        return sum(len(w.pick_lists) for w in waves)


def _waiting(page: str, endpoint: str) -> int | None:
    found = re.search(rf'data-task="{re.escape(endpoint)}">.*?data-waiting="(\d+)"', page, re.S)
    return int(found.group(1)) if found else None


def _stat(page: str, name: str) -> str:
    return re.search(rf'data-stat="{name}">([^<]*)<', page).group(1)


def test_the_home_shows_the_waiting_pick_lists_and_counts_by_type(app, login_as, floor):
    lists = _release(app, floor)
    page = login_as("picker").get("/m/").get_data(as_text=True)
    assert lists > 1 and _waiting(page, "picking.pick") == lists
    assert _waiting(page, "floor_tasks.count_list") == 0
    assert _waiting(page, "inbound.putaway_list") == 0
    assert _waiting(page, "floor_tasks.replenish_list") == 0
    assert _waiting(page, "picking.sort") == 0 and _waiting(page, "pack.station") is None  # not a packer


def test_the_home_shows_svg_icons_not_emoji(login_as):
    page = login_as("supervisor").get("/m/").get_data(as_text=True)
    menu = page.split('class="hh-menu"', 1)[1].split("</nav>", 1)[0]
    assert menu.count("<svg") == menu.count('class="hh-tile"') > 3
    assert not re.search("[\U0001F300-\U0001FAFF\u2190-\u21FF\u2600-\u27BF]", menu)


def test_the_shift_counts_my_lines_units_refused_scans_and_lines_per_hour(app, login_as, floor):
    from erp_core.extensions import db
    from wms.picking.services import confirm_pick, next_task, pick_list_for

    _release(app, floor)
    client = login_as("picker")
    before = client.get("/m/").get_data(as_text=True)
    assert [_stat(before, s) for s in ("lines", "units", "errors", "lines_per_hour")] == ["0", "0", "0", "–"]
    client.get("/picking/pick")  # claims a cart
    with app.app_context():
        pick_list = pick_list_for(floor["picker"], None)
        task = next_task(pick_list)
        task_id, bin_code, item, quantity = task.id, task.location.barcode, f"BC-{task.sku.code}", task.quantity
        db.session.remove()
    token = page_csrf(client, "/picking/pick")
    refused = client.post("/picking/pick/scan", data={"task_id": task_id, "code": "NOT-A-BIN"},
                          headers={"X-CSRFToken": token, "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex})
    assert "scan-error" in refused.headers["HX-Trigger"]
    with app.app_context():
        for _ in range(quantity):
            confirm_pick(task_id, bin_scan=bin_code, item_scan=item, user_id=floor["picker"])
    page = client.get("/m/").get_data(as_text=True)
    assert _stat(page, "lines") == "1" and _stat(page, "units") == str(quantity)
    assert _stat(page, "errors") == "1"
    assert _stat(page, "lines_per_hour") == "4.0"  # one line over the 15-minute floor
    other = client.get("/m/").get_data(as_text=True)
    assert _stat(other, "errors") == "1"  # reading the home counts nothing


def test_the_ping_is_an_authenticated_no_op(client, login_as):
    assert client.get("/m/ping").status_code == 302
    assert login_as("picker").get("/m/ping").json == {"ok": True}
