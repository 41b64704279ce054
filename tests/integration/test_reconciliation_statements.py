"""Reconciliation of platform statements: a finance user imports the real export files, reads the
matched / differences / missing / unexpected tabs, marks lines, confirms, and the fees go out once."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.builders import FloorBuilder
from tests.conftest import login, page_csrf
from tests.recon_helpers import alipay_log, generic_csv, shopify_payouts

TID_OK, TID_SHORT, TID_REFUNDED, TID_UNPAID = "3400000000000000001", "3400000000000000002", "3400000000000000003", (
    "3400000000000000004")
PAID = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _order(channel: str, external_id: str, price: str, *, shipping: str = "0", currency: str = "CNY") -> int:
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    return create_order(NewOrder(
        channel_code=channel, external_id=external_id, lines=[NewOrderLine("A", 1, Decimal(price))], ship_name="王芳",
        ship_phone="13800138000", ship_province="上海", ship_city="上海市", ship_address="中山路 100 号",
        shipping_fee=Decimal(shipping), currency=currency, paid_at=PAID)).id


def _refund(order_id: int, amount: str, platform_case_id: str) -> int:
    from erp_core.aftersales import services as cases

    case = cases.create_case(cases.NewCase(order_id=order_id, kind="refund_only", refund_amount=Decimal(amount),
                                           platform_case_id=platform_case_id, channel_id=None))
    cases.approve_case(case.id)
    return cases.refund_case(case.id).id


@pytest.fixture
def shops(app, users):
    """Tmall shop TM with four paid orders (one later refunded 20.00) and Shopify shop SHOP with #1001/#1002."""
    from erp_core.extensions import db

    floor = (FloorBuilder().warehouse("SH1", "Shanghai", province="上海", key="sh").bin("P-01", "pick", key="pick")
             .sku("A", "Cup", key="a").channel("TM", "Tmall shop", "tmall").channel("SHOP", "Shopify shop", "shopify")
             .stock("a", "pick", 50).build(app))
    with app.app_context():
        ids = {"tm": floor["TM"], "shop": floor["SHOP"]}
        ids["ok"] = _order("TM", TID_OK, "120.00", shipping="8.00")
        ids["short"] = _order("TM", TID_SHORT, "99.00")
        ids["refunded"] = _order("TM", TID_REFUNDED, "60.00")
        ids["missing"] = _order("TM", TID_UNPAID, "35.00")
        ids["case"] = _refund(ids["refunded"], "20.00", "RF-3")
        ids["s1001"] = _order("SHOP", "#1001", "45.00", currency="USD")
        ids["s1002"] = _order("SHOP", "#1002", "25.00", currency="USD")
        db.session.remove()
    return ids


def _alipay_file() -> bytes:
    return alipay_log([
        ("20261201001", "2026120122001", f"T200P{TID_OK}", "保温杯", "2026-12-02 11:00:00", "128.00", "0.00",
         "在线支付", "", f"M{TID_OK}"),
        ("20261201002", "2026120122002", f"T200P{TID_SHORT}", "保温杯", "2026-12-02 12:00:00", "90.00", "0.00",
         "交易付款", "", ""),
        ("20261201003", "2026120122003", f"T200P{TID_REFUNDED}", "保温杯", "2026-12-02 13:00:00", "40.00", "0.00",
         "在线支付", "", ""),
        ("20261201004", "2026120122004", "T200P3999999999999999999", "保温杯", "2026-12-03 09:00:00", "15.00", "0.00",
         "在线支付", "", ""),
        ("20261201005", "2026120122005", "", "", "2026-12-03 10:00:00", "0.00", "3.84", "服务费",
         f"淘宝客佣金代扣款[{TID_OK}]", ""),
        ("20261201006", "2026120122006", "", "", "2026-12-03 10:05:00", "0.00", "1.20", "其它",
         f"花呗支付服务费[{TID_OK}]", ""),
    ])


def _upload(client, data: bytes, fmt: str, channel_id: int | None, name: str = "statement.csv"):
    token = page_csrf(client, "/finance/reconciliation/upload")
    form = {"csrf_token": token, "format": fmt, "file": (io.BytesIO(data), name)}
    if channel_id:
        form["channel_id"] = str(channel_id)
    return client.post("/finance/reconciliation/upload", data=form, content_type="multipart/form-data")


def _statement(app, statement_id: int | None = None):
    from erp_core.extensions import db
    from erp_core.finance.reconciliation.models import Statement

    with app.app_context():
        found = (db.session.get(Statement, statement_id) if statement_id
                 else db.session.query(Statement).order_by(Statement.id.desc()).first())
        result = None if found is None else {
            "id": found.id, "status": found.status,
            "lines": [(line.id, line.line_no, line.kind, line.status, line.order_id, line.expected_amount, line.amount)
                      for line in found.lines]}
        db.session.remove()
        return result


def _outbox(app, topic: str) -> list[dict]:
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage

    with app.app_context():
        found = [json.loads(m.payload) for m in db.session.query(OutboxMessage).filter_by(topic=topic)
                 .order_by(OutboxMessage.id)]
        db.session.remove()
        return found


def test_an_alipay_account_log_shows_each_kind_of_difference(app, shops, login_as):
    client = login_as("finance")
    response = _upload(client, _alipay_file(), "alipay", shops["tm"], "20881122_账务明细.csv")
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    statement = _statement(app)
    by_line = {line[1]: line[2:] for line in statement["lines"]}
    assert by_line[6] == ("sale", "matched", shops["ok"], Decimal("128.00"), Decimal("128.00"))
    assert by_line[7] == ("sale", "difference", shops["short"], Decimal("99.00"), Decimal("90.00"))
    assert by_line[8] == ("sale", "matched", shops["refunded"], Decimal("40.00"), Decimal("40.00"))  # 60 less 20
    assert by_line[9][:3] == ("sale", "unexpected", None)
    assert by_line[10][:2] == by_line[11][:2] == ("fee", "info")
    assert by_line[None] == ("sale", "missing", shops["missing"], Decimal("35.00"), Decimal("0.00"))
    assert statement["status"] == "open"

    page = client.get(f"/finance/reconciliation/{statement['id']}?tab=difference").get_data(as_text=True)
    assert TID_SHORT in page and "-9.00" in page and TID_OK not in page
    missing = client.get(f"/finance/reconciliation/{statement['id']}?tab=missing").get_data(as_text=True)
    assert TID_UNPAID in missing


def test_a_person_marks_the_lines_and_confirming_twice_posts_each_fee_once(app, shops, login_as):
    client = login_as("finance")
    _upload(client, _alipay_file(), "alipay", shops["tm"])
    statement = _statement(app)
    token = page_csrf(client, f"/finance/reconciliation/{statement['id']}")
    to_mark = [line for line in statement["lines"] if line[3] in ("difference", "missing", "unexpected")]
    confirm = f"/finance/reconciliation/{statement['id']}/confirm"
    early = client.post(confirm, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert early.status_code == 409 and "3" in early.get_data(as_text=True)
    for line_id, *_ in to_mark:
        fragment = client.post(f"/finance/reconciliation/{statement['id']}/lines/{line_id}/reconcile",
                               data={"csrf_token": token, "note": "短款：买家用了店铺优惠券"},
                               headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and 'data-reconciled="yes"' in fragment.get_data(as_text=True)
    assert _statement(app, statement["id"])["status"] == "reconciled"

    assert client.post(confirm, data={"csrf_token": token}).status_code == 302
    again = client.post(confirm, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert again.status_code == 409
    fees = _outbox(app, "finance.fee")
    assert [(f["amount"], f["kind"], f["order_id"], f["source"]) for f in fees] == [
        ("3.84", "commission", shops["ok"], "alipay"), ("1.20", "payment_fee", shops["ok"], "alipay")]
    assert fees[0]["date"] == "2026-12-03" and fees[0]["currency"] == "CNY" and fees[0]["channel_id"] == shops["tm"]
    assert len({f["key"] for f in fees}) == 2


def test_a_shopify_payout_export_uploaded_through_the_api_matches_by_order_name(app, shops, login_as):
    client = login_as("finance")
    data = shopify_payouts([("2026-12-02 10:00:00 -0500", "charge", "#1001", "45.00", "1.61"),
                            ("2026-12-02 11:00:00 -0500", "charge", "#1002", "24.00", "1.03"),
                            ("2026-12-03 09:00:00 -0500", "refund", "#1001", "-5.00", "0.00"),
                            ("2026-12-04 09:00:00 -0500", "payout", "", "-62.36", "0.00")])
    token = page_csrf(client, "/finance/reconciliation/")
    headers = {"X-CSRFToken": token, "Idempotency-Key": uuid.uuid4().hex}
    form = {"format": "shopify", "channel_id": str(shops["shop"]),
            "file": (io.BytesIO(data), "payment_transactions_export_1.csv")}
    response = client.post("/api/v1/finance/statements", data=form, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    lines = response.json["lines"]
    assert [(x["kind"], x["status"], x["order_id"]) for x in lines] == [
        ("sale", "matched", shops["s1001"]), ("sale", "difference", shops["s1002"]),
        ("refund", "difference", shops["s1001"]), ("withdrawal", "info", None)]
    assert lines[1]["expected_amount"] == "25.00" and lines[1]["difference"] == "-1.00"
    assert response.json["counts"]["unresolved"] == 2

    statement_id = response.json["id"]
    detail = client.get(f"/api/v1/finance/statements/{statement_id}?status=difference").json
    assert [x["reference"] for x in detail["lines"]] == ["#1002", "#1001"]
    for line in detail["lines"]:
        marked = client.post(f"/api/v1/finance/statements/{statement_id}/lines/{line['id']}/reconcile",
                             json={"note": "Shopify discount"},
                             headers={"X-CSRFToken": token, "Idempotency-Key": uuid.uuid4().hex})
        assert marked.status_code == 200 and marked.json["reconcile_note"] == "Shopify discount"
    for _ in range(2):
        client.post(f"/api/v1/finance/statements/{statement_id}/confirm",
                    headers={"X-CSRFToken": token, "Idempotency-Key": uuid.uuid4().hex})
    fees = _outbox(app, "finance.fee")
    assert [(f["amount"], f["order_id"], f["currency"], f["source"]) for f in fees] == [
        ("1.61", shops["s1001"], "USD", "shopify"), ("1.03", shops["s1002"], "USD", "shopify")]

    replay = client.post("/api/v1/finance/statements", data={**form, "file": (io.BytesIO(data), "again.csv")},
                         headers={"X-CSRFToken": token, "Idempotency-Key": uuid.uuid4().hex},
                         content_type="multipart/form-data")
    assert replay.status_code == 409 and replay.json["code"] == "statement_already_imported"


def test_the_generic_template_is_downloaded_filled_in_and_matched(app, shops, login_as):
    client = login_as("finance")
    template = client.get("/finance/reconciliation/template-generic.csv")
    assert template.status_code == 200 and b"date,order_number,type,amount,fee,currency,reference" in template.data
    data = generic_csv([("2026-12-02", TID_SHORT, "sale", "99.00", "0.50", "CNY", "G-1"),
                        ("2026-12-02", TID_OK, "fee", "2.00", "", "CNY", "G-2")])
    assert _upload(client, data, "generic", shops["tm"], "generic.csv").status_code == 302
    lines = _statement(app)["lines"]
    assert [(x[2], x[3], x[4]) for x in lines[:2]] == [("sale", "matched", shops["short"]),
                                                       ("fee", "info", shops["ok"])]


def test_a_bad_file_is_reported_with_its_line_and_reason_and_nothing_is_stored(app, shops, login_as):
    client = login_as("finance")
    rows = [("1", "b1", f"T200P{TID_OK}", "x", "2026-12-02 11:00:00", "128.00", "", "在线支付", "", ""),
            ("2", "b2", f"T200P{TID_SHORT}", "x", "昨天", "90.00", "", "在线支付", "", "")]
    response = _upload(client, alipay_log(rows), "alipay", shops["tm"], "log.csv")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "log.csv" in page and "<td class=\"num\">7</td>" in page and "发生时间" in page
    assert "not a valid date and time" in page and "昨天" in page

    wrong = _upload(client, alipay_log(rows[:1]), "shopify", shops["shop"], "log.csv")
    assert wrong.status_code == 422 and "is not a shopify statement" in wrong.get_data(as_text=True)
    zh = client.post("/finance/reconciliation/upload", headers={"Accept-Language": "zh-CN"},
                     data={"csrf_token": page_csrf(client, "/finance/reconciliation/upload"), "format": "alipay",
                           "channel_id": str(shops["tm"]),
                           "file": (io.BytesIO("#x\r\n账务流水号\r\n".encode("utf-16-le")), "u16.csv")},
                     content_type="multipart/form-data")
    assert zh.status_code == 422
    assert _statement(app) is None


def test_reconciliation_pages_need_the_finance_role_and_a_csrf_token(app, shops, login_as, client):
    assert client.get("/finance/reconciliation/").status_code == 302  # to the login page
    login_as("supervisor")
    assert client.get("/finance/reconciliation/").status_code == 403
    assert client.get("/api/v1/finance/statements").status_code == 403
    client = app.test_client()
    login(client, "finance")
    assert client.get("/finance/reconciliation/").status_code == 200
    no_token = client.post("/finance/reconciliation/upload", data={"format": "alipay", "channel_id": shops["tm"],
                                                                    "file": (io.BytesIO(_alipay_file()), "a.csv")},
                           content_type="multipart/form-data")
    assert no_token.status_code == 400
    assert _statement(app) is None


def test_the_differences_export_makes_formula_like_cells_inert(app, shops, login_as):
    client = login_as("finance")
    data = generic_csv([("2026-12-02", "=HYPERLINK(1)", "sale", "10.00", "", "CNY", "@cmd")])
    _upload(client, data, "generic", shops["tm"], "g.csv")
    export = client.get(f"/finance/reconciliation/{_statement(app)['id']}/differences.csv")
    text = export.data.decode("utf-8-sig")
    assert export.status_code == 200 and "'@cmd" in text and ",=" not in text
