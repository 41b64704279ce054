"""After-sales cases (售后单) as the office and the platforms open and decide them: through the order
page and the case pages (forms with CSRF) and /api/v1/returns (Idempotency-Key). A return of more
than was shipped and a refund of more than was paid are refused with nothing changed; an exchange
and a resend create their new order (same customer and address, to audit as usual); a refund tells
finance through the outbox; a platform's case is taken in once; an intercept drives the order's
interception; two refunds of one order at once never refund more than was paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, race, unexpected
from tests.conftest import page_csrf
from tests.returns_helpers import returns_floor
from tests.shipping_helpers import order_lines

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    return returns_floor(app, users)


@pytest.fixture
def api(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "platform middleware", users["admin"])
    return {"Authorization": f"Bearer {secret}"}


def _lines(app, order_id):
    with app.app_context():
        return order_lines(order_id)


def _count_cases(app) -> int:
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(AfterSalesCase.id)))


def _case(app, case_id: int) -> dict:
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.extensions import db

    with app.app_context():
        case = db.session.get(AfterSalesCase, case_id)
        return {"status": case.status, "number": case.number, "new_order_id": case.new_order_id,
                "refund": case.refund_amount}


def _post_case(client, headers, key, **body):
    return client.post("/api/v1/returns", json=body, headers={**headers, "Idempotency-Key": key})


def test_the_order_page_offers_a_case_and_the_form_opens_one(app, desk, login_as):
    client = login_as("supervisor")
    order_id = desk["orders"]["cups"]
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="new-case"' in page
    assert "qty-" in client.get(f"/returns/new?order_id={order_id}").get_data(as_text=True)
    lines = _lines(app, order_id)
    token = page_csrf(client, f"/returns/new?order_id={order_id}")
    answer = client.post("/returns/new", data={"csrf_token": token, "order_id": order_id, "kind": "return_refund",
                                               f"qty-{lines['A']}": "1", f"reason-{lines['A']}": "quality",
                                               "refund_amount": "10.00", "reason_code": "quality"})
    assert answer.status_code == 302
    listed = client.get("/returns/?open=1").get_data(as_text=True)
    assert "RT-000001" in listed
    assert "RT-000001" in client.get(f"/orders/{order_id}").get_data(as_text=True)


def test_a_return_of_more_than_was_shipped_is_refused_and_nothing_is_created(app, desk, client, api):
    order_id = desk["orders"]["cups"]
    lines = _lines(app, order_id)
    # given one of the two cups is claimed by a first case
    first = _post_case(client, api, "k-1", order_id=order_id, kind="return_refund",
                       lines=[{"order_line_id": lines["A"], "quantity": 1}])
    assert first.status_code == 201 and first.json["status"] == "requested"
    # when a second case asks for two more
    refused = _post_case(client, api, "k-2", order_id=order_id, kind="exchange",
                         lines=[{"order_line_id": lines["A"], "quantity": 2}])
    # then it is refused, saying what is left, and only the first case exists
    assert refused.status_code == 409 and refused.json["code"] == "return_over_shipped"
    assert refused.json["left"] == 1 and refused.json["sku"] == "A"
    assert _count_cases(app) == 1


def test_a_refund_over_what_was_paid_is_refused_and_nothing_changes(app, desk, login_as, client, api):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from erp_core.outbox import OutboxMessage

    order_id = desk["orders"]["cups"]
    with app.app_context():
        paid = db.session.get(Order, order_id).total  # 3 x 10.00, no shipping fee
    assert paid == Decimal("30.00")
    over = _post_case(client, api, "r-1", order_id=order_id, kind="refund_only", refund_amount="30.01")
    assert over.status_code == 409 and over.json["code"] == "refund_over_paid"
    assert over.json["refundable"] == "30.00"
    # a refund-only case of 20 is fine; a second one of 20 would be over what is left (10)
    ok = _post_case(client, api, "r-2", order_id=order_id, kind="refund_only", refund_amount="20.00")
    assert ok.status_code == 201
    second = _post_case(client, api, "r-3", order_id=order_id, kind="refund_only", refund_amount="20.00")
    assert second.status_code == 409 and second.json["refundable"] == "10.00"
    # and at refund time: the office raising the first case's amount over what was paid is refused
    case_id = ok.json["id"]
    assert client.post(f"/api/v1/returns/{case_id}/approve", headers=api).status_code == 200
    raised = client.post(f"/api/v1/returns/{case_id}/refund", json={"amount": "31.00"}, headers=api)
    assert raised.status_code == 409 and raised.json["code"] == "refund_over_paid"
    assert _case(app, case_id)["status"] == "approved"
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(topic="finance.refund")) == 0


def test_a_refund_publishes_finance_refund_with_a_stable_key(app, desk, client, api):
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage

    made = _post_case(client, api, "f-1", order_id=desk["orders"]["cups"], kind="refund_only",
                      refund_amount="12.50", reason_code="not_as_described")
    case_id = made.json["id"]
    client.post(f"/api/v1/returns/{case_id}/approve", headers=api)
    refunded = client.post(f"/api/v1/returns/{case_id}/refund", json={}, headers=api)
    assert refunded.status_code == 200 and refunded.json["status"] == "refunded"
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).filter_by(topic="finance.refund"))
        data = message.data()
        assert message.key == f"refund:{made.json['number']}" == data["key"]
        assert (data["order_id"], data["amount"], data["currency"]) == (desk["orders"]["cups"], "12.50", "CNY")
    again = client.post(f"/api/v1/returns/{case_id}/refund", json={}, headers=api)
    assert again.status_code == 409 and again.json["code"] == "case_not_refundable"


def test_an_exchange_creates_the_new_order_for_the_same_customer_once_the_return_is_inspected(app, desk, login_as):
    from erp_core.aftersales.receiving import inspect_return, receive_return
    from erp_core.aftersales.services import NewCase, NewCaseLine, create_case
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    order_id = desk["orders"]["cups"]
    lines = _lines(app, order_id)
    with app.app_context():
        case = create_case(NewCase(order_id=order_id, kind="exchange", lines=[
            NewCaseLine(lines["B"], 1, "size_fit", exchange_sku_id=desk["skus"]["C"])]))
        case_id, line_id = case.id, case.lines[0].id
    client = login_as("supervisor")
    token = page_csrf(client, f"/returns/{case_id}")
    client.post(f"/returns/{case_id}/action", data={"csrf_token": token, "action": "approve"})
    assert _case(app, case_id)["status"] == "awaiting_return"
    with app.app_context():
        receive_return(case_id, line_id, 1)
        inspect_return(case_id, line_id, 1, "sellable", to_location_id=desk["bins"]["A01-06-1"])
    assert _case(app, case_id)["status"] == "inspected"
    client.post(f"/returns/{case_id}/action", data={"csrf_token": token, "action": "complete"})
    done = _case(app, case_id)
    assert done["status"] == "completed" and done["new_order_id"]
    with app.app_context():
        old, new = db.session.get(Order, order_id), db.session.get(Order, done["new_order_id"])
        assert new.external_id == f"{done['number']}-EX" and new.status == "pending"  # to audit, as every order
        assert new.customer_id == old.customer_id and new.channel_id == old.channel_id
        assert (new.ship_name, new.ship_address) == (old.ship_name, old.ship_address)
        assert [(line.sku.code, line.quantity) for line in new.lines] == [("C", 1)]
    assert "-EX" in client.get(f"/returns/{case_id}").get_data(as_text=True)


def test_a_resend_creates_a_new_order_of_the_missing_items_once_approved(app, desk, client, api):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    lines = _lines(app, desk["orders"]["cups"])
    made = _post_case(client, api, "s-1", order_id=desk["orders"]["cups"], kind="resend",
                      lines=[{"order_line_id": lines["B"], "quantity": 1, "reason_code": "missing_item"}])
    case_id = made.json["id"]
    assert client.post(f"/api/v1/returns/{case_id}/approve", headers=api).json["status"] == "approved"
    done = client.post(f"/api/v1/returns/{case_id}/complete", headers=api)
    assert done.status_code == 200 and done.json["status"] == "completed"
    with app.app_context():
        new = db.session.get(Order, done.json["new_order_id"])
        assert [(line.sku.code, line.quantity) for line in new.lines] == [("B", 1)] and new.status == "pending"


def test_a_platform_case_is_taken_in_once(app, desk, client, api):
    from erp_core.aftersales.services import ingest_platform_case
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        channel_id = db.session.get(Order, desk["orders"]["cups"]).channel_id
        payload = {"platform_case_id": "TM-AS-9001", "order_external_id": "S0", "kind": "return_refund",
                   "refund_amount": "10.00", "reason": "quality", "lines": [{"sku": "A", "quantity": 1}]}
        first, created = ingest_platform_case(channel_id, payload)
        again, created_again = ingest_platform_case(channel_id, payload)
        assert created and not created_again and first.id == again.id
    # through the API with another Idempotency-Key: the same case again
    lines = _lines(app, desk["orders"]["cups"])
    body = {"order_id": desk["orders"]["cups"], "kind": "return_refund", "platform_case_id": "TM-AS-9001",
            "lines": [{"order_line_id": lines["A"], "quantity": 1}]}
    assert _post_case(client, api, "p-1", **body).json["id"] == first.id
    assert _count_cases(app) == 1


def test_an_intercept_case_stops_the_order_and_is_refunded_once_it_is_cancelled(app, users, client, api):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    desk = returns_floor(app, users, ship=False)  # released, not picked yet
    order_id = desk["orders"]["cups"]
    made = _post_case(client, api, "i-1", order_id=order_id, kind="intercept", refund_amount="30.00",
                      reason_code="changed_mind")
    approved = client.post(f"/api/v1/returns/{made.json['id']}/approve", headers=api)
    assert approved.status_code == 200, approved.json
    with app.app_context():
        assert db.session.get(Order, order_id).status == "cancelled"
    refunded = client.post(f"/api/v1/returns/{made.json['id']}/refund", json={}, headers=api)
    assert refunded.status_code == 200 and refunded.json["refund_amount"] == "30.00"


def test_an_intercept_of_a_shipped_order_is_refused_and_the_case_stays_requested(app, desk, client, api):
    made = _post_case(client, api, "i-2", order_id=desk["orders"]["cups"], kind="intercept")
    refused = client.post(f"/api/v1/returns/{made.json['id']}/approve", headers=api)
    assert refused.status_code == 409 and refused.json["code"] == "not_interceptable"
    assert _case(app, made.json["id"])["status"] == "requested"


def test_two_refunds_of_one_order_at_once_never_refund_more_than_was_paid(app, desk):
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.aftersales.services import NewCase, approve_case, create_case, refund_case
    from erp_core.extensions import db

    with app.app_context():
        ids = []
        for amount in ("10.00", "10.00"):
            case = create_case(NewCase(order_id=desk["orders"]["cups"], kind="refund_only",
                                       refund_amount=Decimal(amount)))
            approve_case(case.id)
            ids.append(case.id)
    # when both are refunded at once, each raised to 20 (together 40 of the 30 paid)
    outcomes = race(app, *(lambda i=i: refund_case(i, Decimal("20.00")).status for i in ids))
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]
    assert next(o for o in outcomes if o.kind == "refused").code in {"refund_over_paid", "concurrent_update"}
    with app.app_context():
        refunded = db.session.scalar(select(func.sum(AfterSalesCase.refund_amount)).filter_by(status="refunded"))
        assert refunded == Decimal("20.00")


def test_two_approvals_of_one_case_at_once_approve_it_once(app, desk):
    from erp_core.aftersales.services import NewCase, NewCaseLine, approve_case, create_case

    lines = _lines(app, desk["orders"]["cups"])
    with app.app_context():
        case_id = create_case(NewCase(order_id=desk["orders"]["cups"], kind="return_refund",
                                      lines=[NewCaseLine(lines["A"], 1)])).id
    outcomes = race(app, lambda: approve_case(case_id).status, lambda: approve_case(case_id).status)
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]
    assert _case(app, case_id)["status"] == "awaiting_return"


def test_the_customer_history_lists_the_customers_cases(app, desk, client, api):
    from flask import render_template

    from erp_core.aftersales.services import cases_for_customer
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    _post_case(client, api, "c-1", order_id=desk["orders"]["cups"], kind="refund_only", refund_amount="5.00")
    with app.app_context():
        customer_id = db.session.get(Order, desk["orders"]["cups"]).customer_id
        found = cases_for_customer(customer_id)
        assert [c.number for c in found] == ["RT-000001"]
        with app.test_request_context("/"):
            html = render_template("aftersales/_customer_cases.html", cases=found)
        assert "RT-000001" in html and "/returns/" in html


def test_the_case_pages_follow_permissions(app, desk, login_as, client, api):
    made = _post_case(client, api, "v-1", order_id=desk["orders"]["cups"], kind="refund_only")
    viewer = login_as("viewer")
    assert viewer.get("/returns/").status_code == 200
    assert viewer.get(f"/returns/{made.json['id']}").status_code == 200
    assert viewer.get(f"/returns/new?order_id={desk['orders']['cups']}").status_code == 403
    token = page_csrf(viewer, "/returns/")
    assert viewer.post(f"/returns/{made.json['id']}/action", data={"csrf_token": token, "action": "approve"}
                       ).status_code == 403
    assert viewer.get("/returns/station/").status_code == 403


def test_a_rejected_case_frees_what_it_claimed(app, desk, client, api):
    lines = _lines(app, desk["orders"]["cups"])
    body = {"order_id": desk["orders"]["cups"], "kind": "return_refund",
            "lines": [{"order_line_id": lines["A"], "quantity": 2}]}
    first = _post_case(client, api, "j-1", **body)
    assert _post_case(client, api, "j-2", **body).json["code"] == "return_over_shipped"
    rejected = client.post(f"/api/v1/returns/{first.json['id']}/reject", json={"reason": "outside 7 days"},
                           headers=api)
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert _post_case(client, api, "j-3", **body).status_code == 201
