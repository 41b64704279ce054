"""Real Chromium, a fresh install: no shop exists, so the import page offers none; the admin creates
one from Settings > Shops and imports an order file into it."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

ORDER_FILE = ("order_no,order_date,paid_at,buyer_id,buyer_name,phone,province,city,district,address,postcode,"
              "country,sku,quantity,unit_price,shipping_fee,buyer_note,seller_note\n"
              "WX20261120001,2026-11-20 09:12:00,2026-11-20 09:15:30,wx_zhangsan,张三,13812345678,浙江省,杭州市,"
              "西湖区,文三路478号华星时代广场A座1201,310012,CN,TEA-LJ-250,2,128.00,0.00,,\n")


@pytest.fixture
def catalogue(app):
    """The one SKU the order file names (the catalogue is set up before orders come in)."""
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db

    with app.app_context():
        create_sku("TEA-LJ-250", "Longjing tea 250 g")
        db.session.remove()


def _order_count(app) -> int:
    from sqlalchemy import func, select

    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        try:
            return db.session.scalar(select(func.count(Order.id)))
        finally:
            db.session.remove()


def test_on_a_fresh_install_an_admin_creates_a_shop_and_imports_an_order_file_into_it(
        live_server, desktop, users, catalogue, app, tmp_path):
    page = desktop
    page.goto(f"{live_server}/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login?'] button[type=submit], form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    # given a fresh install: the import page has no shop to offer
    page.goto(f"{live_server}/intake/imports")
    assert page.locator("select[name=channel] option").count() == 0
    # when the admin opens Settings > Shops and creates a manual shop
    page.click("details[data-nav-group=settings] > summary")
    page.click("details[data-nav-group=settings] .navmenu >> text=Shops")
    page.wait_for_url(f"{live_server}/settings/shops/")
    page.click("text=New shop")
    page.fill("#code", "WALKIN")
    page.fill("#name", "Walk-in customers")
    page.select_option("#platform", "manual")
    page.click("[data-shop-form] button[type=submit]")
    page.wait_for_url(f"{live_server}/settings/shops/*")
    assert "Shop WALKIN created." in page.content()
    # then the import page lists it, and an order file imports into it
    page.goto(f"{live_server}/intake/imports")
    option = page.locator("select[name=channel] option")
    assert option.count() == 1 and "WALKIN" in option.first.inner_text()
    upload = tmp_path / "orders.csv"
    upload.write_text(ORDER_FILE, encoding="utf-8")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url(f"{live_server}/intake/imports/*")
    wait_until(lambda: page.locator("#import-progress[data-status=done]").count() == 1, timeout_s=20)
    assert _order_count(app) == 1
    # and "Enter an order" offers the new shop as well
    page.goto(f"{live_server}/intake/orders/new")
    assert "WALKIN" in page.locator("select[name=channel]").inner_text()
