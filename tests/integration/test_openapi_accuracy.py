"""The open API refuses what the database could not store, with a 4xx on SQLite and PostgreSQL alike:
a NUL byte anywhere, ids past 2^31, strings longer than their column, money that is not a decimal
string, a missing body; a missing optional money field takes its default."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "accuracy", users["admin"])
        db.session.remove()
    return {"Authorization": f"Bearer {secret}"}


def _order(**changes):
    body = {"channel": "TM", "external_id": "77001", "ship_name": "王芳", "ship_address": "中山路 1 号",
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}]}
    body.update(changes)
    return body


@pytest.mark.parametrize("path", ["/api/v1/skus?q=a%00b", "/api/v1/orders?status=%00", "/api/v1/skus/A%00"])
def test_a_nul_byte_in_the_query_or_path_is_a_bad_request(client, admin, world, path):
    response = client.get(path, headers=admin)
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"


def test_a_nul_byte_in_a_json_string_is_a_bad_request_and_nothing_is_created(app, client, admin, world):
    response = client.post("/api/v1/orders", headers=admin, json=_order(ship_name="王\x00芳"))
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"
    assert client.get("/api/v1/orders", headers=admin).json["items"] == []


def test_a_lone_surrogate_in_json_is_a_bad_request(client, admin, world):
    body = b'{"channel": "TM", "external_id": "\\ud800", "ship_name": "x", "ship_address": "y", "lines": []}'
    response = client.post("/api/v1/orders", headers={**admin, "Content-Type": "application/json"}, data=body)
    assert response.status_code == 400


def test_a_nul_byte_in_a_form_field_is_refused_before_the_login(client, users):
    response = client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/orders/2147483648", "/api/v1/lots/99999999999999999999",
                                  "/api/v1/orders/0"])
def test_an_id_beyond_the_database_integer_is_not_found(client, admin, world, path):
    response = client.get(path, headers=admin)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


@pytest.mark.parametrize("query", ["page=2147483648", "per_page=501", "page=0"])
def test_page_numbers_are_bounded(client, admin, world, query):
    response = client.get(f"/api/v1/skus?{query}", headers=admin)
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"


def test_a_string_longer_than_its_column_is_refused_with_422(client, admin, world):
    response = client.post("/api/v1/skus", headers=admin, json={"code": "X" * 65, "name": "Too long"})
    assert response.status_code == 422
    assert "code" in response.json["errors"]["json"]
    response = client.post("/api/v1/orders", headers=admin, json=_order(ship_phone="1" * 500))
    assert response.status_code == 422
    assert "ship_phone" in response.json["errors"]["json"]


def test_an_integer_past_2_to_the_31_in_a_body_is_refused(client, admin, world):
    response = client.post("/api/v1/orders", headers=admin,
                           json=_order(lines=[{"sku": "A", "quantity": 2**31, "unit_price": "1.00"}]))
    assert response.status_code == 422


@pytest.mark.parametrize("price", [10, "10.001", "1e3", "12345678901.00", " 5", "-1.00"])
def test_money_must_be_a_decimal_string_that_fits_its_column(client, admin, world, price):
    response = client.post("/api/v1/orders", headers=admin,
                           json=_order(lines=[{"sku": "A", "quantity": 1, "unit_price": price}]))
    assert response.status_code == 422


def test_a_missing_unit_price_or_cost_takes_the_default_instead_of_a_500(client, admin, world):
    response = client.post("/api/v1/orders", headers=admin, json=_order(lines=[{"sku": "A", "quantity": 1}]))
    assert response.status_code == 201, response.json
    assert response.json["lines"][0]["unit_price"] == "0.00"
    response = client.post("/api/v1/skus", headers=admin, json={"code": "NEW-1", "name": "New"})
    assert response.status_code == 201, response.json
    assert response.json["cost"] == "0.00"
    response = client.post("/api/v1/box-types", headers=admin,
                           json={"code": "BX9", "name": "Box", "length_mm": 100, "width_mm": 100, "height_mm": 50})
    assert response.status_code in (201, 422), response.json
    assert response.status_code != 500


def test_a_missing_body_is_refused_with_422(client, admin, world):
    response = client.patch("/api/v1/skus/A", headers=admin)
    assert response.status_code == 422
    assert "json" in response.json["errors"]


def test_json_numbers_and_booleans_are_typed_strictly(client, admin, world):
    assert client.patch("/api/v1/skus/A", headers=admin, json={"lot_tracked": 1}).status_code == 422
    assert client.patch("/api/v1/skus/A", headers=admin, json={"shelf_life_days": "5"}).status_code == 422
    assert client.patch("/api/v1/skus/A", headers=admin, json={"shelf_life_days": 5}).status_code == 200


def test_a_405_names_the_allowed_methods(client, admin, world):
    response = client.delete("/api/v1/skus", headers=admin)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.json["code"] == "method_not_allowed"


def test_the_document_bounds_every_integer_and_every_string_it_reads(client, admin, world):
    """What a client sends (parameters and request bodies): every integer has a range, every string a
    maximum length or a pattern, so the document says what the database can store."""
    spec = client.get("/api/v1/openapi.json", headers=admin).json
    components = spec["components"]["schemas"]
    loose = []

    def walk(schema, where, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                walk(components[name], name, (*seen, name))
            return
        kind = schema.get("type")
        if kind == "integer" and ("minimum" not in schema or "maximum" not in schema):
            loose.append(where)
        if kind == "string" and not {"maxLength", "pattern", "enum", "format"} & schema.keys():
            loose.append(where)
        for name, sub in schema.get("properties", {}).items():
            if not sub.get("readOnly"):
                walk(sub, f"{where}.{name}", seen)
        if "items" in schema:
            walk(schema["items"], f"{where}[]", seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "header":
                    walk(parameter.get("schema", {}), f"{method.upper()} {path} {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{method.upper()} {path} body")
    assert not loose
