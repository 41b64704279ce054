"""Every route refuses anonymous users, and roles are enforced (default deny)."""

from __future__ import annotations

import re

import pytest

from erp_core.auth.guard import LIBRARY_ENDPOINT_PERMISSIONS, PUBLIC_ENDPOINTS, permission_of
from erp_core.auth.permissions import PERMISSIONS, role_allows
from tests.conftest import page_csrf


def _concrete(rule) -> str:
    """A URL for a rule, with every variable filled by a plausible value."""
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or getattr(app.view_functions[rule.endpoint], "_public", False):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_refuses_anonymous_users(app, client):
    # given a visitor with a valid CSRF token (so POSTs reach the login check) but no login
    token = page_csrf(client, "/login")
    checked = 0
    for rule, method in _routes(app):
        # when they call every route with every method
        response = client.open(_concrete(rule), method=method, headers={"X-CSRFToken": token})
        # then pages redirect to the login and the API answers 401 JSON
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (method, rule.rule)
            assert response.json["code"] == "unauthenticated"
        else:
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert response.headers["Location"].startswith("/login")
        checked += 1
    assert checked >= 20


def test_every_endpoint_declares_a_permission_or_is_public(app):
    # given every view the app registers
    with app.test_request_context():
        for rule, method in _routes(app):
            view = app.view_functions[rule.endpoint]
            with app.test_request_context(_concrete(rule), method=method):
                permission = LIBRARY_ENDPOINT_PERMISSIONS.get(rule.endpoint) or permission_of(view)
            # then each one names a permission that exists
            assert permission in PERMISSIONS, f"{method} {rule.rule} declares no known permission"


ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/tokens", "/admin/warehouses"]


@pytest.mark.parametrize("role", ["picker", "packer", "shipping", "viewer", "finance", "purchaser"])
def test_non_admins_cannot_reach_admin_pages(login_as, role):
    client = login_as(role)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path


def test_a_picker_cannot_reach_admin_or_finance(login_as):
    client = login_as("picker")
    assert client.get("/admin/users").status_code == 403
    assert not role_allows("picker", "finance.view")
    assert not role_allows("picker", "orders.audit")
    # and the API refuses the picker's session for creating SKUs
    token = page_csrf(client)
    response = client.post("/api/v1/skus", json={"code": "X", "name": "X"}, headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_an_admin_reaches_every_admin_page(login_as):
    client = login_as("admin")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_an_inactive_user_is_logged_out_and_cannot_log_in(app, client, users, login_as):
    from erp_core.auth.models import User
    from erp_core.extensions import db

    login_as("viewer")
    with app.app_context():
        db.session.get(User, users["viewer"]).active = False
        db.session.commit()
    assert client.get("/").status_code == 302
    from tests.conftest import login

    assert login(client, "viewer").status_code == 401


def test_login_does_not_redirect_to_another_site(client, users):
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=//evil.example/x", data={
        "username": "admin", "password": "correct-horse-9", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"  # the admin's role home, not the other site
