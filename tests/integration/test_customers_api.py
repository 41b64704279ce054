"""/api/v1/customers: list with page, cursor and updated_since; one customer with tags, tier and segment;
PATCH tags and blacklist; notes, complaints and merges by POST with an Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.customer_helpers import add_jd_shop, buy, customer_of, orders_of


def _token(app, user_id, admin_id):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(user_id, "crm sync", admin_id)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def auth(app, users):
    return _token(app, users["supervisor"], users["admin"])


@pytest.fixture
def buyers(app, world):
    add_jd_shop(app)
    with app.app_context():
        ids = [customer_of(buy(f"T{i}", phone=f"1380000000{i}", name=f"买家{i}", buyer_id=f"tb_{i}",
                               amount="2500.00")) for i in range(5)]
        jd = customer_of(buy("J1", channel="JD", phone="13800000000", name="买家0", buyer_id="jd_0"))
        return {"ids": ids, "jd": jd}


def test_customers_are_listed_by_page_and_by_cursor(client, auth, buyers):
    first = client.get("/api/v1/customers?per_page=4", headers=auth).json
    assert first["total"] == 6 and [c["id"] for c in first["items"]] == sorted(buyers["ids"] + [buyers["jd"]])[:4]
    after = client.get(f"/api/v1/customers?per_page=4&cursor={first['next_cursor']}", headers=auth).json
    assert [c["id"] for c in after["items"]] == sorted(buyers["ids"] + [buyers["jd"]])[4:]
    assert after["next_cursor"] is None
    page_two = client.get("/api/v1/customers?per_page=4&page=2", headers=auth).json
    assert page_two["items"] == after["items"]


def test_updated_since_returns_only_the_customers_changed_since(app, client, auth, buyers):
    from erp_core.models_base import utcnow

    since = (utcnow() + timedelta(seconds=1)).isoformat()
    with app.app_context():
        from erp_core.customers.models import Customer
        from erp_core.extensions import db

        db.session.get(Customer, buyers["ids"][2]).updated_at = utcnow() + timedelta(seconds=5)
        db.session.commit()
    found = client.get("/api/v1/customers", query_string={"updated_since": since}, headers=auth).json
    assert [c["id"] for c in found["items"]] == [buyers["ids"][2]]


def test_one_customer_comes_with_tags_tier_and_segment(client, auth, buyers):
    cid = buyers["ids"][1]
    patched = client.patch(f"/api/v1/customers/{cid}", json={"tags": ["VIP", "wholesale"]}, headers=auth)
    assert patched.status_code == 200 and patched.json["tags"] == ["VIP", "wholesale"]
    got = client.get(f"/api/v1/customers/{cid}", headers=auth).json
    assert got["tier"] == "silver" and got["lifetime_spend"] == "2500.00" and got["lifetime_orders"] == 1
    assert got["rfm"] == {"recency": 5, "frequency": 1, "monetary": 4, "recency_days": 1, "segment": "new"}
    assert got["phone"] == "13800000001"
    assert client.get("/api/v1/customers?tag=VIP", headers=auth).json["total"] == 1
    assert client.get("/api/v1/customers?tier=silver", headers=auth).json["total"] == 5


def test_the_blacklist_is_set_with_a_reason_and_cleared_by_patch(client, auth, buyers):
    cid = buyers["ids"][0]
    refused = client.patch(f"/api/v1/customers/{cid}", json={"blacklisted": True}, headers=auth)
    assert refused.status_code == 422 and refused.json["code"] == "blacklist_reason_required"
    done = client.patch(f"/api/v1/customers/{cid}", json={"blacklisted": True, "blacklist_reason": "fraud"},
                        headers=auth)
    assert done.json["blacklisted"] is True and done.json["blacklist_reason"] == "fraud"
    assert client.get("/api/v1/customers?blacklisted=true", headers=auth).json["total"] == 1
    cleared = client.patch(f"/api/v1/customers/{cid}", json={"blacklisted": False}, headers=auth)
    assert cleared.json["blacklisted"] is False and cleared.json["blacklist_reason"] == ""


def test_a_note_posted_twice_with_one_idempotency_key_is_added_once(client, auth, buyers):
    cid = buyers["ids"][0]
    headers = {**auth, "Idempotency-Key": "note-1"}
    first = client.post(f"/api/v1/customers/{cid}/notes", json={"text": "Gift wrap"}, headers=headers)
    again = client.post(f"/api/v1/customers/{cid}/notes", json={"text": "Gift wrap"}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get(f"/api/v1/customers/{cid}", headers=auth).json["notes"]) == 1


def test_a_complaint_is_recorded_about_one_of_the_customers_orders(app, client, auth, buyers):
    cid = buyers["ids"][0]
    with app.app_context():
        order = orders_of(cid)[0]
    made = client.post(f"/api/v1/customers/{cid}/feedback", headers={**auth, "Idempotency-Key": "c-1"},
                       json={"kind": "complaint", "text": "Wrong colour", "order_id": order})
    assert made.status_code == 201 and made.json["status"] == "open" and made.json["order_id"] == order
    wrong = client.post(f"/api/v1/customers/{buyers['ids'][1]}/feedback", headers=auth,
                        json={"kind": "complaint", "text": "x", "order_id": order})
    assert wrong.status_code == 422 and wrong.json["code"] == "feedback_order_not_customers"


def test_a_merge_by_api_is_idempotent_and_can_be_undone(app, client, auth, buyers):
    survivor, merged = buyers["ids"][0], buyers["jd"]
    headers = {**auth, "Idempotency-Key": "merge-1"}
    body = {"survivor_id": survivor, "merged_id": merged}
    first = client.post("/api/v1/customers/merges", json=body, headers=headers)
    again = client.post("/api/v1/customers/merges", json=body, headers=headers)
    assert first.status_code == 201 and again.json == first.json
    assert len(first.json["moved"]["order"]) == 1 and first.json["status"] == "merged"
    listed = client.get("/api/v1/customers", headers=auth).json
    assert merged not in [c["id"] for c in listed["items"]]  # merged records are left out
    assert client.get(f"/api/v1/customers/{merged}", headers=auth).json["merged_into_id"] == survivor
    undone = client.post(f"/api/v1/customers/merges/{first.json['id']}/undo", headers=auth)
    assert undone.status_code == 200 and undone.json["status"] == "unmerged"
    with app.app_context():
        assert orders_of(merged) == first.json["moved"]["order"]
    assert client.get(f"/api/v1/customers/merges/{first.json['id']}", headers=auth).json["unmerged_at"]


def test_a_viewer_token_reads_masked_phones_and_cannot_change_customers(app, client, users, buyers):
    viewer = _token(app, users["viewer"], users["admin"])
    item = client.get(f"/api/v1/customers/{buyers['ids'][1]}", headers=viewer).json
    assert item["phone"] == "138****0001" and item["email"] == ""
    patch = client.patch(f"/api/v1/customers/{buyers['ids'][1]}", json={"tags": ["x"]}, headers=viewer)
    assert patch.status_code == 403
    assert client.post("/api/v1/customers/merges", json={"survivor_id": 1, "merged_id": 2},
                       headers=viewer).status_code == 403


def test_an_unknown_customer_is_a_404_with_its_code(client, auth, buyers):
    missing = client.get("/api/v1/customers/99999", headers=auth)
    assert missing.status_code == 404 and missing.json["code"] == "unknown_customer"
