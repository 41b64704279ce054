"""REST API: token auth, JSON errors with stable codes, Idempotency-Key, the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.conftest import page_csrf


@pytest.fixture
def catalog(app):
    """Two SKUs and a Tmall channel."""
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        create_sku("CUP-1", "Thermos cup", name_zh="保温杯")
        create_sku("MAT-1", "Yoga mat", name_zh="瑜伽垫")
        db.session.add(Channel(code="TMALL", name="Tmall shop", platform="tmall"))
        db.session.commit()


@pytest.fixture
def token(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "shop middleware", users["admin"])
    return secret


def _order(external_id="3001", qty=2):
    return {"channel": "TMALL", "external_id": external_id, "ship_name": "王芳", "ship_phone": "13800138000",
            "ship_province": "浙江省", "ship_city": "杭州市", "ship_address": "西湖区文三路 1 号",
            "lines": [{"sku": "CUP-1", "quantity": qty, "unit_price": "59.00"}]}


def _count_orders(app) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Order.id)))


def test_a_token_reads_its_user(client, token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["username"] == "supervisor"


def test_a_revoked_token_is_refused(app, client, token, users):
    from erp_core.auth.models import ApiToken
    from erp_core.auth.services import revoke_api_token
    from erp_core.extensions import db

    with app.app_context():
        revoke_api_token(db.session.scalar(db.select(ApiToken.id)))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["code"] == "invalid_token"


def test_tokens_are_stored_hashed(app, token):
    from erp_core.auth.models import ApiToken
    from erp_core.extensions import db

    with app.app_context():
        stored = db.session.scalar(db.select(ApiToken))
        assert token not in (stored.token_hash, stored.prefix)
        assert len(stored.token_hash) == 64


def test_an_order_pushed_with_a_token_needs_no_csrf(app, client, token, catalog):
    response = client.post("/api/v1/orders", json=_order(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending"
    assert response.json["goods_total"] == "118.00"
    assert response.json["lines"] == [{"sku": "CUP-1", "quantity": 2, "unit_price": "59.00"}]


def test_an_idempotency_key_replay_creates_nothing_new(app, client, token, catalog):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "push-3001"}
    first = client.post("/api/v1/orders", json=_order(), headers=headers)
    second = client.post("/api/v1/orders", json=_order(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count_orders(app) == 1


def test_an_idempotency_key_reused_with_another_body_is_refused(app, client, token, catalog):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "push-3001"}
    client.post("/api/v1/orders", json=_order(), headers=headers)
    response = client.post("/api/v1/orders", json=_order(qty=5), headers=headers)
    assert response.status_code == 422
    assert response.json["code"] == "idempotency_key_reused"
    assert _count_orders(app) == 1


def test_a_failed_request_stores_no_idempotent_response(app, client, token, catalog):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    bad = _order()
    bad["lines"][0]["sku"] = "NOPE"
    assert client.post("/api/v1/orders", json=bad, headers=headers).json["code"] == "unknown_sku"
    # the same key can then carry the corrected request
    assert client.post("/api/v1/orders", json=_order(), headers=headers).status_code == 201
    assert _count_orders(app) == 1


def test_the_same_channel_order_is_never_taken_twice(client, token, catalog):
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/orders", json=_order(), headers=headers)
    response = client.post("/api/v1/orders", json=_order(), headers=headers)
    assert response.status_code == 409
    assert response.json["code"] == "order_exists"


def test_validation_errors_name_the_fields(client, token, catalog):
    body = _order()
    del body["ship_address"]
    body["lines"][0]["quantity"] = 0
    response = client.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert "ship_address" in response.json["errors"]["json"]
    assert "lines" in response.json["errors"]["json"]


def test_a_session_post_to_the_api_needs_the_csrf_header(login_as, catalog):
    client = login_as("supervisor")
    refused = client.post("/api/v1/orders", json=_order())
    assert refused.status_code == 400
    assert refused.json["code"] == "csrf_failed"
    accepted = client.post("/api/v1/orders", json=_order(), headers={"X-CSRFToken": page_csrf(client)})
    assert accepted.status_code == 201


def test_the_openapi_document_validates(login_as):
    from openapi_spec_validator import validate

    client = login_as("viewer")
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert "/api/v1/orders" in spec["paths"]
    post = spec["paths"]["/api/v1/orders"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_a_user_limited_to_a_warehouse_sees_only_it(app, client, users):
    from erp_core.auth.services import create_api_token, update_user
    from erp_core.inventory.services import create_warehouse

    with app.app_context():
        sh = create_warehouse("SH1", "Shanghai")
        create_warehouse("SZ1", "Shenzhen")
        update_user(users["picker"], full_name="p", role="picker", active=True, warehouse_ids=[sh.id])
        _r, secret = create_api_token(users["picker"], "scanner", users["admin"])
    response = client.get("/api/v1/warehouses", headers={"Authorization": f"Bearer {secret}"})
    assert [w["code"] for w in response.json] == ["SH1"]


def test_an_order_is_cancelled_through_the_api_once_and_its_reservations_go(app, client, token, catalog):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockReservation
    from erp_core.orders.workflow import approve_order

    auth = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/orders", json=_order("C-1"), headers=auth)
    with app.app_context():
        approve_order(made.json["id"])
        db.session.remove()
    key = {**auth, "Idempotency-Key": "cancel-C-1"}
    first = client.post(f"/api/v1/orders/{made.json['id']}/cancel", json={"reason": "buyer asked"}, headers=key)
    again = client.post(f"/api/v1/orders/{made.json['id']}/cancel", json={"reason": "buyer asked"}, headers=key)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert first.json["status"] == "cancelled"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StockReservation.id))) == 0
    empty = client.post(f"/api/v1/orders/{made.json['id']}/cancel", json={}, headers=auth)
    assert empty.status_code == 422


def test_a_skus_barcodes_are_added_and_removed_through_the_api(app, client, users, catalog):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "catalogue sync", users["admin"])
    auth = {"Authorization": f"Bearer {secret}"}
    added = client.post("/api/v1/skus/CUP-1/barcodes", json={"code": "4006381333931"}, headers=auth)
    assert added.status_code == 201 and added.json == {"code": "4006381333931", "symbology": "gtin13"}, added.json
    wrong = client.post("/api/v1/skus/CUP-1/barcodes", json={"code": "4006381333932"}, headers=auth)
    assert wrong.status_code == 422 and wrong.json["code"] == "invalid_barcode"
    taken = client.post("/api/v1/skus/CUP-1/barcodes", json={"code": "4006381333931"}, headers=auth)
    assert taken.status_code == 409 and taken.json["code"] == "barcode_taken"
    assert "4006381333931" in client.get("/api/v1/skus/CUP-1", headers=auth).json["barcodes"]
    gone = client.delete("/api/v1/skus/CUP-1/barcodes/4006381333931", headers=auth)
    assert gone.status_code == 204
    assert "4006381333931" not in client.get("/api/v1/skus/CUP-1", headers=auth).json["barcodes"]
    missing = client.delete("/api/v1/skus/CUP-1/barcodes/4006381333931", headers=auth)
    assert missing.status_code == 404 and missing.json["code"] == "unknown_barcode"
