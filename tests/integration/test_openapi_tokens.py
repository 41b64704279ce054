"""API tokens: scopes per area (read / write) and an expiry; cost prices only for catalog.cost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import csrf_from, login


def _token(app, user_id, admin_id, **kwargs):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(user_id, "integration", admin_id, **kwargs)
        db.session.remove()
    return {"Authorization": f"Bearer {secret}"}


def test_every_permission_belongs_to_an_area_or_needs_no_scope():
    from erp_core.auth.permissions import AREAS, PERMISSION_AREAS, PERMISSIONS

    assert set(PERMISSION_AREAS) == set(PERMISSIONS)
    assert {area for area in PERMISSION_AREAS.values() if area} <= set(AREAS)


def test_a_read_only_token_may_read_but_is_refused_a_post(app, client, users, world):
    headers = _token(app, users["supervisor"], users["admin"], scopes=["orders:read", "catalog:read"])
    assert client.get("/api/v1/orders", headers=headers).status_code == 200
    response = client.post("/api/v1/orders", headers=headers, json={"channel": "TM"})
    assert response.status_code == 403
    assert response.json["code"] == "insufficient_scope"
    assert response.json["scope"] == "orders:write"


def test_a_token_without_the_area_is_refused_even_a_read(app, client, users, world):
    headers = _token(app, users["supervisor"], users["admin"], scopes=["catalog:read"])
    response = client.get("/api/v1/stock", headers=headers)
    assert response.status_code == 403
    assert response.json["code"] == "insufficient_scope"
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # the token's own user needs no scope


def test_a_scope_does_not_widen_the_role(app, client, users, world):
    from erp_core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused, app.app_context():
        _token(app, users["picker"], users["admin"], scopes=["finance:write"])
    assert refused.value.code == "unknown_scope"


def test_an_expired_token_is_refused_with_401(app, client, users):
    from erp_core.auth.models import ApiToken
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    headers = _token(app, users["viewer"], users["admin"], expires_at=utcnow() + timedelta(hours=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "token_expired"


def test_a_token_made_without_scopes_has_every_scope_of_its_role(app, users):
    from erp_core.auth.models import ApiToken
    from erp_core.auth.permissions import scopes_for_role
    from erp_core.extensions import db

    _token(app, users["picker"], users["admin"])
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token.scope_list == scopes_for_role("picker")
        assert "finance:read" not in token.scope_list and "floor:write" in token.scope_list


def test_the_admin_picks_scopes_and_an_expiry_on_the_tokens_page(app, login_as, users):
    from erp_core.auth.models import ApiToken
    from erp_core.extensions import db

    client = login_as("admin")
    page = client.get("/admin/tokens")
    assert b"stock:read" in page.data
    response = client.post("/admin/tokens", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "name": "erp bridge", "user_id": users["viewer"],
        "scopes": ["stock:read", "orders:read"], "expires_on": "2099-12-31"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"wms_" in response.data  # shown once
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).filter_by(name="erp bridge"))
        assert token.scope_list == ["orders:read", "stock:read"]
        assert token.expires_at.year == 2099


def test_a_pickers_token_reads_no_cost_and_a_purchasers_does(app, client, users, world):
    picker = _token(app, users["picker"], users["admin"])
    purchaser = _token(app, users["purchaser"], users["admin"])
    as_picker = client.get("/api/v1/skus/A", headers=picker)
    assert as_picker.status_code == 200 and "cost" not in as_picker.json
    assert all("cost" not in sku for sku in client.get("/api/v1/skus", headers=picker).json["items"])
    assert client.get("/api/v1/skus/A", headers=purchaser).json["cost"] is not None


def _logged_in(app, role):
    client = app.test_client()
    assert login(client, role).status_code == 302
    return client


def test_the_catalogue_page_shows_cost_only_to_those_who_may(app, users, world):
    assert "Cost" not in _logged_in(app, "supervisor").get("/catalog/A").get_data(as_text=True)
    assert "Cost" in _logged_in(app, "purchaser").get("/catalog/A").get_data(as_text=True)


def test_the_catalogue_export_omits_cost_without_the_permission(app, users, world, monkeypatch):
    from erp_core.auth import permissions

    monkeypatch.setitem(permissions.PERMISSIONS, "catalog.cost", frozenset({"admin"}))
    header = _logged_in(app, "purchaser").get("/catalog/export.csv").get_data(as_text=True).splitlines()[0]
    assert "cost" not in header and "price" in header
    assert "cost" in _logged_in(app, "admin").get("/catalog/export.csv").get_data(as_text=True).splitlines()[0]
