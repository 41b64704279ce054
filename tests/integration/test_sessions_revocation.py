"""Server-side sessions: a copied cookie dies with its session (logout, deactivation, password change,
an admin ending it), and Socket.IO connections of an ended session are refused."""

from __future__ import annotations

from tests.conftest import page_csrf


def _copy_of(client, app):
    """A second browser holding a copy of the first one's session cookie (taken before logout)."""
    stolen = app.test_client()
    stolen.set_cookie("wms_session", client.get_cookie("wms_session").value)
    return stolen


def test_a_cookie_copied_before_logout_is_refused_after_logout(app, login_as):
    # given a logged-in viewer and a copy of their session cookie
    client = login_as("viewer")
    copy = _copy_of(client, app)
    assert copy.get("/").status_code == 200
    assert copy.get("/api/v1/me").status_code == 200
    # when the viewer logs out
    assert client.post("/logout", data={"csrf_token": page_csrf(client)}).status_code == 302
    # then the copied cookie no longer opens a page nor the API
    assert copy.get("/").status_code == 302
    assert copy.get("/api/v1/me").status_code == 401
