"""Logging in on the handheld: where a login lands, and a login limit that counts only failures,
per username and client address (a shift behind one Wi-Fi gateway shares an address)."""

from __future__ import annotations

import pytest
from flask import Flask, request

from erp_core.config import proxy_count
from tests.conftest import PASSWORD, csrf_from

GATEWAY = "10.20.0.1"


@pytest.fixture
def ten_a_minute(app):
    from erp_core.extensions import limiter

    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    yield
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    limiter.reset()


def _client(app, address: str = GATEWAY):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _password_login(app, username: str, password: str = PASSWORD, *, address: str = GATEWAY, query: str = ""):
    client = _client(app, address)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(f"/login{query}", data={"username": username, "password": password, "csrf_token": token})
    return client, response


def _badge_login(app, badge: str, *, address: str = GATEWAY):
    client = _client(app, address)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login/badge", data={"b-badge": badge, "b-csrf_token": token, "csrf_token": token})
    return client, response


def test_a_badge_login_lands_on_the_handheld_menu(app, users):
    _client_, response = _badge_login(app, "BADGE-PICKER-01")
    assert response.status_code == 302
    assert response.headers["Location"] == "/m/"


def test_a_picker_or_packer_logging_in_by_password_lands_on_the_handheld(app, users):
    for role in ("picker", "packer"):
        _client_, response = _password_login(app, role)
        assert response.headers["Location"] == "/m/", role


def test_an_office_login_lands_on_its_role_home_unless_it_started_on_the_handheld(app, users):
    _client_, office = _password_login(app, "supervisor")
    assert office.headers["Location"] == "/home"
    _client_, viewer = _password_login(app, "viewer")
    assert viewer.headers["Location"] == "/"  # no home panels for the viewer: the generic dashboard
    _client_, handheld = _password_login(app, "supervisor", query="?hh=1")
    assert handheld.headers["Location"] == "/m/"
    _client_, asked = _password_login(app, "supervisor", query="?next=/picking/waves")
    assert asked.headers["Location"] == "/picking/waves"


def test_a_handheld_page_sends_the_login_back_to_it(app, users):
    client = _client(app)
    redirect = client.get("/m/lookup")
    assert redirect.status_code == 302 and "next=/m/lookup" in redirect.headers["Location"]
    _client_, response = _password_login(app, "supervisor", query="?next=/m/lookup")
    assert response.headers["Location"] == "/m/lookup"


def test_a_badge_login_from_the_sites_root_still_lands_on_the_handheld(app, users):
    client = _client(app)
    assert "next=/" in client.get("/").headers["Location"]
    token = csrf_from(client.get("/login?next=/").get_data(as_text=True))
    response = client.post("/login/badge?next=/", data={"b-badge": "BADGE-PICKER-01", "b-csrf_token": token,
                                                         "csrf_token": token})
    assert response.headers["Location"] == "/m/"
    _client_, office = _password_login(app, "supervisor", query="?next=/")
    assert office.headers["Location"] == "/home"


def test_thirty_successful_logins_from_one_address_all_pass(app, users, ten_a_minute):
    statuses = [_badge_login(app, "BADGE-PICKER-01")[1].status_code for _ in range(15)]
    statuses += [_password_login(app, "picker")[1].status_code for _ in range(15)]
    assert statuses == [302] * 30


def test_failed_logins_lock_out_that_user_only_not_the_colleagues_behind_the_same_gateway(app, users,
                                                                                            ten_a_minute):
    failures = [_password_login(app, "picker", "wrong-password")[1].status_code for _ in range(11)]
    assert failures == [401] * 10 + [429]
    assert _password_login(app, "picker")[1].status_code == 429  # even the right password, for a minute
    assert _password_login(app, "packer")[1].status_code == 302
    assert _password_login(app, "picker", address="10.20.0.2")[1].status_code == 302


def test_unknown_badges_are_limited_per_address(app, users, ten_a_minute):
    statuses = [_badge_login(app, "BADGE-NOBODY-99")[1].status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    assert _badge_login(app, "BADGE-PICKER-01", address="10.20.0.3")[1].status_code == 302


def test_wms_proxy_fix_names_the_number_of_trusted_proxies():
    assert [proxy_count(v) for v in ("", "0", "false", "1", "true", "2")] == [0, 0, 0, 1, 1, 2]
    with pytest.raises(ValueError):
        proxy_count("many")


def test_with_proxy_fix_the_client_address_is_the_forwarded_one():
    from wms.app import install_proxy_fix

    seen = Flask("probe")
    seen.config["WMS_PROXY_FIX"] = 1
    seen.add_url_rule("/", "addr", lambda: request.remote_addr)
    install_proxy_fix(seen)
    headers = {"X-Forwarded-For": "192.168.8.41"}
    assert seen.test_client().get("/", headers=headers, environ_base={"REMOTE_ADDR": GATEWAY}).text == "192.168.8.41"
    plain = Flask("plain")
    plain.add_url_rule("/", "addr", lambda: request.remote_addr)
    install_proxy_fix(plain)
    assert plain.test_client().get("/", headers=headers, environ_base={"REMOTE_ADDR": GATEWAY}).text == GATEWAY
