"""The audit log (操作日志): each recorded action with who, from where and before/after; append-only in
the database itself; the admin's search (with the ledger's moves by a person), CSV and API feed."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PASSWORD, csrf_from, login, page_csrf
from tests.integration.conftest import make_order


def _events(app, action: str | None = None) -> list:
    from erp_core.audit.models import AuditEvent
    from erp_core.extensions import db

    with app.app_context():
        stmt = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def _browser(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_logins_failures_badge_and_logout_are_recorded_with_the_address(app, client, users):
    login(client, "viewer", "wrong-password")
    login(client, "viewer")
    client.post("/logout", data={"csrf_token": page_csrf(client)})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login/badge", data={"b-badge": "BADGE-NOBODY-99", "csrf_token": token})
    client.post("/login/badge", data={"b-badge": "BADGE-PICKER-01", "csrf_token": token})
    rows = [(e.action, e.username, e.after and e.after.get("by")) for e in _events(app) if e.action.startswith("auth.")]
    assert rows == [("auth.login_failed", "viewer", "password"), ("auth.login", "viewer", "password"),
                    ("auth.logout", "viewer", None), ("auth.login_failed", "", "badge"),
                    ("auth.login", "picker", "badge")]
    assert {e.ip for e in _events(app) if e.action.startswith("auth.")} == {"127.0.0.1"}


def test_user_created_and_changed_keep_before_and_after_without_secrets(app, users, world):
    admin = _browser(app, "admin")
    made = admin.post("/admin/users/new", data={
        "csrf_token": page_csrf(admin, "/admin/users/new"), "username": "li.na", "full_name": "Li Na",
        "role": "viewer", "password": PASSWORD, "active": "y"})
    assert made.status_code == 302
    created = _events(app, "user.created")[-1]  # the users fixture's come first (no person: no username)
    assert (created.username, created.after["role"], created.after["active"]) == ("admin", "viewer", True)
    user_id = int(created.object_id)
    changed = admin.post(f"/admin/users/{user_id}", data={
        "csrf_token": page_csrf(admin, f"/admin/users/{user_id}"), "full_name": "Li Na", "role": "supervisor",
        "warehouses": str(world["sh"]), "password": "new-password-1"})  # "active" unticked: deactivated
    assert changed.status_code == 302
    (event,) = _events(app, "user.changed")
    assert event.before == {"role": "viewer", "active": True, "warehouses": []}
    assert event.after == {"role": "supervisor", "active": False, "warehouses": ["SH1"]}
    (password,) = _events(app, "user.password_changed")
    assert password.before is None and password.after is None
    assert "new-password-1" not in repr([(e.before, e.after, e.summary) for e in _events(app)])


def test_api_tokens_created_and_revoked_are_recorded(app, users):
    admin = _browser(app, "admin")
    admin.post("/admin/tokens", data={"csrf_token": page_csrf(admin, "/admin/tokens"), "name": "ERP sync",
                                      "user_id": str(users["viewer"])})
    (created,) = _events(app, "token.created")
    assert (created.username, created.after["name"], created.after["user"]) == ("admin", "ERP sync", "viewer")
    admin.post(f"/admin/tokens/{created.object_id}/revoke", data={"csrf_token": page_csrf(admin, "/admin/tokens")})
    (revoked,) = _events(app, "token.revoked")
    assert revoked.object_id == created.object_id and revoked.before["name"] == "ERP sync"


def test_a_price_change_through_the_catalog_import_is_recorded(app, users, world):
    admin = _browser(app, "admin")
    header = "code,name,price,cost"
    content = f"{header}\r\nA,Cup,19.90,7.50\r\n".encode()
    admin.post("/catalog/import", data={"csrf_token": page_csrf(admin, "/catalog/import"),
                                        "file": (io.BytesIO(content), "skus.csv")},
               content_type="multipart/form-data")
    (event,) = _events(app, "sku.price_changed")
    assert (event.object_type, event.object_id, event.username) == ("sku", "A", "admin")
    assert event.after == {"price": "19.90", "cost": "7.50"}
    assert set(event.before) == {"price", "cost"}


def test_a_supplier_price_change_is_recorded_with_old_and_new_price(app, users):
    from tests.purchasing_helpers import api, client_as, purchasing_floor

    floor = purchasing_floor(app)
    purchaser = client_as(app, "purchaser")
    response = api(purchaser, "POST", f"/api/v1/suppliers/{floor['acme']}/skus",
                   {"sku": "A", "price": "4.80", "pack_size": 12, "moq": 24})
    assert response.status_code == 201, response.json
    event = _events(app, "supplier_price.changed")[-1]
    assert (event.username, event.before, event.after["price"]) == ("purchaser", {"price": "5.00"}, "4.80")


def test_an_order_status_change_by_a_person_is_recorded(app, world, users):
    with app.app_context():
        order_id = make_order("T-100", [("A", 1)])
    assert _events(app, "order.status") == []  # the import is no person's status change
    supervisor = _browser(app, "supervisor")
    supervisor.post(f"/orders/{order_id}/action", data={"csrf_token": page_csrf(supervisor, f"/orders/{order_id}"),
                                                        "action": "hold", "reason": "address unclear"})
    (event,) = _events(app, "order.status")
    assert (event.object_type, event.object_id, event.username) == ("order", str(order_id), "supervisor")
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "held"})


def test_a_manual_adjustment_is_recorded_with_the_quantity_before_and_after(app, world, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    supervisor = _browser(app, "supervisor")
    response = supervisor.post("/stock/adjust", data={
        "csrf_token": page_csrf(supervisor, "/stock/adjust"), "warehouse_id": world["sh"], "bin_code": "P-01",
        "sku": "A", "reason": "count_correction", "action": "post", "counted": "7"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    (event,) = _events(app, "stock.adjust")
    with app.app_context():
        move = db.session.scalars(db.select(StockMove).filter_by(reason="adjustment")).one()
        assert move.quantity == 3 and move.user_id == users["supervisor"]
    assert (event.object_id, event.before["quantity"], event.after["quantity"]) == ("A", 10, 7)
    assert event.after["move_id"] == move.id and event.username == "supervisor"


def test_a_refused_change_leaves_no_audit_row(app, world, users):
    from erp_core.audit.log import record
    from erp_core.db import atomic

    before = len(_events(app))
    with app.app_context(), pytest.raises(RuntimeError), atomic():
        record("sku.price_changed", "sku", "A", after={"price": "1"})
        raise RuntimeError("the change failed")
    assert len(_events(app)) == before


def test_the_database_refuses_to_update_or_delete_an_audit_row(app, users):
    from erp_core.extensions import db

    login(app.test_client(), "viewer")
    with app.app_context():
        for statement in ("UPDATE audit_events SET summary = 'nothing happened'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
    (event,) = _events(app, "auth.login")
    assert event.summary == "viewer logged in (password)"


def _search_world(app, users, world):
    """A login, a user change and a stock move by the picker (in the ledger only)."""
    from erp_core.inventory.services import move_stock

    admin = _browser(app, "admin")
    admin.post(f"/admin/users/{users['viewer']}", data={
        "csrf_token": page_csrf(admin, f"/admin/users/{users['viewer']}"), "full_name": "V", "role": "finance",
        "active": "y"})
    with app.app_context():
        move_stock(world["a"], world["sh_res"], world["sh_pick"], 2, reason="replenishment",
                   reference="RPL-7", user_id=users["picker"])
    return admin


def test_the_admin_searches_by_user_action_object_dates_and_text(app, users, world):
    admin = _search_world(app, users, world)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "user.changed" in page and "stock.replenishment" in page and "auth.login" in page
    by_picker = admin.get(f"/admin/audit?user_id={users['picker']}").get_data(as_text=True)
    assert "stock.replenishment" in by_picker and "user.changed" not in by_picker and "RPL-7" in by_picker
    users_only = admin.get("/admin/audit?action=user").get_data(as_text=True)
    assert "user.changed" in users_only and "stock.replenishment" not in users_only
    sku_a = admin.get("/admin/audit?object_type=sku&object_id=A").get_data(as_text=True)
    assert "stock.replenishment" in sku_a and "user.changed" not in sku_a
    assert "user.changed" not in admin.get("/admin/audit?from=2001-01-01&to=2001-01-31").get_data(as_text=True)
    assert "stock.replenishment" not in admin.get("/admin/audit?q=finance").get_data(as_text=True)
    # the ledger's move is shown, not copied into the audit log
    assert not [e for e in _events(app) if e.action.startswith("stock.")]


def test_the_audit_csv_is_an_export_of_the_search(app, users, world):
    admin = _search_world(app, users, world)
    response = admin.get("/admin/audit/export.csv?action=user")
    body = response.get_data().decode("utf-8-sig")
    assert response.mimetype == "text/csv" and body.startswith("at (UTC),user,ip,action")
    assert "user.changed" in body and "stock.replenishment" not in body and '""role"": ""finance""' in body


def test_the_audit_log_is_for_the_admin_only(app, users):
    supervisor = _browser(app, "supervisor")
    assert supervisor.get("/admin/audit").status_code == 403
    assert supervisor.get("/api/v1/audit-events").status_code == 403


def test_the_audit_api_pages_with_a_cursor(app, users):
    from erp_core.auth.services import create_api_token

    for _ in range(3):
        login(app.test_client(), "viewer")
    with app.app_context():
        _token, secret = create_api_token(users["admin"], "siem", users["admin"])
    headers = {"Authorization": f"Bearer {secret}"}
    first = app.test_client().get("/api/v1/audit-events?limit=2&action=auth", headers=headers)
    assert first.status_code == 200 and [e["action"] for e in first.json["items"]] == ["auth.login"] * 2
    rest = app.test_client().get(f"/api/v1/audit-events?limit=2&action=auth&cursor={first.json['next_cursor']}",
                                 headers=headers).json
    assert len(rest["items"]) == 1 and rest["items"][0]["username"] == "viewer"
    assert app.test_client().get(f"/api/v1/audit-events?cursor={rest['next_cursor']}&action=auth",
                                 headers=headers).json["items"] == []
