"""A refusal reads in the reader's language, with what was expected; its code stays the same."""

from __future__ import annotations

import pytest

from tests.conftest import page_csrf


@pytest.fixture
def shop(app):
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        create_sku("CUP-1", "Thermos cup", name_zh="保温杯")
        db.session.add(Channel(code="TMALL", name="Tmall shop", platform="tmall"))
        db.session.commit()


@pytest.fixture
def token(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "shop middleware", users["admin"])
    return secret


def _order(sku="CUP-1"):
    return {"channel": "TMALL", "external_id": "3001", "ship_name": "王芳", "ship_phone": "13800138000",
            "ship_province": "浙江省", "ship_city": "杭州市", "ship_address": "西湖区文三路 1 号",
            "lines": [{"sku": sku, "quantity": 2, "unit_price": "59.00"}]}


def _set_locale(app, user_id: int, locale: str) -> None:
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        db.session.get(User, user_id).locale = locale
        db.session.commit()


def test_an_api_refusal_follows_accept_language_and_keeps_its_code(client, token, shop):
    auth = {"Authorization": f"Bearer {token}"}
    zh = client.post("/api/v1/orders", json=_order("NOPE-1"), headers={**auth, "Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.post("/api/v1/orders", json=_order("NOPE-1"), headers={**auth, "Accept-Language": "en-US"})
    assert zh.status_code == en.status_code == 422
    assert zh.json["code"] == en.json["code"] == "unknown_sku"
    assert zh.json["message"] == "商品不存在或已停用：NOPE-1。"
    assert en.json["message"] == "Unknown or inactive SKU: NOPE-1."
    assert zh.json["skus"] == en.json["skus"] == ["NOPE-1"]


def test_an_api_refusal_follows_the_users_language_setting(app, client, token, shop, users):
    _set_locale(app, users["supervisor"], "zh")
    auth = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    first = client.post("/api/v1/orders", json=_order(), headers=auth)
    again = client.post("/api/v1/orders", json=_order(), headers=auth)
    assert again.status_code == 409 and again.json["code"] == "order_exists"
    assert again.json["message"] == f"该订单已存在（订单 #{first.json['id']}）。"


def test_the_access_guard_answers_in_the_readers_language(client):
    response = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401 and response.json["code"] == "unauthenticated"
    assert response.json["message"].startswith("请先登录")
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer wms_nope"}).json["message"] == (
        "The API token is unknown or revoked.")


def test_a_screen_refusal_is_translated_too(login_as):
    client = login_as("supervisor")
    token = page_csrf(client, "/orders/")
    zh = {"Accept-Language": "zh-CN", "HX-Request": "true"}
    fragment = client.post("/orders/1/split", data={"csrf_token": token, "qty-1": "abc"}, headers=zh)
    assert fragment.status_code == 422
    assert "abc 不是有效的数量：请输入整数。" in fragment.get_data(as_text=True)
    page = client.post("/orders/1/split", data={"csrf_token": token, "qty-1": "abc"},
                       headers={"Referer": "http://localhost/orders/", "Accept-Language": "en"},
                       follow_redirects=True)
    assert "abc is not a quantity: enter a whole number." in page.get_data(as_text=True)
