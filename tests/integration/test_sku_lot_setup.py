"""A SKU's lot set-up (批次/保质期) from the SKU screen, the REST API and the catalog file, and the shop's
shelf-life rule on the channel's settings screen."""

from __future__ import annotations

import io

import pytest

from tests.conftest import page_csrf


@pytest.fixture
def cup(app):
    """SKU CUP-1, untracked, with 4 units in a reserve bin of SH1; SKU TEA-1 without stock."""
    from tests.builders import FloorBuilder

    return FloorBuilder().warehouse("SH1", "Shanghai", key="sh").bin("R-01", "reserve", key="bin") \
        .sku("CUP-1", "Thermos cup", key="cup").sku("TEA-1", "Longjing tea", key="tea") \
        .stock("cup", "bin", 4).build(app)


@pytest.fixture
def api_token(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "catalog sync", users["admin"])
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def sku(code: str):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db

    return db.session.scalar(db.select(Sku).filter_by(code=code))


def save_lot_setup(client, code: str, **fields):
    data = {"code": code, "csrf_token": page_csrf(client, f"/catalog/{code}"), **fields}
    return client.post("/catalog/lots", data=data, follow_redirects=True)


def test_the_sku_screen_sets_up_lot_tracking_and_shows_it(app, login_as, cup):
    client = login_as("purchaser")
    page = save_lot_setup(client, "TEA-1", lot_tracked="y", shelf_life_days="365", min_receipt_life_days="240",
                          min_ship_life_days="90").get_data(as_text=True)
    assert "Lot set-up of TEA-1 saved." in page and 'id="lot-setup"' in page
    with app.app_context():
        tea = sku("TEA-1")
        assert (tea.lot_tracked, tea.shelf_life_days, tea.min_receipt_life_days, tea.min_ship_life_days) == \
            (True, 365, 240, 90)


def test_a_minimum_longer_than_the_shelf_life_is_refused_and_nothing_changes(app, login_as, cup):
    page = save_lot_setup(login_as("purchaser"), "TEA-1", lot_tracked="y", shelf_life_days="100",
                          min_receipt_life_days="120").get_data(as_text=True)
    assert "cannot exceed the shelf life of 100 days" in page
    with app.app_context():
        assert (sku("TEA-1").lot_tracked, sku("TEA-1").shelf_life_days) == (False, None)


def test_turning_lot_tracking_on_while_untracked_stock_is_on_hand_is_refused(app, login_as, cup):
    page = save_lot_setup(login_as("purchaser"), "CUP-1", lot_tracked="y", shelf_life_days="365") \
        .get_data(as_text=True)
    assert "CUP-1 has 4 units on hand" in page
    with app.app_context():
        assert not sku("CUP-1").lot_tracked and sku("CUP-1").shelf_life_days is None


def test_the_api_creates_and_changes_the_lot_set_up_and_refuses_the_switch_with_stock(app, client, api_token, cup):
    # a new SKU with its lot set-up
    created = client.post("/api/v1/skus", headers={**api_token, "Idempotency-Key": "k-1"}, json={
        "code": "MILK-1", "name": "Milk powder", "lot_tracked": True, "shelf_life_days": 540,
        "min_receipt_life_days": 360, "min_ship_life_days": 180})
    assert created.status_code == 201, created.json
    assert (created.json["lot_tracked"], created.json["shelf_life_days"]) == (True, 540)
    # a change of only the minimum at shipment
    changed = client.patch("/api/v1/skus/MILK-1", headers=api_token, json={"min_ship_life_days": 200})
    assert changed.status_code == 200 and changed.json["min_ship_life_days"] == 200
    assert changed.json["min_receipt_life_days"] == 360
    # a minimum above the shelf life, and tracking switched on with stock, are refused with their codes
    bad = client.patch("/api/v1/skus/MILK-1", headers=api_token, json={"min_ship_life_days": 600})
    assert (bad.status_code, bad.json["code"]) == (422, "min_life_over_shelf_life")
    refused = client.patch("/api/v1/skus/CUP-1", headers=api_token, json={"lot_tracked": True})
    assert (refused.status_code, refused.json["code"]) == (409, "lot_tracking_stock_on_hand")
    with app.app_context():
        assert not sku("CUP-1").lot_tracked and sku("MILK-1").min_ship_life_days == 200


def test_the_catalog_file_carries_the_lot_set_up_and_imports_back_unchanged(app, login_as, cup):
    client = login_as("purchaser")
    content = ("code,name,lot_tracked,shelf_life_days,min_receipt_life_days,min_ship_life_days\r\n"
               "TEA-1,Longjing tea,yes,365,200,\r\n"
               "CUP-1,Thermos cup,yes,,,\r\n"        # refused: CUP-1 has untracked stock
               "JAM-1,Jam,true,30,40,\r\n")          # refused: minimum over the shelf life
    token = page_csrf(client, "/catalog/import")
    page = client.post("/catalog/import", data={"csrf_token": token, "file": (io.BytesIO(content.encode()), "c.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "lot_tracking_stock_on_hand" in page and "min_life_over_shelf_life" in page
    with app.app_context():
        tea = sku("TEA-1")
        assert (tea.lot_tracked, tea.shelf_life_days, tea.min_receipt_life_days, tea.min_ship_life_days) == \
            (True, 365, 200, None)
        assert sku("JAM-1") is None and not sku("CUP-1").lot_tracked
    exported = client.get("/catalog/export.csv").data
    assert "TEA-1,Longjing tea" in exported.decode("utf-8-sig") and ",true,365,200," in exported.decode("utf-8-sig")
    again = client.post("/catalog/import", data={"csrf_token": page_csrf(client, "/catalog/import"),
                                                 "file": (io.BytesIO(exported), "catalog.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "0 SKUs created, 0 updated" in again


def test_the_shops_shelf_life_rule_is_set_on_its_settings_screen_and_shown_on_the_sku(app, login_as, cup):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        shop = Channel(code="TMALL-1", name="Tmall shop", platform="tmall")
        db.session.add(shop)
        tea = sku("TEA-1")
        tea.lot_tracked, tea.shelf_life_days = True, 300
        db.session.commit()
        shop_id = shop.id
    client = login_as("admin")
    path = f"/intake/feeds/{shop_id}"
    saved = client.post(path, data={"csrf_token": page_csrf(client, path), "adapter": "", "interval": "15",
                                    "min_ship_life_percent": "67"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Channel, shop_id).min_ship_life_percent == 67
    # the SKU page shows what the rule means for this SKU: 67 % of 300 days = 201 days left
    page = client.get("/catalog/TEA-1").get_data(as_text=True)
    assert "TMALL-1" in page and "67%" in page and ">201<" in page
    bad = client.post(path, data={"csrf_token": page_csrf(client, path), "adapter": "", "interval": "15",
                                  "min_ship_life_percent": "120"})
    assert bad.status_code == 200
    with app.app_context():
        assert db.session.get(Channel, shop_id).min_ship_life_percent == 67
