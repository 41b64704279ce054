"""The open API's read resources with cursor pagination (stock moves, ASNs, shipments, waves), orders
by updated_since, and Idempotency-Key on every creating POST of the document."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def admin(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "resources", users["admin"])
        db.session.remove()
    return {"Authorization": f"Bearer {secret}"}


def _all_pages(client, path, headers, limit=1):
    items, cursor, pages = [], None, 0
    while True:
        query = f"{path}{'&' if '?' in path else '?'}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(query, headers=headers)
        assert answer.status_code == 200, answer.json
        items += answer.json["items"]
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return items, pages


def test_stock_moves_are_read_newest_first_page_by_page(client, admin, world):
    items, pages = _all_pages(client, "/api/v1/stock-moves", admin)
    assert pages == len(items) == 3  # the world's three receipts
    assert [m["id"] for m in items] == sorted((m["id"] for m in items), reverse=True)
    assert {m["sku"] for m in items} == {"A", "B"}
    only_sz = client.get("/api/v1/stock-moves?warehouse=SZ1", headers=admin).json["items"]
    assert [m["sku"] for m in only_sz] == ["B"]
    assert client.get("/api/v1/stock-moves?sku=A", headers=admin).json["items"][0]["quantity"] in (5, 10)


def test_since_leaves_out_older_moves(client, admin, world):
    from erp_core.models_base import utcnow

    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/stock-moves", query_string={"since": later}, headers=admin).json["items"] == []


def test_a_made_up_cursor_is_refused(client, admin, world):
    response = client.get("/api/v1/stock-moves?cursor=bm9wZQ", headers=admin)
    assert response.status_code == 422
    assert response.json["code"] == "bad_cursor"


def test_an_asn_is_created_once_with_an_idempotency_key_and_listed_with_a_cursor(client, admin, world):
    body = {"warehouse": "SH1", "supplier": "Acme", "lines": [{"sku": "A", "quantity": 12}]}
    headers = {**admin, "Idempotency-Key": "asn-1"}
    first = client.post("/api/v1/asns", json=body, headers=headers)
    again = client.post("/api/v1/asns", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json["id"] == first.json["id"]
    client.post("/api/v1/asns", json={**body, "supplier": "Beta"}, headers=admin)
    items, pages = _all_pages(client, "/api/v1/asns", admin)
    assert [a["supplier"] for a in items] == ["Beta", "Acme"] and pages == 2
    detail = client.get(f"/api/v1/asns/{first.json['id']}", headers=admin).json
    assert detail["lines"] == [{"sku": "A", "expected_quantity": 12, "received_quantity": 0, "damaged_quantity": 0}]


def test_asns_of_another_warehouse_are_not_found(app, client, users, world):
    from erp_core.auth.services import create_api_token, update_user
    from erp_core.extensions import db

    with app.app_context():
        update_user(users["purchaser"], full_name="P", role="purchaser", active=True,
                    warehouse_ids=[world["sz"].id] if hasattr(world["sz"], "id") else [world["sz"]])
        _r, secret = create_api_token(users["purchaser"], "sz only", users["admin"])
        db.session.remove()
    headers = {"Authorization": f"Bearer {secret}"}
    made = client.post("/api/v1/asns", json={"warehouse": "SH1", "lines": [{"sku": "A", "quantity": 1}]},
                       headers=headers)
    assert made.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/shipments", "/api/v1/waves"])
def test_empty_floor_lists_have_no_next_cursor(client, admin, world, path):
    answer = client.get(path, headers=admin)
    assert answer.status_code == 200
    assert answer.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("path", ["/api/v1/shipments/1", "/api/v1/waves/1", "/api/v1/asns/1"])
def test_unknown_floor_objects_are_not_found(client, admin, world, path):
    assert client.get(path, headers=admin).status_code == 404


def test_orders_changed_since_a_time(client, admin, world):
    from erp_core.models_base import utcnow

    body = {"channel": "TM", "external_id": "U-1", "ship_name": "王芳", "ship_address": "中山路 1 号",
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}]}
    before = (utcnow() - timedelta(minutes=1)).isoformat()
    assert client.post("/api/v1/orders", json=body, headers=admin).status_code == 201
    after = (utcnow() + timedelta(minutes=1)).isoformat()
    assert len(client.get("/api/v1/orders", query_string={"updated_since": before}, headers=admin).json["items"]) == 1
    assert client.get("/api/v1/orders", query_string={"updated_since": after}, headers=admin).json["items"] == []


def test_every_creating_post_documents_and_honours_idempotency_key(app, client, admin, world):
    """Each POST answering 201 in the document declares Idempotency-Key, and its view is @idempotent
    (the behaviour itself: the ASN test above and tests/integration/test_api.py)."""
    spec = client.get("/api/v1/openapi.json", headers=admin).json
    creating = [path for path, ops in spec["paths"].items() if "201" in ops.get("post", {}).get("responses", {})]
    assert {"/api/v1/asns", "/api/v1/orders", "/api/v1/skus", "/api/v1/shipments/{shipment_id}/tracking"} \
        <= set(creating)
    undocumented = [p for p in creating if not any(
        x.get("name") == "Idempotency-Key" for x in spec["paths"][p]["post"].get("parameters", []))]
    assert not undocumented
    rules = {rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}"): rule
             for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    not_wrapped = []
    for path in creating:
        view = app.view_functions[rules[path].endpoint]
        post = view.view_class.post if hasattr(view, "view_class") else view
        if not getattr(post, "_idempotent", False):
            not_wrapped.append(path)
    assert not not_wrapped
