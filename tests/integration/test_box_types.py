"""Box types admin (shipping.manage) on the screen and through /api/v1/box-types, and the warehouses'
pack-out weight tolerance in the admin screen and the warehouse API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import page_csrf

BOX = {"code": "xs", "name": "Extra small", "name_zh": "特小箱", "inner_length_mm": "200", "inner_width_mm": "150",
       "inner_height_mm": "80", "tare_g": "40", "max_weight_g": "", "cost": "0.50", "active": "1"}


def _boxes():
    from erp_core.extensions import db
    from wms.shipping.models import BoxType

    db.session.expire_all()
    return {b.code: b for b in db.session.scalars(select(BoxType))}


def test_a_supervisor_creates_edits_and_deactivates_a_box_type_on_the_screen(app, login_as):
    client = login_as("supervisor")
    csrf = page_csrf(client, "/shipping/boxes")
    created = client.post("/shipping/boxes", data=BOX | {"csrf_token": csrf})
    assert created.status_code == 302
    with app.app_context():
        box = _boxes()["XS"]
        assert (box.name_zh, box.inner_height_mm, box.tare_g, box.max_weight_g, str(box.cost)) == (
            "特小箱", 80, 40, None, "0.50")
        box_id = box.id
    listing = client.get("/shipping/boxes").get_data(as_text=True)
    assert 'data-box="XS"' in listing and "200×150×80" in listing
    edited = client.post(f"/shipping/boxes/{box_id}", data=BOX | {"tare_g": "45", "max_weight_g": "3000",
                                                                  "csrf_token": csrf})
    assert edited.status_code == 302
    client.post(f"/shipping/boxes/{box_id}/active", data={"csrf_token": csrf})
    with app.app_context():
        box = _boxes()["XS"]
        assert (box.tare_g, box.max_weight_g, box.active) == (45, 3000, False)


def test_a_box_type_with_a_zero_size_or_a_taken_code_is_refused_on_the_screen(app, login_as):
    client = login_as("supervisor")
    csrf = page_csrf(client, "/shipping/boxes")
    client.post("/shipping/boxes", data=BOX | {"csrf_token": csrf})
    flat = client.post("/shipping/boxes", data=BOX | {"code": "FLAT", "inner_height_mm": "0", "csrf_token": csrf})
    assert flat.status_code == 200 and "inner_height_mm" in flat.get_data(as_text=True)
    twice = client.post("/shipping/boxes", data=BOX | {"csrf_token": csrf})
    assert "XS exists already" in twice.get_data(as_text=True)
    with app.app_context():
        assert set(_boxes()) == {"XS"}


def test_a_packer_may_not_manage_box_types(login_as):
    client = login_as("packer")
    assert client.get("/shipping/boxes").status_code == 403


@pytest.fixture
def token(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "wms desk", users["admin"])
    return {"Authorization": f"Bearer {secret}"}


def test_box_types_are_created_once_listed_and_changed_through_the_api(app, client, token):
    body = {"code": "XS", "name": "Extra small", "inner_length_mm": 200, "inner_width_mm": 150,
            "inner_height_mm": 80, "tare_g": 40, "cost": "0.50"}
    headers = token | {"Idempotency-Key": "box-xs"}
    first = client.post("/api/v1/box-types", json=body, headers=headers)
    again = client.post("/api/v1/box-types", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["cost"] == "0.50" and first.json["active"] is True
    clash = client.post("/api/v1/box-types", json=body, headers=token)
    assert clash.status_code == 409 and clash.json["code"] == "box_code_taken"
    bad = client.post("/api/v1/box-types", json=body | {"code": "Z", "inner_width_mm": 0}, headers=token)
    assert bad.status_code == 422
    box_id = first.json["id"]
    patched = client.patch(f"/api/v1/box-types/{box_id}", json={"active": False, "max_weight_g": 2500}, headers=token)
    assert patched.status_code == 200 and (patched.json["active"], patched.json["max_weight_g"]) == (False, 2500)
    assert patched.json["tare_g"] == 40  # what the patch leaves out stays
    listed = client.get("/api/v1/box-types?active=false", headers=token)
    assert [b["code"] for b in listed.json] == ["XS"]
    assert client.get("/api/v1/box-types?active=true", headers=token).json == []
    assert client.get("/api/v1/box-types/999", headers=token).status_code == 404


def test_the_openapi_document_still_validates_with_box_types_and_the_warehouse_patch(login_as):
    from openapi_spec_validator import validate

    spec = login_as("viewer").get("/api/v1/openapi.json").json
    validate(spec)
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/box-types"])
    assert "patch" in spec["paths"]["/api/v1/box-types/{box_id}"]
    assert "patch" in spec["paths"]["/api/v1/warehouses/{warehouse_id}"]


@pytest.fixture
def warehouse(app):
    from erp_core.inventory.services import create_warehouse

    with app.app_context():
        return create_warehouse("SH1", "Shanghai").id


def test_an_admin_sets_the_weight_tolerance_where_warehouses_are_edited(app, login_as, warehouse):
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse

    client = login_as("admin")
    page = client.get("/admin/warehouses")
    assert 'name="weight_tolerance_pct" type="number" min="0" max="100" value="10"' in page.get_data(as_text=True)
    csrf = page_csrf(client, "/admin/warehouses")
    saved = client.post(f"/admin/warehouses/{warehouse}/weight-tolerance",
                        data={"weight_tolerance_pct": "5", "weight_tolerance_g": "30", "csrf_token": csrf})
    assert saved.status_code == 302
    client.post(f"/admin/warehouses/{warehouse}/weight-tolerance",
                data={"weight_tolerance_pct": "500", "weight_tolerance_g": "30", "csrf_token": csrf})
    with app.app_context():
        wh = db.session.get(Warehouse, warehouse)
        assert (wh.weight_tolerance_pct, wh.weight_tolerance_g) == (5, 30)


def test_the_weight_tolerance_is_read_and_changed_through_the_warehouse_api(app, client, users, warehouse, token):
    from erp_core.auth.services import create_api_token

    listed = client.get("/api/v1/warehouses", headers=token).json
    assert (listed[0]["weight_tolerance_pct"], listed[0]["weight_tolerance_g"]) == (10, 50)
    assert client.patch(f"/api/v1/warehouses/{warehouse}", json={"weight_tolerance_g": 80},
                        headers=token).status_code == 403  # a supervisor's token: admin.warehouses is the admin's
    with app.app_context():
        _record, secret = create_api_token(users["admin"], "admin tool", users["admin"])
    admin = {"Authorization": f"Bearer {secret}"}
    patched = client.patch(f"/api/v1/warehouses/{warehouse}", json={"weight_tolerance_g": 80}, headers=admin)
    assert patched.status_code == 200
    assert (patched.json["weight_tolerance_pct"], patched.json["weight_tolerance_g"]) == (10, 80)
    assert client.patch(f"/api/v1/warehouses/{warehouse}", json={"weight_tolerance_pct": 101},
                        headers=admin).status_code == 422
