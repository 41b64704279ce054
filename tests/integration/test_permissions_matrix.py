"""The permissions matrix: every route and socket event × every role (and anonymous), against ONE
declared table (tests/integration/permissions_table.py).

Anonymous: 401 (API) or a redirect to the login (pages). A role without the permission: 403. A role
with it: anything but 403 (the guard lets it through; the view then answers for an empty request).
A route or socket event the table does not list fails the test, and so does a view whose declared
permission differs from the table's. Another warehouse's objects: tests/integration/test_access_warehouses.py.
"""

from __future__ import annotations

import re

import pytest

from erp_core.auth.guard import LIBRARY_ENDPOINT_PERMISSIONS, PUBLIC_ENDPOINTS, permission_of
from erp_core.auth.permissions import PERMISSIONS, ROLES, role_allows
from tests.conftest import PASSWORD, login, page_csrf
from tests.integration.permissions_table import ALSO_NEEDS, ROUTES, SOCKET_EVENTS

# Called last for each role (it ends the session the walk runs in).
LAST = {"POST auth.logout"}


def _concrete(rule) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def _app_routes(app) -> dict[str, tuple]:
    """{"METHOD endpoint": (rule, method, declared permission or "public")} for every route."""
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context(_concrete(rule), method=method):
                if rule.endpoint in PUBLIC_ENDPOINTS or getattr(view, "_public", False):
                    declared = "public"
                else:
                    declared = LIBRARY_ENDPOINT_PERMISSIONS.get(rule.endpoint) or permission_of(view)
            found[f"{method} {rule.endpoint}"] = (rule, method, declared)
    return found


def test_the_table_lists_every_route_with_the_permission_its_view_declares(app):
    routes = _app_routes(app)
    # then every route is in the table (a route added later needs its line), and no line is stale
    assert sorted(set(routes) - set(ROUTES)) == [], "routes missing from permissions_table.py"
    assert sorted(set(ROUTES) - set(routes)) == [], "lines of permissions_table.py naming no route"
    # and each view declares exactly the table's permission, one that exists
    differ = {key: (declared, ROUTES[key]) for key, (_r, _m, declared) in routes.items() if declared != ROUTES[key]}
    assert differ == {}
    assert {p for p in ROUTES.values() if p != "public"} <= set(PERMISSIONS)


def test_the_table_lists_every_socket_event(app):
    from wms.realtime import socketio

    events = set(socketio.server.handlers.get("/", {}))
    assert events == set(SOCKET_EVENTS)
    for event, permission in SOCKET_EVENTS.items():
        handler = socketio.server.handlers["/"][event]
        declared = getattr(handler, "_permission", "login")
        assert declared == permission, event


@pytest.fixture
def clients(app, users):
    """A logged-in client per role (the supplier's user included), each with its CSRF token."""
    from erp_core.auth.services import create_user
    from erp_core.purchasing.suppliers import create_supplier

    with app.app_context():
        supplier = create_supplier({"code": "SUP-M", "name": "Matrix supplier"})
        create_user("supplier", PASSWORD, "supplier", supplier_id=supplier.id)
    made = {}
    for role in ROLES:
        client = app.test_client()
        assert login(client, role).status_code == 302, role
        made[role] = (client, page_csrf(client, "/account" if role == "supplier" else "/"))
    return made


def _call(client, rule, method: str, token: str):
    headers = {"X-CSRFToken": token} if token else {}
    kwargs = {} if method == "GET" else ({"json": {}} if rule.rule.startswith("/api/") else {"data": {}})
    try:
        return client.open(_concrete(rule), method=method, headers=headers, **kwargs).status_code
    except Exception:  # noqa: BLE001  (the guard let it through; the view failed on an empty request)
        return 500


def test_every_route_answers_every_role_as_the_table_says(app, clients):
    anonymous = app.test_client()
    anon_token = page_csrf(anonymous, "/login")
    routes = sorted(_app_routes(app).items(), key=lambda item: item[0] in LAST)
    wrong = []
    for key, (rule, method, _declared) in routes:
        permission = ROUTES[key]
        if permission == "public":
            continue
        # anonymous: told to log in
        status = _call(anonymous, rule, method, anon_token)
        if status != (401 if rule.rule.startswith("/api/") else 302):
            wrong.append(f"anonymous {key}: {status}")
        for role in ROLES:
            client, token = clients[role]
            status = _call(client, rule, method, token)
            allowed = role_allows(role, permission) and role_allows(role, ALSO_NEEDS.get(key, permission))
            if allowed and status in (401, 403):
                wrong.append(f"{role} {key} ({permission}, allowed): {status}")
            if not allowed and status != 403:
                wrong.append(f"{role} {key} ({permission}, not allowed): {status}")
    assert wrong == [], "\n".join(wrong)


def test_every_socket_event_answers_every_role_as_the_table_says(app, clients):
    from wms.realtime import socketio

    # anonymous: the connection itself is refused
    assert not socketio.test_client(app, flask_test_client=app.test_client()).is_connected()
    for role in ROLES:
        sock = socketio.test_client(app, flask_test_client=clients[role][0])
        assert sock.is_connected(), role
        for event, permission in SOCKET_EVENTS.items():
            if event == "connect":
                continue
            answer = sock.emit(event, {"warehouse_id": 1}, callback=True)
            if role_allows(role, permission):
                assert answer is not None and sock.is_connected(), (role, event)
            else:  # refused: told "forbidden" and disconnected
                assert not answer and not sock.is_connected(), (role, event)
                sock = socketio.test_client(app, flask_test_client=clients[role][0])
        if sock.is_connected():
            sock.disconnect()
