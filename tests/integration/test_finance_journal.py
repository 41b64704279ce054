"""The journal: manual entries through the page and the API, closed periods, idempotent postings,
statements that tie out, foreign currency, and who may do what."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tests.concurrency import race
from tests.conftest import page_csrf
from tests.finance_helpers import balance, books_world, order, post_all, receive_on_po, ship


def _today() -> date:
    from erp_core.inventory.reservations import business_today

    return business_today()


def _entry_form(client, lines, *, memo="Rent December", day=None, token=None, currency="CNY"):
    data = {"csrf_token": page_csrf(client, "/finance/journal/new"), "entry_date": (day or _today()).isoformat(),
            "memo": memo, "currency": currency, "token": token or uuid.uuid4().hex,
            "account": [], "debit": [], "credit": [], "line_memo": []}
    for account, debit, credit in lines:
        data["account"].append(account)
        data["debit"].append(debit)
        data["credit"].append(credit)
        data["line_memo"].append("")
    return client.post("/finance/journal/new", data=data)


def _entries(app) -> int:
    from erp_core.extensions import db
    from erp_core.finance.models import JournalEntry

    with app.app_context():
        return db.session.scalar(select(func.count(JournalEntry.id)))


def test_a_manual_entry_is_posted_once_even_when_the_form_is_sent_twice(app, login_as):
    # given the finance clerk on the new-entry page
    client = login_as("finance")
    token = uuid.uuid4().hex
    # when the rent (Dr administrative expenses / Cr bank) is posted, and the form is sent again
    first = _entry_form(client, [("5602", "3000", ""), ("1002", "", "3000")], token=token)
    again = _entry_form(client, [("5602", "3000", ""), ("1002", "", "3000")], token=token)
    # then one entry is written
    assert first.status_code == 302 and again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert _entries(app) == 1 and balance(app, "1002") == Decimal("-3000.00")


def test_an_unbalanced_manual_entry_is_refused_in_the_readers_language(app, login_as):
    client = login_as("finance")
    response = _entry_form(client, [("5602", "3000", ""), ("1002", "", "2999")])
    assert response.status_code == 422
    assert _entries(app) == 0


def test_a_closed_month_refuses_manual_and_automatic_postings_until_it_is_reopened(app, login_as):
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage

    # given this month closed by finance on the periods page
    client = login_as("finance")
    today = _today()
    month = f"{today.year:04d}-{today.month:02d}"
    closed = client.post("/finance/periods/set", data={"csrf_token": page_csrf(client, "/finance/periods"),
                                                       "month": month, "action": "close"})
    assert closed.status_code == 302
    # when a manual entry is posted into it
    refused = _entry_form(client, [("5602", "10", ""), ("1001", "", "10")])
    # then it is refused (period_closed) and nothing is written
    assert refused.status_code == 409 and month in refused.get_data(as_text=True)
    # and an automatic posting (a receipt) waits on the posting errors page
    world = books_world(app)
    receive_on_po(app, world, 2, "5.00")
    assert post_all(app)["failed"] == 1
    page = client.get("/finance/posting-errors").get_data(as_text=True)
    assert "purchasing.receipt" in page and month in page
    assert _entries(app) == 0
    # when the month is reopened and the posting retried
    with app.app_context():
        message_id = db.session.scalar(select(OutboxMessage.id).filter_by(topic="purchasing.receipt"))
    reopened = client.post(f"/finance/periods/{today.year}/{today.month}/reopen",
                           data={"csrf_token": page_csrf(client, "/finance/periods")})
    assert reopened.status_code == 302
    retried = client.post(f"/finance/posting-errors/{message_id}/retry",
                          data={"csrf_token": page_csrf(client, "/finance/periods")})
    assert retried.status_code == 302
    # then it is posted
    assert _entries(app) == 1 and balance(app, "1405") == Decimal("10.00")


def test_a_message_handled_twice_posts_once(app):
    from erp_core.extensions import db
    from erp_core.finance.models import CostHistory
    from erp_core.finance.postings import received
    from erp_core.outbox import OutboxMessage

    world = books_world(app)
    receive_on_po(app, world, 4, "5.00")
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).filter_by(topic="purchasing.receipt"))
        received(message)
        received(message)  # a sender that crashed before marking it sent, then ran again
        assert db.session.scalar(select(func.count(CostHistory.id))) == 1
    assert _entries(app) == 1 and balance(app, "2202") == Decimal("-20.00")


def test_two_posts_of_one_source_key_at_once_write_one_entry(app):
    from erp_core.extensions import db
    from erp_core.finance.journal import JournalLineIn, ensure_chart, post_entry

    with app.app_context():
        ensure_chart()
        db.session.remove()

    def post():
        entry = post_entry(_today(), [JournalLineIn("1002", Decimal("5")), JournalLineIn("3001", credit=Decimal("5"))],
                           source="manual", source_key="capital-1", memo="capital")
        return entry.number

    outcomes = race(app, post, post)
    assert [o.kind for o in outcomes] == ["ok", "ok"], [str(o) for o in outcomes]
    assert outcomes[0].value == outcomes[1].value
    assert _entries(app) == 1


def test_statements_tie_out_and_export_as_pdf_and_xlsx(app, login_as):
    from erp_core.extensions import db
    from erp_core.finance.statements import statements

    # given capital paid in, stock bought on credit, sold, a supplier paid from the bank
    world = books_world(app)
    client = login_as("finance")
    _entry_form(client, [("1002", "1000", ""), ("3001", "", "1000")], memo="capital")
    receive_on_po(app, world, 10, "5.00")
    order_id = order(app, "T-9", 3, "20.00")
    ship(app, world, order_id, 3, "SHP-9")
    post_all(app)
    paid = client.post("/finance/supplier-payments", data={
        "csrf_token": page_csrf(client, "/finance/supplier-payments"), "supplier": "ACME", "amount": "30",
        "paid_on": _today().isoformat(), "currency": "CNY"})
    assert paid.status_code == 302
    # when the statements of this month are read
    today = _today()
    with app.app_context():
        report = statements(today.replace(day=1), today)
        db.session.remove()
    # then revenue 60 - COGS 15 = 45; assets 970 bank + 60 receivable + 35 stock = 20 payable + 1000 + 45
    assert report["pnl"]["net_income"] == Decimal("45.00")
    sheet = report["balance_sheet"]
    assert sheet["ties_out"] and sheet["assets"].total == Decimal("1065.00")
    assert report["earnings_tie_out"] and report["retained_after"] - report["retained_before"] == Decimal("45.00")
    flow = report["cash_flow"]
    assert flow["ties_out"] and flow["closing"] == Decimal("970.00")
    # and the page, the PDF and the XLSX are there
    assert "45.00" in client.get("/finance/statements").get_data(as_text=True)
    pdf = client.get("/finance/statements.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get("/finance/statements?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_foreign_refund_at_another_rate_posts_the_realised_fx_difference(app, login_as):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.finance.currency import set_rate
    from erp_core.finance.models import CurrencyRate
    from erp_core.outbox import publish

    # given a USD order sold at 7.00 and refunded (10 USD) when USD is 7.20
    world = books_world(app)
    client = login_as("finance")
    rates = client.post("/finance/rates", data={"csrf_token": page_csrf(client, "/finance/rates"),
                                                "currency": "USD", "day": _today().isoformat(), "rate": "7.00"})
    assert rates.status_code == 302
    receive_on_po(app, world, 5, "5.00")
    order_id = order(app, "T-USD", 2, "10.00", currency="USD")
    ship(app, world, order_id, 2, "SHP-USD")
    post_all(app)
    assert balance(app, "1122") == Decimal("140.00")
    with app.app_context():
        db.session.execute(CurrencyRate.__table__.delete())
        db.session.commit()
        set_rate("USD", _today(), "7.20")
        with atomic():
            publish("finance.refund", {"key": "refund:R-1", "case": "R-1", "order_id": order_id,
                                       "order_number": "T-USD", "amount": "10.00", "currency": "USD"},
                    key="refund:R-1")
        db.session.remove()
    post_all(app)
    # then the receivable leaves at the booked 70.00, the return is 72.00, 2.00 is a financial expense... gain
    assert balance(app, "1122") == Decimal("70.00")
    assert balance(app, "5001") == Decimal("-68.00")
    assert balance(app, "5603") == Decimal("-2.00")


def test_the_journal_feed_pages_with_a_cursor_and_a_manual_entry_by_api_is_idempotent(app, login_as):
    client = login_as("finance")
    token = page_csrf(client)
    body = {"entry_date": _today().isoformat(), "memo": "bank fee", "currency": "CNY",
            "lines": [{"account": "5603", "debit": "1.50"}, {"account": "1002", "credit": "1.50"}]}
    headers = {"X-CSRFToken": token, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/finance/journal", json=body, headers=headers)
    again = client.post("/api/v1/finance/journal", json=body, headers=headers)
    assert first.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    second = client.post("/api/v1/finance/journal", json={**body, "memo": "bank fee 2"},
                         headers={"X-CSRFToken": token, "Idempotency-Key": "k-2"})
    assert second.status_code == 201
    page = client.get("/api/v1/finance/journal?limit=1").json
    assert [e["memo"] for e in page["items"]] == ["bank fee"]
    rest = client.get(f"/api/v1/finance/journal?cursor={page['next_cursor']}").json
    assert [e["memo"] for e in rest["items"]] == ["bank fee 2"]
    assert rest["items"][0]["lines"][0] == {"account": "5603", "debit": "1.50", "credit": "0.00",
                                             "base_debit": "1.50", "base_credit": "0.00", "memo": ""}
    unbalanced = client.post("/api/v1/finance/journal", json={**body, "lines": body["lines"][:1] * 2},
                             headers={"X-CSRFToken": token, "Idempotency-Key": "k-3"})
    assert unbalanced.status_code == 422 and unbalanced.json["code"] == "entry_unbalanced"
    closed = client.post("/api/v1/finance/periods", json={"year": _today().year, "month": _today().month,
                                                          "action": "close"}, headers={"X-CSRFToken": token})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    refused = client.post("/api/v1/finance/journal", json=body, headers={"X-CSRFToken": token,
                                                                         "Idempotency-Key": "k-4"})
    assert refused.status_code == 409 and refused.json["code"] == "period_closed"


def test_only_finance_and_admin_post_and_forms_need_the_csrf_token(app, users):
    from tests.purchasing_helpers import client_as

    viewer = client_as(app, "viewer")
    assert viewer.get("/finance/journal").status_code == 403
    assert viewer.get("/api/v1/finance/accounts").status_code == 403
    assert client_as(app, "supervisor").get("/finance/statements").status_code == 403
    # the finance clerk reads and adds accounts, but not without the form's token
    finance = client_as(app, "finance")
    assert finance.get("/finance/accounts").status_code == 200
    no_token = finance.post("/finance/accounts", data={"code": "6602", "name": "Rent", "type": "expense"})
    assert no_token.status_code == 400
    added = finance.post("/finance/accounts", data={"csrf_token": page_csrf(finance, "/finance/accounts"),
                                                    "code": "5604", "name": "Rent", "name_zh": "租金",
                                                    "type": "expense"})
    assert added.status_code == 302
    assert "租金" in finance.get("/finance/accounts").get_data(as_text=True)
    for path in ("/finance/margin", "/finance/valuation", "/finance/statements", "/finance/periods",
                 "/finance/rates", "/finance/supplier-payments", "/finance/posting-errors", "/finance/journal/new"):
        assert finance.get(path).status_code == 200, path
