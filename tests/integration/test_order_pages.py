"""The order screens: list with filters, order page, actions with CSRF, bulk actions, audit settings."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import page_csrf
from tests.integration.conftest import make_order


def _orders(app, world):
    with app.app_context():
        return make_order("T-100", [("A", 1)]), make_order("T-200", [("B", 1)], phone="13900139000", note="急")


def test_the_order_list_filters_and_searches(app, world, login_as):
    first, second = _orders(app, world)
    client = login_as("supervisor")
    page = client.get("/orders/").get_data(as_text=True)
    assert "T-100" in page and "T-200" in page
    assert "T-200" not in client.get("/orders/?q=T-100").get_data(as_text=True)
    assert "T-100" not in client.get("/orders/?sku=B").get_data(as_text=True)
    assert "T-100" not in client.get("/orders/?status=held").get_data(as_text=True)


def test_approving_on_the_order_page_allocates_and_shows_the_bins(app, world, login_as):
    first, _second = _orders(app, world)
    client = login_as("supervisor")
    token = page_csrf(client, f"/orders/{first}")
    response = client.post(f"/orders/{first}/action", data={"csrf_token": token, "action": "approve"})
    assert response.status_code == 302
    page = client.get(f"/orders/{first}").get_data(as_text=True)
    assert "P-01 × 1" in page and "Released" in page


def test_an_action_without_csrf_is_refused_and_changes_nothing(app, world, login_as):
    first, _second = _orders(app, world)
    client = login_as("supervisor")
    assert client.post(f"/orders/{first}/action", data={"action": "approve"}).status_code == 400
    from erp_core.orders.services import get_order

    with app.app_context():
        assert get_order(first).status == "pending"


def test_holding_needs_a_reason(app, world, login_as):
    first, _second = _orders(app, world)
    client = login_as("supervisor")
    token = page_csrf(client, f"/orders/{first}")
    response = client.post(f"/orders/{first}/action", data={"csrf_token": token, "action": "hold", "reason": ""},
                           headers={"Referer": f"http://localhost/orders/{first}"})
    assert response.status_code == 302
    page = client.get(f"/orders/{first}").get_data(as_text=True)
    assert "This action needs a reason." in page and "Pending audit" in page


def test_bulk_audit_approves_one_and_holds_the_noted_one(app, world, login_as):
    first, second = _orders(app, world)
    client = login_as("supervisor")
    token = page_csrf(client, "/orders/")
    client.post("/orders/bulk", data={"csrf_token": token, "action": "audit", "order_id": [first, second]})
    from erp_core.orders.services import get_order

    with app.app_context():
        assert get_order(first).status == "released"
        assert get_order(second).status == "held" and get_order(second).hold_reason == "buyer_note"
    assert "Buyer note" in client.get("/orders/?status=held").get_data(as_text=True)


def test_splitting_on_the_page_creates_a_linked_order(app, world, login_as):
    with app.app_context():
        order_id = make_order("T-300", [("A", 3)])
        from erp_core.orders.services import get_order

        line_id = get_order(order_id).lines[0].id
    client = login_as("supervisor")
    token = page_csrf(client, f"/orders/{order_id}")
    client.post(f"/orders/{order_id}/split", data={"csrf_token": token, f"qty-{line_id}": "1"})
    with app.app_context():
        from erp_core.extensions import db
        from erp_core.orders.models import Order

        child = db.session.scalar(select(Order).filter_by(split_from_id=order_id))
        assert child.external_id == "T-300-S1" and child.lines[0].quantity == 1


def test_audit_settings_are_saved_from_the_form(app, world, login_as):
    client = login_as("supervisor")
    token = page_csrf(client, "/orders/settings")
    response = client.post("/orders/settings", data={
        "csrf_token": token, "auto_approve": "on", "seller_note": "on", "amount": "on", "amount_threshold": "800",
        "blacklist": "on", "blacklist_phones": "13900139000\n", "blacklist_action": "reject",
        "duplicate_window_hours": "12", "address_min_detail_length": "4", "allocation_mode": "backorder"})
    assert response.status_code == 302
    from erp_core.orders.allocation import allocation_policy
    from erp_core.orders.workflow import audit_settings

    with app.app_context():
        rules = audit_settings()
        assert not rules.buyer_note.enabled and rules.amount.threshold == 800
        assert rules.blacklist.phones == frozenset({"13900139000"}) and rules.blacklist.action == "reject"
        assert allocation_policy()["mode"] == "backorder"


def test_the_order_pages_speak_chinese(app, world, login_as):
    first, _second = _orders(app, world)
    client = login_as("supervisor")
    client.post("/settings/language", data={"locale": "zh", "csrf_token": page_csrf(client)})
    assert "审核规则" in client.get("/orders/").get_data(as_text=True)
    assert "历史" in client.get(f"/orders/{first}").get_data(as_text=True)


def test_a_picker_cannot_open_the_orders(login_as):
    client = login_as("picker")
    assert client.get("/orders/").status_code == 403


def test_the_service_areas_of_warehouses_steer_allocation(app, world, login_as):
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order

    client = login_as("supervisor")
    token = page_csrf(client, "/orders/settings")
    client.post("/orders/settings", data={"csrf_token": token, "auto_approve": "on", "allocation_mode": "split",
                                          "provinces-SZ1": "广东省, 浙江省", "priority-SZ1": "100",
                                          "duplicate_window_hours": "24", "address_min_detail_length": "5",
                                          "amount_threshold": "5000"})
    with app.app_context():
        receive(world["a"], world["sz_pick"], 10)
        # SH1 serves 上海 (so 华东 by region); SZ1 now serves 浙江省 itself, which ranks first
        order = approve_order(make_order("T-900", [("A", 1)], province="浙江省"))
        assert order.warehouse_id == world["sz"]
