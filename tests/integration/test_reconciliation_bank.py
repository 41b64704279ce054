"""Bank statements matched to purchase orders, the unreconciled-items panel, and two people confirming
the same statement at once."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from tests.concurrency import kinds, race
from tests.conftest import page_csrf
from tests.purchasing_helpers import make_po, purchasing_floor
from tests.recon_helpers import bank_csv


def _received_po(app, floor, quantity: int = 10) -> tuple[int, str]:
    """A PO of `quantity` x A at 5.00 sent to ACME, all of it received (50.00 at landed cost)."""
    from erp_core.extensions import db
    from erp_core.purchasing.models import PurchaseOrder
    from erp_core.purchasing.services import receive_against_po

    po_id = make_po(app, floor, [("a", quantity, "5.00")])
    with app.app_context():
        receive_against_po(po_id, floor["a"], quantity)
        number = db.session.get(PurchaseOrder, po_id).number
        db.session.remove()
    return po_id, number


def _import_bank(app, rows, *, user_id=None):
    from erp_core.extensions import db
    from erp_core.finance.reconciliation.services import import_statement

    with app.app_context():
        statement = import_statement("bank", "bank-2026-12.csv", bank_csv(rows), user_id=user_id)
        found = (statement.id, statement.status, [(x.status, x.purchase_order_id, x.expected_amount)
                                                  for x in statement.lines])
        db.session.remove()
        return found


def _payments(app) -> list[dict]:
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage

    with app.app_context():
        found = [json.loads(m.payload) for m in db.session.query(OutboxMessage)
                 .filter_by(topic="finance.supplier_payment").order_by(OutboxMessage.id)]
        db.session.remove()
        return found


def test_a_bank_payment_naming_the_po_is_matched_and_posted_once_on_confirming(app, users, login_as):
    floor = purchasing_floor(app)
    po_id, number = _received_po(app, floor)
    statement_id, status, lines = _import_bank(app, [("2026-12-05", f"货款 {number}", "-50.00", "CNY", "B-1",
                                                      "艾克美贸易")])
    assert (status, lines) == ("reconciled", [("matched", po_id, Decimal("-50.00"))])

    client = login_as("finance")
    token = page_csrf(client, f"/finance/reconciliation/{statement_id}")
    assert client.post(f"/finance/reconciliation/{statement_id}/confirm", data={"csrf_token": token}).status_code == 302
    client.post(f"/finance/reconciliation/{statement_id}/confirm", data={"csrf_token": token})
    payments = [(p["supplier_code"], p["purchase_order"], p["amount"], p["currency"], p["date"])
                for p in _payments(app)]
    assert payments == [("ACME", number, "50.00", "CNY", "2026-12-05")]

    # Paid now: a second payment for the same PO is no longer due.
    _, status, lines = _import_bank(app, [("2026-12-06", f"again {number}", "-50.00", "CNY", "B-2", "ACME")])
    assert (status, lines) == ("open", [("difference", po_id, Decimal("0.00"))])


def test_a_bank_payment_is_matched_by_supplier_name_and_the_amount_due(app, users):
    floor = purchasing_floor(app)
    po_id, _ = _received_po(app, floor, quantity=4)
    _, _, lines = _import_bank(app, [("2026-12-05", "transfer", "-20.00", "CNY", "B-9", "Acme Trading Co."),
                                     ("2026-12-05", "transfer", "-77.00", "CNY", "B-10", "Someone else")])
    assert lines == [("matched", po_id, Decimal("-20.00")), ("unexpected", None, None)]


def test_two_people_confirming_the_same_statement_at_once_post_the_fees_once(app, users):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.finance.reconciliation.services import confirm_statement, import_statement
    from erp_core.outbox import OutboxMessage
    from tests.recon_helpers import generic_csv

    with app.app_context():
        channel = Channel(code="TM", name="Tmall", platform="tmall")
        db.session.add(channel)
        db.session.commit()
        statement = import_statement("generic", "fees.csv", generic_csv([
            ("2026-12-02", "", "fee", "2.00", "", "CNY", "F-1"),
            ("2026-12-02", "", "fee", "3.50", "", "CNY", "F-2")]),
            channel_id=channel.id)
        statement_id = statement.id
        assert statement.status == "reconciled"
        db.session.remove()

    outcomes = race(app, lambda: confirm_statement(statement_id, user_id=users["finance"]),
                    lambda: confirm_statement(statement_id, user_id=users["admin"]))
    assert kinds(outcomes) == {"ok": 1, "refused 409 statement_status_conflict": 1}, kinds(outcomes)
    with app.app_context():
        fees = [json.loads(m.payload)["amount"] for m in db.session.query(OutboxMessage).filter_by(topic="finance.fee")]
        db.session.remove()
    assert sorted(fees) == ["2.00", "3.50"]


def test_the_unreconciled_items_panel_counts_what_is_left_to_explain(app, users, login_as):
    floor = purchasing_floor(app)
    _received_po(app, floor)
    _import_bank(app, [("2026-12-05", "unknown", "-9.00", "CNY", "B-1", "Nobody"),
                       ("2026-12-05", "interest", "0.40", "CNY", "B-2", "Bank")])
    client = login_as("finance")
    from erp_core.finance.reconciliation.routes import unreconciled_items_panel
    from erp_core.finance.reconciliation.services import unreconciled_items

    with app.test_request_context():
        summary = unreconciled_items()
        assert (summary.statements, summary.lines, summary.difference) == (1, 2, Decimal("-8.60"))
    page = client.get("/finance/reconciliation/")
    assert page.status_code == 200 and "bank-2026-12.csv" in page.get_data(as_text=True)
    with app.test_request_context():
        html = unreconciled_items_panel()
    assert 'id="unreconciled-items"' in html and "2 lines to explain" in html


def test_an_upload_without_a_channel_for_a_platform_format_is_refused(app, users, login_as):
    client = login_as("finance")
    token = page_csrf(client, "/finance/reconciliation/upload")
    response = client.post("/finance/reconciliation/upload", headers={"HX-Request": "true"},
                           data={"csrf_token": token, "format": "alipay", "file": (io.BytesIO(b"x"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "channel" in response.get_data(as_text=True)
