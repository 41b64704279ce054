"""Server-side sessions: a copied cookie dies with its session (logout, deactivation, password change,
an admin ending it), and Socket.IO connections of an ended session are refused."""

from __future__ import annotations

from tests.conftest import PASSWORD, login, page_csrf


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


def _browser(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _user_id(app, username: str) -> int:
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(User.id).filter_by(username=username))


def _live_sessions(app, username: str) -> list[str]:
    from erp_core.auth.sessions import UserSession
    from erp_core.extensions import db

    with app.app_context():
        rows = db.session.scalars(db.select(UserSession.id).filter_by(user_id=_user_id(app, username),
                                                                     revoked_at=None).order_by(UserSession.created_at))
        return list(rows)


def _save_user(admin, user_id: int, **fields):
    data = {"csrf_token": page_csrf(admin, f"/admin/users/{user_id}"), "full_name": "V", "role": "viewer",
            "active": "y", **fields}
    return admin.post(f"/admin/users/{user_id}", data={k: v for k, v in data.items() if v is not None})


def test_a_remember_me_cookie_copied_before_logout_is_refused_after_logout(app, client, users):
    # given a login with "remember me": the long-lived cookie names the session too
    token = page_csrf(client, "/login")
    client.post("/login", data={"username": "viewer", "password": PASSWORD, "remember": "y", "csrf_token": token})
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    copy = app.test_client()
    copy.set_cookie("remember_token", remembered.value)
    assert copy.get("/").status_code == 200
    # when the user logs out, then the remember cookie alone opens nothing
    client.post("/logout", data={"csrf_token": page_csrf(client)})
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered.value)
    assert fresh.get("/").status_code == 302


def test_deactivating_a_user_ends_all_their_sessions(app, users):
    viewer, admin = _browser(app, "viewer"), _browser(app, "admin")
    assert _save_user(admin, users["viewer"], active=None).status_code == 302  # the box left unticked
    assert viewer.get("/").status_code == 302
    assert viewer.get("/api/v1/me").status_code == 401
    assert _live_sessions(app, "viewer") == []


def test_a_password_change_ends_the_users_other_sessions(app, users):
    # given the viewer on two browsers
    first, second = _browser(app, "viewer"), _browser(app, "viewer")
    admin = _browser(app, "admin")
    # when the admin sets a new password
    assert _save_user(admin, users["viewer"], password="new-password-1").status_code == 302
    # then both are logged out; a login with the new password works
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert login(app.test_client(), "viewer", "new-password-1").status_code == 302


def test_an_admin_changing_their_own_password_keeps_only_this_browser(app, users):
    here, elsewhere = _browser(app, "admin"), _browser(app, "admin")
    response = _save_user(here, users["admin"], full_name="A", role="admin", password="new-password-1")
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_a_role_change_ends_the_users_sessions(app, users):
    viewer, admin = _browser(app, "viewer"), _browser(app, "admin")
    assert _save_user(admin, users["viewer"], role="finance").status_code == 302
    assert viewer.get("/").status_code == 302


def test_the_admin_ends_one_session_and_only_that_browser_is_logged_out(app, users):
    # given the viewer on a desk PC and on a handheld
    desk = _browser(app, "viewer")
    handheld = app.test_client()
    handheld.get("/login")
    token = page_csrf(handheld, "/login")
    handheld.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
                  headers={"User-Agent": "Zebra TC21 Android"})
    admin = _browser(app, "admin")
    page = admin.get(f"/admin/users/{users['viewer']}").get_data(as_text=True)
    assert "Active sessions" in page and "Zebra TC21 Android" in page
    desk_sid, handheld_sid = _live_sessions(app, "viewer")
    # when the admin ends the handheld's session
    response = admin.post(f"/admin/users/{users['viewer']}/sessions/{handheld_sid}/end",
                          data={"csrf_token": page_csrf(admin, f"/admin/users/{users['viewer']}")})
    assert response.status_code == 302
    # then the handheld is logged out and the desk is not
    assert handheld.get("/").status_code == 302
    assert desk.get("/").status_code == 200
    assert _live_sessions(app, "viewer") == [desk_sid]


def test_end_all_logs_every_browser_of_the_user_out(app, users):
    first, second = _browser(app, "viewer"), _browser(app, "viewer")
    admin = _browser(app, "admin")
    admin.post(f"/admin/users/{users['viewer']}/sessions/end-all",
               data={"csrf_token": page_csrf(admin, f"/admin/users/{users['viewer']}")})
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302


def test_an_admin_cannot_end_a_session_through_another_users_page(app, users):
    _browser(app, "viewer")
    (sid,) = _live_sessions(app, "viewer")
    admin = _browser(app, "admin")
    admin.post(f"/admin/users/{users['picker']}/sessions/{sid}/end",
               data={"csrf_token": page_csrf(admin, "/admin/users")})
    assert _live_sessions(app, "viewer") == [sid]


def test_my_sessions_lists_my_browsers_and_ends_the_others(app, users):
    here, other = _browser(app, "picker"), _browser(app, "picker")
    page = here.get("/account/sessions").get_data(as_text=True)
    assert page.count('data-session="') == 2 and "this browser" in page
    here.post("/account/sessions/end-others", data={"csrf_token": page_csrf(here, "/account/sessions")})
    assert here.get("/account/sessions").status_code == 200
    assert other.get("/").status_code == 302


def test_a_user_cannot_end_another_users_session_from_my_sessions(app, users):
    _browser(app, "viewer")
    (sid,) = _live_sessions(app, "viewer")
    picker = _browser(app, "picker")
    response = picker.post(f"/account/sessions/{sid}/end", data={"csrf_token": page_csrf(picker, "/account/sessions")})
    assert response.status_code == 302
    assert _live_sessions(app, "viewer") == [sid]


def test_a_session_unseen_for_session_hours_has_expired(app, users):
    from datetime import timedelta

    from erp_core.auth.sessions import UserSession
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    viewer = _browser(app, "viewer")
    with app.app_context():
        row = db.session.scalars(db.select(UserSession)).one()
        row.last_seen_at = utcnow() - timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"] + 60)
        db.session.commit()
    assert viewer.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, users):
    from datetime import timedelta

    from erp_core.auth.sessions import UserSession
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    viewer = _browser(app, "viewer")
    with app.app_context():
        seen = db.session.scalars(db.select(UserSession.last_seen_at)).one()
    viewer.get("/")
    with app.app_context():
        assert db.session.scalars(db.select(UserSession.last_seen_at)).one() == seen  # not within the minute
        row = db.session.scalars(db.select(UserSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=2)
        db.session.commit()
    viewer.get("/")
    with app.app_context():
        assert db.session.scalars(db.select(UserSession.last_seen_at)).one() > utcnow() - timedelta(seconds=30)


def test_a_socket_of_an_ended_session_is_refused_on_its_next_event_and_on_reconnect(app, users):
    from wms.realtime import socketio

    viewer = _browser(app, "viewer")
    sock = socketio.test_client(app, flask_test_client=viewer)
    assert sock.is_connected()
    # when the admin ends the viewer's session
    admin = _browser(app, "admin")
    (sid,) = _live_sessions(app, "viewer")
    admin.post(f"/admin/users/{users['viewer']}/sessions/{sid}/end",
               data={"csrf_token": page_csrf(admin, "/admin/users")})
    # then its next event is refused and the socket disconnected; a new connection is refused
    sock.emit("join_warehouse", {"warehouse_id": 1})
    assert not sock.is_connected()
    assert not socketio.test_client(app, flask_test_client=viewer).is_connected()


def test_two_admins_ending_one_session_at_once_end_it_once(app, users):
    from erp_core.audit.models import AuditEvent
    from erp_core.auth.sessions import end_session
    from erp_core.extensions import db
    from tests.concurrency import race

    viewer = _browser(app, "viewer")
    (sid,) = _live_sessions(app, "viewer")
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    outcomes = race(app, lambda: end_session(sid, by_user_id=users["admin"]).id,
                    lambda: end_session(sid, by_user_id=users["supervisor"]).id)
    assert [o.kind for o in outcomes] == ["ok", "ok"], [str(o) for o in outcomes]
    with app.app_context():
        ended = db.session.scalars(db.select(AuditEvent).where(AuditEvent.id > before)).all()
        assert [e.action for e in ended] == ["session.revoked"]
    assert viewer.get("/").status_code == 302


def test_old_ended_sessions_are_purged_and_live_ones_kept(app, users):
    from datetime import timedelta

    from sqlalchemy import update

    from erp_core.auth.sessions import UserSession
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.models_base import utcnow
    from wms.scheduler import purge_old_sessions

    # given four browsers of one user: live, logged out long ago, logged out yesterday, unused for 40 days
    for _ in range(4):
        _browser(app, "viewer")
    live, old_revoked, new_revoked, stale = _live_sessions(app, "viewer")
    now = utcnow()
    with app.app_context(), atomic():
        for sid, seen, revoked in ((old_revoked, now - timedelta(days=45), now - timedelta(days=40)),
                                   (new_revoked, now - timedelta(days=2), now - timedelta(days=1)),
                                   (stale, now - timedelta(days=40), None)):
            db.session.execute(update(UserSession).where(UserSession.id == sid)
                               .values(last_seen_at=seen, revoked_at=revoked))
    # when the hourly purge runs (SESSION_KEEP_DAYS 30)
    assert purge_old_sessions(app) == 2
    # then only the sessions ended more than 30 days ago are gone
    with app.app_context():
        left = set(db.session.scalars(db.select(UserSession.id).filter_by(user_id=_user_id(app, "viewer"))))
    assert left == {live, new_revoked}
