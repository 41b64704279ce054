"""Shops (店铺) through the pages, the API and the command line: create, change, deactivate; the
credentials are write-only and encrypted in the database (read here from the raw column)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import page_csrf

SECRET_TOKEN = "shpat_page_secret_42"  # noqa: S105  (a test value)


@pytest.fixture(autouse=True)
def _outbound(app, monkeypatch):
    """Names like tea-house.myshopify.com are not resolved in the test (no network)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ("tea-house.myshopify.com", "eco.taobao.com"))


def _raw(app, code: str) -> dict:
    from erp_core.extensions import db

    with app.app_context():
        row = db.session.execute(text("SELECT feed_token, credentials, platform, active, warehouse_id "
                                      "FROM channels WHERE code = :code"), {"code": code}).mappings().one()
        return dict(row)


def _shop_id(app, code: str) -> int:
    from erp_core.extensions import db

    with app.app_context():
        return db.session.execute(text("SELECT id FROM channels WHERE code = :code"), {"code": code}).scalar_one()


def _token(app, users) -> dict:
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "shops", users["admin"])
    return {"Authorization": f"Bearer {secret}"}


# --- pages -----------------------------------------------------------------------------------------


def _form(client, path: str, **values) -> dict:
    base = {"csrf_token": page_csrf(client, path), "code": "SHOPIFY-1", "name": "Tea House", "platform": "shopify",
            "active": "y", "warehouse_id": "0", "adapter": "shopify", "feed_url": "tea-house.myshopify.com",
            "pull_interval_minutes": "15", "access_token": SECRET_TOKEN, "sign_method": "md5",
            "stock_interval_minutes": "30", "stock_ratio_percent": "100", "stock_buffer": "0"}
    base.update(values)
    return base


def test_an_admin_creates_a_shop_whose_token_is_never_shown_and_is_encrypted_at_rest(app, login_as):
    client = login_as("admin")
    # when an admin fills in the new shop page
    response = client.post("/settings/shops/new", data=_form(client, "/settings/shops/new"))
    assert response.status_code == 302
    # then the shop is listed, its credentials "set", and the token appears on no page
    listing = client.get("/settings/shops/").get_data(as_text=True)
    assert "SHOPIFY-1" in listing and "Set" in listing and SECRET_TOKEN not in listing
    edit = client.get(response.headers["Location"]).get_data(as_text=True)
    assert SECRET_TOKEN not in edit and "Credentials are saved" in edit
    # and the database holds it encrypted, the address as https://<shop domain>
    raw = _raw(app, "SHOPIFY-1")
    assert raw["credentials"].startswith("fernet:") and SECRET_TOKEN not in raw["credentials"]
    from erp_core.channels.models import Channel
    from erp_core.channels.shops import credentials_of
    from erp_core.extensions import db

    with app.app_context():
        channel = db.session.query(Channel).filter_by(code="SHOPIFY-1").one()
        assert credentials_of(channel)["access_token"] == SECRET_TOKEN
        assert channel.feed_url == "https://tea-house.myshopify.com"


def test_saving_with_blank_secrets_keeps_them_and_a_shop_can_be_deactivated(app, login_as):
    client = login_as("admin")
    client.post("/settings/shops/new", data=_form(client, "/settings/shops/new"))
    before = _raw(app, "SHOPIFY-1")["credentials"]
    path = f"/settings/shops/{_shop_id(app, 'SHOPIFY-1')}"
    form = _form(client, path, access_token="", name="Tea House CN")
    form.pop("active")
    assert client.post(path, data=form).status_code == 302
    raw = _raw(app, "SHOPIFY-1")
    from erp_core.crypto import decrypt

    with app.app_context():
        assert raw["active"] in (0, False) and decrypt(raw["credentials"]) == decrypt(before)
        assert SECRET_TOKEN in decrypt(raw["credentials"])
    # and an inactive shop is not offered for imports any more
    client.get("/settings/shops/")  # (shows the "saved" message)
    assert "SHOPIFY-1 · " not in client.get("/intake/imports").get_data(as_text=True)


def test_a_shop_address_at_the_metadata_service_is_refused(app, login_as):
    client = login_as("admin")
    form = _form(client, "/settings/shops/new", adapter="json_feed", platform="other",
                 feed_url="http://169.254.169.254/latest/meta-data/")
    page = client.post("/settings/shops/new", data=form)
    assert page.status_code == 422 and "may not be called" in page.get_data(as_text=True)
    assert "SHOPIFY-1" not in client.get("/settings/shops/").get_data(as_text=True)


def test_test_connection_without_a_platform_says_why_in_the_users_language(app, login_as):
    client = login_as("admin")
    client.post("/settings/shops/new", data=_form(client, "/settings/shops/new", code="WALKIN", platform="manual",
                                                  adapter="", feed_url="", access_token=""))
    shop_id = _shop_id(app, "WALKIN")
    answer = client.post(f"/settings/shops/{shop_id}/test", headers={"HX-Request": "true"},
                         data={"csrf_token": page_csrf(client, f"/settings/shops/{shop_id}")})
    assert answer.status_code == 200 and 'data-test-ok="no"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("role", ["supervisor", "picker", "viewer", "finance", "purchaser"])
def test_only_admins_manage_shops(login_as, role):
    client = login_as(role)
    assert client.get("/settings/shops/").status_code == 403
    assert client.get("/settings/shops/new").status_code == 403


# --- API -------------------------------------------------------------------------------------------


def test_a_shop_is_created_by_api_once_per_idempotency_key_with_write_only_credentials(app, client, users):
    headers = {**_token(app, users), "Idempotency-Key": "shop-1"}
    body = {"code": "TB-1", "name": "龙井茶旗舰店", "platform": "taobao", "adapter": "taobao",
            "credentials": {"app_key": "12345678", "app_secret": "top-secret-9f8e", "session_key": "s-6100"},
            "stock_ratio_percent": 80, "stock_buffer": 2}
    first = client.post("/api/v1/shops", json=body, headers=headers)
    again = client.post("/api/v1/shops", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    shop = first.json
    assert shop["credentials_set"] is True and "credentials" not in shop and "top-secret" not in first.get_data(
        as_text=True)
    assert (shop["feed_url"], shop["stock_ratio_percent"], shop["stock_buffer"]) == (
        "https://eco.taobao.com/router/rest", 80, 2)
    raw = _raw(app, "TB-1")
    assert raw["credentials"].startswith("fernet:") and "top-secret" not in raw["credentials"]
    listed = client.get("/api/v1/shops?platform=taobao", headers=_token(app, users)).json
    assert [s["code"] for s in listed["items"]] == ["TB-1"] and listed["total"] == 1


def test_a_shop_is_changed_and_deactivated_by_patch_and_a_taken_code_is_refused(app, client, users, world):
    auth = _token(app, users)
    client.post("/api/v1/shops", json={"code": "WALKIN", "name": "Walk-in", "platform": "manual"},
                headers={**auth, "Idempotency-Key": "a"})
    taken = client.post("/api/v1/shops", json={"code": "WALKIN", "name": "Again", "platform": "manual"},
                        headers={**auth, "Idempotency-Key": "b"})
    assert taken.status_code == 409 and taken.json["code"] == "shop_exists"
    changed = client.patch("/api/v1/shops/WALKIN", json={"active": False, "warehouse": "SH1"}, headers=auth)
    assert changed.status_code == 200 and changed.json["active"] is False and changed.json["warehouse"] == "SH1"
    assert _raw(app, "WALKIN")["warehouse_id"] == world["sh"]
    bad = client.patch("/api/v1/shops/WALKIN", json={"stock_ratio_percent": 150}, headers=auth)
    assert bad.status_code == 422
    assert client.get("/api/v1/shops/NOPE", headers=auth).status_code == 404


def test_sku_links_are_edited_through_the_api(app, client, users, world):
    auth = _token(app, users)
    client.post("/api/v1/shops", json={"code": "TB-1", "name": "TB", "platform": "taobao"},
                headers={**auth, "Idempotency-Key": "c"})
    put = client.put("/api/v1/shops/TB-1/sku-links/A", json={"platform_item_id": "520001", "platform_sku_id": "31"},
                     headers=auth)
    assert put.status_code == 200 and put.json["sku"] == "A" and put.json["pushed_quantity"] is None
    assert [link["platform_item_id"] for link in client.get("/api/v1/shops/TB-1/sku-links", headers=auth).json] == [
        "520001"]
    assert client.put("/api/v1/shops/TB-1/sku-links/NOPE", json={"platform_item_id": "1"},
                      headers=auth).json["code"] == "unknown_sku"
    assert client.delete("/api/v1/shops/TB-1/sku-links/A", headers=auth).status_code == 204


# --- command line ----------------------------------------------------------------------------------


def test_the_create_shop_command_makes_a_manual_shop(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-shop", "WALKIN", "Walk-in customers", "--platform", "manual"])
    assert result.exit_code == 0 and "shop WALKIN (manual) created" in result.output
    assert _raw(app, "WALKIN")["platform"] == "manual"
    again = runner.invoke(args=["create-shop", "WALKIN", "Again"])
    assert again.exit_code != 0 and "exists already" in again.output
