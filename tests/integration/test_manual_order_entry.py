"""Typing in an order (手动录入): lines added by scanning or searching, validation, the numbered order."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf

TEA_EAN = "6901234567892"


@pytest.fixture
def shop(app):
    """Two SKUs (one with an EAN-13), an inactive one, a manual shop and a Tmall shop."""
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        create_sku("TEA-LJ-250", "Longjing tea 250 g", name_zh="龙井茶 250克", barcodes=[TEA_EAN],
                   price=Decimal("128.00"))
        create_sku("MUG-CER-350", "Ceramic mug", name_zh="陶瓷杯", price=Decimal("68.00"))
        old = create_sku("OLD-1", "Discontinued")
        old.active = False
        manual = Channel(code="PHONE", name="Phone orders", platform="manual")
        db.session.add_all([manual, Channel(code="TMALL", name="Tmall", platform="tmall")])
        db.session.commit()
        ids = {"manual": manual.id}
        db.session.remove()
    return ids


def _lines(client, lines: list[tuple[str, str]], **action: str) -> str:
    token = page_csrf(client, "/intake/orders/new")
    data = {"line_sku": [s for s, _ in lines], "line_qty": [q for _, q in lines], **action}
    response = client.post("/intake/orders/new/lines", data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _quantities(fragment: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-sku="([^"]+)">.*?name="line_qty" value="([^"]*)"', fragment, re.S)
    return dict(rows)


def _order_form(shop, **changes) -> dict:
    form = {"channel": str(shop["manual"]), "buyer_name": "王芳", "phone": "138 0013 8000", "province": "浙江",
            "city": "杭州市", "district": "西湖区", "address": "文三路 478 号", "postcode": "310012",
            "note": "下午送", "line_sku": ["TEA-LJ-250", "MUG-CER-350"], "line_qty": ["2", "1"]}
    form.update(changes)
    return form


def _order_count(app) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        count = db.session.scalar(select(func.count(Order.id)))
        db.session.remove()
    return count


def test_scanning_a_barcode_adds_a_line_and_scanning_it_again_adds_one_more(login_as, shop):
    client = login_as("supervisor")
    first = _lines(client, [], scan=TEA_EAN)
    assert _quantities(first) == {"TEA-LJ-250": "1"} and "龙井茶" not in first  # English page: English name
    again = _lines(client, [("TEA-LJ-250", "1")], scan=TEA_EAN)
    assert _quantities(again) == {"TEA-LJ-250": "2"}
    by_code = _lines(client, [("TEA-LJ-250", "2")], scan="MUG-CER-350")
    assert _quantities(by_code) == {"TEA-LJ-250": "2", "MUG-CER-350": "1"}


def test_a_typed_quantity_is_kept_when_the_next_scan_arrives(login_as, shop):
    client = login_as("supervisor")
    fragment = _lines(client, [("TEA-LJ-250", "7")], scan="MUG-CER-350")
    assert _quantities(fragment) == {"TEA-LJ-250": "7", "MUG-CER-350": "1"}


def test_an_unknown_or_inactive_code_is_reported_and_the_lines_stay(login_as, shop):
    client = login_as("supervisor")
    unknown = _lines(client, [("TEA-LJ-250", "1")], scan="NOPE-123")
    assert "No active SKU has the code NOPE-123." in unknown and _quantities(unknown) == {"TEA-LJ-250": "1"}
    inactive = _lines(client, [], scan="OLD-1")
    assert "No active SKU has the code OLD-1." in inactive and _quantities(inactive) == {}


def test_a_line_can_be_removed_and_a_search_result_added(login_as, shop):
    client = login_as("supervisor")
    removed = _lines(client, [("TEA-LJ-250", "1"), ("MUG-CER-350", "3")], remove="TEA-LJ-250")
    assert _quantities(removed) == {"MUG-CER-350": "3"}
    added = _lines(client, [("MUG-CER-350", "3")], add="TEA-LJ-250")
    assert _quantities(added) == {"MUG-CER-350": "3", "TEA-LJ-250": "1"}


def test_searching_finds_active_skus_by_chinese_name_and_barcode(login_as, shop):
    client = login_as("supervisor")
    by_name = client.get("/intake/sku-search", query_string={"q": "陶瓷"}).get_data(as_text=True)
    by_barcode = client.get("/intake/sku-search", query_string={"q": TEA_EAN[:8]}).get_data(as_text=True)
    inactive = client.get("/intake/sku-search", query_string={"q": "Discontinued"}).get_data(as_text=True)
    assert "MUG-CER-350" in by_name and "TEA-LJ-250" not in by_name
    assert "TEA-LJ-250" in by_barcode
    assert "OLD-1" not in inactive and "No active SKU matches" in inactive


def test_only_manual_shops_are_offered(login_as, shop):
    page = login_as("supervisor").get("/intake/orders/new").get_data(as_text=True)
    assert "PHONE · Phone orders" in page and "TMALL" not in page


def test_submitting_creates_the_order_numbered_for_the_day_at_list_prices(app, login_as, shop):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    client = login_as("supervisor")
    token = page_csrf(client, "/intake/orders/new")
    # when two orders are entered
    first = client.post("/intake/orders/new", data={**_order_form(shop), "csrf_token": token})
    second = client.post("/intake/orders/new", data={**_order_form(shop, line_sku=["MUG-CER-350"], line_qty=["4"]),
                                                     "csrf_token": token})
    # then each is created and the user is sent on
    assert first.status_code == 302 and second.status_code == 302
    today = datetime.now(ZoneInfo(app.config["WMS_DISPLAY_TIMEZONE"])).strftime("%Y%m%d")
    with app.app_context():
        orders = list(db.session.scalars(select(Order).order_by(Order.id)))
        assert [o.external_id for o in orders] == [f"M-{today}-1", f"M-{today}-2"]
        order = orders[0]
        assert first.headers["Location"] in (f"/orders/{order.id}", "/intake/orders/new")
        assert [(line.sku.code, line.quantity, line.unit_price) for line in order.lines] == [
            ("TEA-LJ-250", 2, Decimal("128.00")), ("MUG-CER-350", 1, Decimal("68.00"))]
        assert order.goods_total == Decimal("324.00") and order.status == "pending"
        assert (order.ship_name, order.ship_province, order.buyer_note) == ("王芳", "浙江省", "下午送")
        assert order.channel.code == "PHONE" and order.customer.phone == "138 0013 8000"
        assert orders[1].goods_total == Decimal("272.00")
        db.session.remove()


@pytest.mark.parametrize("changes, message", [
    ({"phone": "12345"}, "Enter a mobile number (11 digits) or a landline with its area code."),
    ({"buyer_name": ""}, "This field is required."),
    ({"line_sku": [], "line_qty": []}, "Add at least one line: scan a barcode or search for a SKU."),
    ({"line_qty": ["2", "0"]}, "Every quantity must be a whole number from 1 to 100000."),
    ({"line_sku": ["TEA-LJ-250", "OLD-1"]}, "Unknown or inactive SKU: OLD-1."),
])
def test_a_bad_order_is_refused_on_the_form_and_nothing_is_saved(app, login_as, shop, changes, message):
    client = login_as("supervisor")
    token = page_csrf(client, "/intake/orders/new")
    response = client.post("/intake/orders/new", data={**_order_form(shop, **changes), "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert _order_count(app) == 0
    # and what was typed is still on the form
    assert 'value="王芳"' in page or not changes.get("buyer_name", "x")
    assert all(f'data-sku="{sku}"' in page for sku in _order_form(shop, **changes)["line_sku"])


def test_a_picker_cannot_enter_orders(login_as, shop):
    client = login_as("picker")
    assert client.get("/intake/orders/new").status_code == 403
    token = page_csrf(client, "/")
    assert client.post("/intake/orders/new/lines", data={"scan": TEA_EAN},
                       headers={"X-CSRFToken": token}).status_code == 403
    assert client.get("/intake/sku-search?q=TEA").status_code == 403
