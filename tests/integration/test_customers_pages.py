"""The customer screens as the office uses them: list and filters, the customer page, tags, notes,
complaints and the blacklist through HTMX forms, masked phones, RFM and tiers, and who may do what."""

from __future__ import annotations

import pytest

from tests.conftest import login, page_csrf
from tests.customer_helpers import buy, customer_of


@pytest.fixture
def shoppers(app, world):
    """王芳 (a big recent buyer), 李雷 (one small order long ago, cancelled one), 张伟 (never paid)."""
    with app.app_context():
        wang = [buy(f"W{i}", buyer_id="tb_wang", days_ago=5 + i, amount="1000.00", fee="10.00") for i in range(6)]
        li = buy("L1", phone="13900139000", name="李雷", buyer_id="tb_li", days_ago=300, amount="50.00")
        cancelled = buy("L2", phone="13900139000", name="李雷", buyer_id="tb_li", days_ago=2, amount="9000.00")
        from erp_core.orders.services import cancel_order

        cancel_order(cancelled, "buyer changed mind")
        zhang = buy("Z1", phone="13700137000", name="张伟", buyer_id="tb_zhang", paid=False)
        return {"wang": customer_of(wang[0]), "li": customer_of(li), "zhang": customer_of(zhang),
                "wang_orders": wang, "li_cancelled": cancelled}


def test_the_list_searches_by_name_phone_and_buyer_id(shoppers, login_as):
    client = login_as("supervisor")
    for q in ("李雷", "13900139000", "tb_li"):
        page = client.get(f"/customers/?q={q}").get_data(as_text=True)
        assert "李雷" in page and "王芳" not in page, q


def test_a_viewer_sees_phones_masked_and_a_supervisor_in_full(app, shoppers, login_as):
    viewer = login_as("viewer")
    listing = viewer.get("/customers/").get_data(as_text=True)
    detail = viewer.get(f"/customers/{shoppers['wang']}").get_data(as_text=True)
    assert "138****8000" in listing and "138****8000" in detail
    assert "13800138000" not in listing and "13800138000" not in detail
    assert "Add tag" not in detail and "Merge with another customer" not in detail  # a viewer only reads
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert "13800138000" in supervisor.get(f"/customers/{shoppers['wang']}").get_data(as_text=True)


def test_the_customer_page_shows_the_order_history_tier_and_segment(shoppers, login_as):
    page = login_as("finance").get(f"/customers/{shoppers['wang']}").get_data(as_text=True)
    assert "W0" in page and "W5" in page and "/orders/" in page
    # 6 orders of 1010.00: 6060.00 lifetime, gold by spend (5000); recent, 6 orders, 6060 in the window -> R5 F4 M5
    assert "¥6,060.00" in page and "Gold" in page and "Champions" in page and "R5 F4 M5" in page
    assert "After-sales cases" in page


def test_cancelled_orders_count_for_neither_the_tier_nor_rfm(app, shoppers):
    from erp_core.customers import services
    from erp_core.customers.stats import profile

    with app.app_context():
        li = profile(shoppers["li"], services.tier_rules(), services.rfm_settings())
        assert li.summary.lifetime_orders == 1 and str(li.summary.lifetime_spend) == "50.00"
        assert li.tier is None and li.rfm.segment == "hibernating" and li.rfm.recency_days == 300
        assert profile(shoppers["zhang"], services.tier_rules(), services.rfm_settings()).rfm is None


def test_the_list_filters_by_tier_tag_segment_and_blacklist(app, shoppers, login_as):
    from erp_core.customers import services

    with app.app_context():
        services.set_tags(shoppers["li"], ["wholesale"])
        services.set_blacklist(shoppers["zhang"], True, "fake orders")
    client = login_as("supervisor")

    def names(query: str) -> set[str]:
        page = client.get(f"/customers/?{query}").get_data(as_text=True)
        return {n for n in ("王芳", "李雷", "张伟") if n in page}

    assert names("tier=gold") == {"王芳"}
    assert names("tier=none") == {"李雷", "张伟"}
    assert names("tag=wholesale") == {"李雷"}
    assert names("segment=champions") == {"王芳"}
    assert names("blacklisted=yes") == {"张伟"}


def test_tiers_follow_the_admins_thresholds(app, shoppers, login_as):
    admin = login_as("admin")
    token = page_csrf(admin, "/customers/settings")
    form = {"csrf_token": token, "tier_rows": "2", "code-0": "vip", "name-0": "VIP", "min_spend-0": "40",
            "min_orders-0": "99", "window_days": "365"}
    for name, cuts in (("recency_days", (180, 90, 60, 30)), ("frequency", (2, 3, 6, 10)),
                       ("monetary", (300, 1000, 2000, 5000))):
        form.update({f"{name}-{i}": str(v) for i, v in enumerate(cuts)})
    assert admin.post("/customers/settings", data=form).status_code == 302
    page = admin.get("/customers/?tier=vip").get_data(as_text=True)
    assert "李雷" in page and "王芳" in page and "张伟" not in page  # 50.00 reaches VIP at 40; 张伟 never paid
    bad = admin.post("/customers/settings", data={**form, "recency_days-0": "10", "code-0": "gold"})
    assert bad.status_code == 422  # recency cut-offs no longer descending
    with app.app_context():
        from erp_core.customers import services

        assert services.rfm_settings().recency_days == (180, 90, 60, 30)
        assert [t.code for t in services.tier_rules().tiers] == ["vip"]  # nothing of the refused form was saved


def test_the_rfm_overview_counts_each_segment_and_lists_its_customers(shoppers, login_as):
    client = login_as("viewer")
    overview = client.get("/customers/rfm").get_data(as_text=True)
    assert 'data-segment="champions">1<' in overview and 'data-segment="hibernating">1<' in overview
    champions = client.get("/customers/rfm/champions").get_data(as_text=True)
    assert "王芳" in champions and "李雷" not in champions and "138****8000" in champions
    assert client.get("/customers/rfm/nonsense").status_code == 404


def test_the_rfm_segment_list_filters_by_channel(app, shoppers, login_as):
    from tests.customer_helpers import add_jd_shop

    add_jd_shop(app)
    with app.app_context():
        buy("J1", channel="JD", phone="13600136000", name="韩梅", buyer_id="jd_han", days_ago=3)
        from sqlalchemy import select

        from erp_core.channels.models import Channel
        from erp_core.extensions import db

        jd = db.session.scalar(select(Channel.id).filter_by(code="JD"))
    client = login_as("supervisor")
    assert "韩梅" in client.get("/customers/rfm/new").get_data(as_text=True)
    page = client.get(f"/customers/rfm/new?channel={jd}").get_data(as_text=True)
    assert "韩梅" in page
    assert "韩梅" not in client.get(f"/customers/rfm/new?channel={jd + 100}").get_data(as_text=True)


def test_tags_notes_and_complaints_are_added_through_htmx_forms(app, shoppers, login_as):
    client = login_as("supervisor")
    cid = shoppers["wang"]
    token = page_csrf(client, f"/customers/{cid}")
    hx = {"HX-Request": "true", "X-CSRFToken": token}
    assert client.post(f"/customers/{cid}/tags", data={"tag": "VIP"}).status_code == 400  # no CSRF token
    tags = client.post(f"/customers/{cid}/tags", data={"tag": "  VIP  "}, headers=hx)
    assert tags.status_code == 200 and 'id="customer-tags"' in tags.get_data(as_text=True)
    assert "VIP" in tags.get_data(as_text=True)
    note = client.post(f"/customers/{cid}/notes", data={"text": "Call before delivery"}, headers=hx)
    assert "Call before delivery" in note.get_data(as_text=True)
    complaint = client.post(f"/customers/{cid}/feedback", headers=hx, data={
        "kind": "complaint", "text": "Box arrived crushed", "order_id": str(shoppers["wang_orders"][0])})
    assert "Box arrived crushed" in complaint.get_data(as_text=True) and "Open" in complaint.get_data(as_text=True)
    with app.app_context():
        from sqlalchemy import select

        from erp_core.customers.models import CustomerFeedback
        from erp_core.extensions import db

        record = db.session.scalar(select(CustomerFeedback))
        assert record.created_by_id is not None and record.order_id == shoppers["wang_orders"][0]
        record_id = record.id
    resolved = client.post(f"/customers/feedback/{record_id}/status", data={"status": "resolved"}, headers=hx)
    assert "Resolved" in resolved.get_data(as_text=True)
    removed = client.post(f"/customers/{cid}/tags", data={"remove": "VIP"}, headers=hx)
    assert "No tags yet." in removed.get_data(as_text=True)


def test_a_complaint_about_another_customers_order_is_refused(shoppers, login_as):
    client = login_as("supervisor")
    token = page_csrf(client, f"/customers/{shoppers['li']}")
    refused = client.post(f"/customers/{shoppers['li']}/feedback", headers={"HX-Request": "true", "X-CSRFToken": token},
                          data={"kind": "complaint", "text": "x", "order_id": str(shoppers["wang_orders"][0])})
    assert refused.status_code == 422


def test_a_blacklisted_customers_new_order_is_held_by_the_audit(app, shoppers, login_as):
    from erp_core.orders.workflow import audit_order

    client = login_as("supervisor")
    token = page_csrf(client, f"/customers/{shoppers['wang']}")
    no_reason = client.post(f"/customers/{shoppers['wang']}/blacklist", data={"csrf_token": token, "blacklisted": "1"},
                            headers={"Referer": f"/customers/{shoppers['wang']}"})
    assert no_reason.status_code == 302
    with app.app_context():
        from erp_core.customers.services import get_customer

        assert not get_customer(shoppers["wang"]).blacklisted  # refused without a reason
    client.post(f"/customers/{shoppers['wang']}/blacklist",
                data={"csrf_token": token, "blacklisted": "1", "reason": "chargebacks"})
    with app.app_context():
        order = audit_order(buy("W9", buyer_id="tb_wang"))
        assert order.status == "held" and "blacklisted" in order.hold_reason
    client.post(f"/customers/{shoppers['wang']}/blacklist", data={"csrf_token": token, "blacklisted": "0"})
    with app.app_context():
        assert "blacklisted" not in audit_order(buy("W10", buyer_id="tb_wang")).hold_reason


def test_a_blacklisted_customer_is_rejected_when_the_blacklist_rule_rejects(app, shoppers):
    from dataclasses import replace

    from erp_core.customers.services import set_blacklist
    from erp_core.orders.workflow import audit_order, audit_settings, save_audit_settings

    with app.app_context():
        rules = audit_settings()
        save_audit_settings(replace(rules, blacklist=replace(rules.blacklist, action="reject")))
        set_blacklist(shoppers["li"], True, "abusive")
        order = audit_order(buy("L9", phone="13900139000", name="李雷", buyer_id="tb_li"))
        assert order.status == "rejected"


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("finance", 403), ("purchaser", 403), ("picker", 403)])
def test_only_admins_and_supervisors_change_a_customer(shoppers, login_as, role, status):
    client = login_as(role)
    token = page_csrf(client, "/")
    for path, data in ((f"/customers/{shoppers['li']}/tags", {"tag": "x"}),
                       (f"/customers/{shoppers['li']}/notes", {"text": "x"}),
                       (f"/customers/{shoppers['li']}/blacklist", {"blacklisted": "1", "reason": "x"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == status, path


@pytest.mark.parametrize("role", ["purchaser", "picker", "packer", "shipping"])
def test_roles_without_customers_view_do_not_see_customers(shoppers, login_as, role):
    client = login_as(role)
    assert client.get("/customers/").status_code == 403
    assert client.get(f"/customers/{shoppers['li']}").status_code == 403
    assert client.get("/customers/settings").status_code == 403


def test_only_the_admin_changes_tier_and_rfm_settings(app, shoppers, login_as):
    assert login_as("supervisor").get("/customers/settings").status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    assert admin.get("/customers/settings").status_code == 200


def test_a_registered_history_panel_shows_on_the_customer_page(app, shoppers, login_as):
    from erp_core.customers import panels

    def cases(customer):
        return f"<p>cases of #{customer.id}</p>"

    panels.register_history_panel(cases)
    try:
        page = login_as("supervisor").get(f"/customers/{shoppers['li']}").get_data(as_text=True)
        assert f"cases of #{shoppers['li']}" in page
    finally:
        panels._PANELS._panels.remove(cases)
