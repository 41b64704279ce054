"""Login by password and badge, cookie flags, CSRF on forms and HTMX, rate limiting, logout."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_from, login, page_csrf


def test_the_session_cookie_is_httponly_and_samesite(client, users):
    response = login(client, "admin")
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("wms_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_wrong_password_is_refused_and_says_so(client, users):
    response = login(client, "admin", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_badge_scan_logs_a_picker_in(client, users):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login/badge", data={"b-badge": "BADGE-PICKER-01", "b-csrf_token": token,
                                                  "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_an_unknown_badge_is_refused(client, users):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login/badge", data={"b-badge": "BADGE-NOBODY-99", "csrf_token": token})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_a_form_post_without_csrf_token_is_refused_and_changes_nothing(app, login_as):
    client = login_as("admin")
    response = client.post("/admin/warehouses", data={"code": "XX1", "name": "No token"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert "XX1" not in client.get("/admin/warehouses").get_data(as_text=True)


def test_a_form_post_with_csrf_token_is_accepted(login_as):
    client = login_as("admin")
    token = page_csrf(client, "/admin/warehouses")
    response = client.post("/admin/warehouses", data={"code": "XX1", "name": "With token", "csrf_token": token})
    assert response.status_code == 302
    assert "XX1" in client.get("/admin/warehouses").get_data(as_text=True)


def test_an_htmx_post_needs_the_csrf_header(login_as):
    client = login_as("admin")
    token = page_csrf(client)
    headers = {"HX-Request": "true"}
    refused = client.post("/settings/language", data={"locale": "zh"}, headers=headers)
    assert refused.status_code == 400
    accepted = client.post("/settings/language", data={"locale": "zh"}, headers={**headers, "X-CSRFToken": token})
    assert accepted.status_code == 302


def test_login_attempts_are_rate_limited(app, client, users):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [login(client, "admin", "wrong-password").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429


def test_logout_ends_the_session(login_as):
    client = login_as("viewer")
    token = page_csrf(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_a_user_can_change_password_only_through_an_admin(login_as, app):
    client = login_as("admin")
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        picker = db.session.scalar(db.select(User).filter_by(username="picker"))
        picker_id = picker.id
    token = page_csrf(client, f"/admin/users/{picker_id}")
    response = client.post(f"/admin/users/{picker_id}", data={
        "csrf_token": token, "username": "picker", "full_name": "P", "role": "picker",
        "password": "new-password-1", "active": "y"})
    assert response.status_code == 302
    other = app.test_client()
    assert login(other, "picker", PASSWORD).status_code == 401
    assert login(other, "picker", "new-password-1").status_code == 302
