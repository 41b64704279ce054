"""CSRF is decided by how a request is authenticated, not by the headers it carries: a session
cookie with a made-up `Authorization: Bearer` header is still a session request and needs its token;
an API token needs none; an anonymous request to the API is told to authenticate (401), not 400."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, login


def _locale(app, username: str) -> str | None:
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.locale).filter_by(username=username))


def test_a_session_request_with_a_made_up_bearer_header_still_needs_its_csrf_token(app, client, users):
    login(client, "viewer", PASSWORD)
    before = _locale(app, "viewer")
    forged = {"Authorization": "Bearer x"}
    changed = client.post("/settings/language", data={"locale": "zh" if before != "zh" else "en"}, headers=forged)
    assert changed.status_code == 400
    assert _locale(app, "viewer") == before, "the language changed without a CSRF token"
    logged_out = client.post("/logout", headers=forged)
    assert logged_out.status_code == 400
    assert client.get("/api/v1/me").status_code == 200, "a forged logout ended the session"


def test_a_request_authenticated_by_an_api_token_needs_no_csrf_token(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "middleware", users["admin"])
        db.session.remove()
    fresh = app.test_client()  # no cookie at all
    answer = fresh.post("/api/v1/orders", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 422, answer.get_json()  # validated, not refused for CSRF


def test_an_anonymous_api_post_is_told_to_authenticate(app, client):
    answer = client.post("/api/v1/orders", json={})
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthenticated"
    bad_token = client.post("/api/v1/orders", json={}, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.get_json()["code"] == "invalid_token"
