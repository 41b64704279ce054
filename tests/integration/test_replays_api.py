"""Replays of the API (/api/v1) routes: each sent again 1-20 times, sequentially and concurrently, has one
effect and the same answer (the harness: tests/integration/test_replays.py `replayed`).

A route that creates something is sent with one body, then (the concurrent part) with another. A
transition (approve, cancel, confirm, send, close, refund...) is replayed on one object and, at once
from every client, on a second object in the same state: the first moves once, the second once, and
the counted effect is the rows in the new state (and the events, messages or rows it writes).

Move a route from NOT_REPLAYED_YET to SCENARIOS when a test here replays it; test_replays.py checks that
every idempotent route of the app is in one of the two sets of one of the replay files."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from erp_core.api import idempotency

from .test_replays import STEP, _count, api_clients, catalogue, replayed  # noqa: F401  (the fixtures)

SCENARIOS: set[str] = {
    "api.LotHold", "api.LotRelease",
    "api.OrderCancel", "api.SkuBarcodes",
    "asns_api.Asns", "box_types_api.BoxTypes", "carriers_api.Carriers", "carriers_api.CarrierNumbers",
    "carriers_api.CarrierRules", "printers_api.Printers",
    "customers_api.CustomerNotes", "customers_api.CustomerFeedbackList", "customers_api.CustomerMerges",
    "customers_api.CustomerUnmerge",
    "finance_api.Accounts", "finance_api.Journal", "finance_api.Rates",
    "purchasing_api.PurchaseOrders", "purchasing_api.PurchaseOrderSend", "purchasing_api.PurchaseOrderConfirm",
    "purchasing_api.PurchaseOrderCancel", "purchasing_api.PurchaseOrderClose", "purchasing_api.SupplierContacts",
    "purchasing_api.SupplierSkus",
    "reconciliation_api.Statements", "reconciliation_api.ReconcileLine", "reconciliation_api.ConfirmStatement",
    "returns_api.Cases", "returns_api.CaseApprove", "returns_api.CaseReject", "returns_api.CaseCancel",
    "returns_api.CaseRefund", "returns_api.CaseComplete",
    "shipments_api.ShipmentTracking",
    "webhooks_api.WebhookSecret",
}
NOT_REPLAYED_YET: set[str] = set()


# --- what is sent and what is counted -------------------------------------------------------------

def _created(app, clients, auth, path: str, first: dict, second: dict, tables: tuple[str, ...],
             delta: tuple[int, ...] | None = None) -> None:
    """A creating POST: `first` replayed one after the other, `second` at once; rows of `tables` counted."""
    STEP.clear()
    if delta:
        STEP["delta"] = delta
    replayed(app, clients, path, {"headers": auth, "body": {"json": first},
                                  "next": lambda: {"headers": auth, "body": {"json": second}}},
             lambda: _count(app, *tables))


def _moved(app, clients, auth, paths: tuple[str, str], effect, delta: tuple[int, ...],
           json: dict | tuple[dict, dict] | None = None) -> None:
    """A transition: the first object's path replayed one after the other, the second's at once
    (`json` the body of both, or a body for each)."""
    STEP.clear()
    STEP["delta"] = delta
    bodies = [{} if json is None else {"json": json[i] if isinstance(json, tuple) else json} for i in (0, 1)]
    replayed(app, clients, paths[0], {"path": paths[0], "headers": auth, "body": bodies[0],
                                      "next": lambda: {"path": paths[1], "headers": auth, "body": bodies[1]}}, effect)


# --- stock and catalogue --------------------------------------------------------------------------

@pytest.fixture
def lots(app, catalogue):  # noqa: F811
    """Two lots of a lot-tracked honey in SH1's pick bin."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Location
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    with app.app_context():
        honey = Sku(code="HONEY", name="Honey", lot_tracked=True)
        db.session.add(honey)
        db.session.commit()
        pick = db.session.scalar(select(Location.id).filter_by(code="P-01"))
        ids = []
        for n in range(2):
            lot = get_or_create_lot(honey, f"H-{n}", expiry_date=business_today() + timedelta(days=100 + n))
            receive(honey.id, pick, 2, reference=f"ASN-H{n}", lot_id=lot.id)
            ids.append(lot.id)
        db.session.commit()
        db.session.remove()
    return ids


def test_a_lot_held_or_released_again_is_held_or_released_once(app, api_clients, lots):  # noqa: F811
    from erp_core.inventory.models import Lot

    clients, auth = api_clients
    on_hold = lambda: _count(app, Lot.on_hold.is_(True))  # noqa: E731
    _moved(app, clients, auth, tuple(f"/api/v1/lots/{i}/hold" for i in lots), on_hold, (1,),
           json={"reason": "recall"})
    _moved(app, clients, auth, tuple(f"/api/v1/lots/{i}/release" for i in lots), on_hold, (-1,))


def test_an_order_cancelled_again_is_cancelled_once(app, api_clients, catalogue):  # noqa: F811
    from erp_core.orders.models import Order
    from tests.integration.conftest import make_order

    clients, auth = api_clients
    with app.app_context():
        orders = [make_order("C-1", [("CUP-1", 1)]), make_order("C-2", [("CUP-1", 1)], phone="13800138001")]
    _moved(app, clients, auth, tuple(f"/api/v1/orders/{i}/cancel" for i in orders),
           lambda: _count(app, Order.status == "cancelled", "order_events"), (1, 1), json={"reason": "unpaid"})


def test_a_barcode_asn_box_type_and_printer_sent_again_are_created_once(app, api_clients, catalogue):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse

    clients, auth = api_clients
    with app.app_context():
        warehouse = db.session.scalar(select(Warehouse.id).filter_by(code="SH1"))
    _created(app, clients, auth, "/api/v1/skus/CUP-1/barcodes", {"code": "6901234567892"}, {"code": "BC-CUP-2"},
             ("sku_barcodes",))
    _created(app, clients, auth, "/api/v1/asns", {"warehouse": "SH1", "lines": [{"sku": "CUP-1", "quantity": 5}]},
             {"warehouse": "SH1", "reference": "ASN-R2", "lines": [{"sku": "CUP-1", "quantity": 7}]},
             ("asns", "asn_lines"))
    box = {"name": "Box", "inner_length_mm": 300, "inner_width_mm": 200, "inner_height_mm": 100}
    _created(app, clients, auth, "/api/v1/box-types", {"code": "BX-1", **box}, {"code": "BX-2", **box},
             ("box_types",))
    _created(app, clients, auth, "/api/v1/printers", {"name": "Desk 1", "warehouse_id": warehouse},
             {"name": "Desk 2", "warehouse_id": warehouse}, ("printers",))


def test_a_carrier_its_numbers_and_a_rule_sent_again_are_created_once(app, api_clients, catalogue):  # noqa: F811
    clients, auth = api_clients
    _created(app, clients, auth, "/api/v1/carriers", {"code": "YTO", "name": "YTO Express", "kind": "pool"},
             {"code": "STO", "name": "STO Express", "kind": "pool"}, ("carriers",))
    _created(app, clients, auth, "/api/v1/carriers/YTO/numbers", {"numbers": ["YT1000000001", "YT1000000002"]},
             {"range": {"prefix": "YT", "start": "2000000001", "end": "2000000002"}}, ("tracking_numbers",), (2,))
    _created(app, clients, auth, "/api/v1/carrier-rules", {"carrier": "YTO", "priority": 5},
             {"carrier": "STO", "priority": 6, "provinces": "上海"}, ("carrier_rules",))


# --- customers ------------------------------------------------------------------------------------

def test_a_customer_note_feedback_merge_and_unmerge_sent_again_happen_once(app, api_clients, catalogue):  # noqa: F811
    from erp_core.customers.models import Customer, CustomerMerge
    from tests.customer_helpers import customer_of
    from tests.integration.conftest import make_order

    clients, auth = api_clients
    with app.app_context():
        people = [customer_of(make_order(f"CU-{n}", [("CUP-1", 1)], phone=f"1390000000{n}")) for n in range(4)]
    _created(app, clients, auth, f"/api/v1/customers/{people[0]}/notes", {"text": "prefers SF"},
             {"text": "calls after 6 pm"}, ("customer_notes",))
    _created(app, clients, auth, f"/api/v1/customers/{people[0]}/feedback", {"kind": "complaint", "text": "late"},
             {"kind": "feedback", "text": "nice box"}, ("customer_feedback",))

    merged = lambda: _count(app, "customer_merges", Customer.merged_into_id.is_not(None),  # noqa: E731
                           CustomerMerge.status == "unmerged")
    STEP.clear()
    STEP["delta"] = (1, 1, 0)
    replayed(app, clients, "/api/v1/customers/merges",
             {"headers": auth, "body": {"json": {"survivor_id": people[0], "merged_id": people[1]}},
              "next": lambda: {"headers": auth, "body": {"json": {"survivor_id": people[2], "merged_id": people[3]}}}},
             merged)
    with app.app_context():
        from erp_core.extensions import db

        trails = list(db.session.scalars(select(CustomerMerge.id).order_by(CustomerMerge.id)))
    _moved(app, clients, auth, tuple(f"/api/v1/customers/merges/{i}/undo" for i in trails), merged, (0, -1, 1))


# --- the books --------------------------------------------------------------------------------------

def test_an_account_a_journal_entry_and_a_rate_sent_again_are_made_once(app, api_clients):  # noqa: F811
    clients, auth = api_clients
    _created(app, clients, auth, "/api/v1/finance/accounts", {"code": "6609", "name": "Samples", "type": "expense"},
             {"code": "6610", "name": "Gifts", "type": "expense"}, ("finance_accounts",))

    def entry(memo: str, amount: str) -> dict:
        return {"entry_date": "2026-03-02", "memo": memo, "lines": [{"account": "6609", "debit": amount},
                                                                    {"account": "1001", "credit": amount}]}

    _created(app, clients, auth, "/api/v1/finance/journal", entry("samples to a blogger", "10.00"),
             entry("samples to a shop", "12.00"), ("journal_entries", "journal_lines"), (1, 2))
    _created(app, clients, auth, "/api/v1/finance/rates", {"currency": "USD", "day": "2026-03-02", "rate": "7.1"},
             {"currency": "USD", "day": "2026-03-03", "rate": "7.2"}, ("currency_rates",))


# --- purchasing ---------------------------------------------------------------------------------------

def test_a_supplier_contact_price_and_purchase_order_sent_again_are_made_once(app, api_clients, users):  # noqa: F811
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db
    from tests.purchasing_helpers import purchasing_floor

    clients, auth = api_clients
    floor = purchasing_floor(app)
    with app.app_context():
        create_sku("C", "Straw")
        db.session.commit()
    _created(app, clients, auth, f"/api/v1/suppliers/{floor['acme']}/contacts", {"name": "Li Lei"},
             {"name": "Han Meimei", "title": "accounts"}, ("supplier_contacts",))
    _created(app, clients, auth, f"/api/v1/suppliers/{floor['bolt']}/skus", {"sku": "A", "price": "4.80"},
             {"sku": "C", "price": "0.20"}, ("supplier_skus",))
    _created(app, clients, auth, "/api/v1/purchase-orders",
             {"supplier": "ACME", "warehouse": "SH1", "lines": [{"sku": "A", "quantity": 24}]},
             {"supplier": "ACME", "warehouse": "SH1",
              "lines": [{"sku": "A", "quantity": 48}, {"sku": "B", "quantity": 2}]},
             ("purchase_orders", "purchase_order_lines"), (1, 2))


def test_a_purchase_order_sent_confirmed_cancelled_or_closed_again_moves_once(app, api_clients, users):  # noqa: F811
    from erp_core.purchasing.models import PurchaseOrder
    from erp_core.purchasing.services import receive_against_po
    from tests.purchasing_helpers import make_po, purchasing_floor

    clients, auth = api_clients
    floor = purchasing_floor(app)

    def two(status: str) -> list[int]:
        return [make_po(app, floor, [("a", 24, None)], status=status) for _ in range(2)]

    def status_is(status: str):
        return lambda: _count(app, PurchaseOrder.status == status)

    for action, start, end, body in (("send", "draft", "sent", None), ("confirm", "sent", "confirmed", {}),
                                     ("cancel", "draft", "cancelled", None)):
        pos = two(start)
        _moved(app, clients, auth, tuple(f"/api/v1/purchase-orders/{i}/{action}" for i in pos), status_is(end), (1,),
               json=body)
    pos = two("confirmed")
    with app.app_context():
        for po_id in pos:
            receive_against_po(po_id, floor["a"], 10)
    _moved(app, clients, auth, tuple(f"/api/v1/purchase-orders/{i}/close" for i in pos), status_is("closed"), (1,))


# --- reconciliation -----------------------------------------------------------------------------------

def _generic_file(*sales: tuple[str, str, str]) -> bytes:
    """Sales (order number, amount, fee) of no order we know: each line is `unexpected` until marked."""
    from tests.recon_helpers import generic_csv

    return generic_csv([("2026-12-02", number, "sale", amount, fee, "CNY", f"R-{number}") for number, amount, fee
                        in sales])


def _shop(app) -> int:
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(Channel.id).filter_by(code="TMALL"))


def _upload(auth: dict, shop: int, name: str, data: bytes) -> dict:
    """A statement upload (multipart: each send has its own boundary), made afresh for each send."""
    return {"headers": auth, "body": lambda: {
        "data": {"format": "generic", "channel_id": str(shop), "file": (io.BytesIO(data), name)},
        "content_type": "multipart/form-data"}}


def test_a_statement_upload_with_a_used_key_and_another_file_is_refused(app, api_clients, catalogue):  # noqa: F811
    # given a statement uploaded with a key
    clients, auth = api_clients
    shop, key = _shop(app), {idempotency.HEADER: "statement-week-1"}
    first = _upload(auth, shop, "week-1.csv", _generic_file(("X-1", "10.00", "0.30")))
    assert clients[0].post("/api/v1/finance/statements", headers={**auth, **key}, **first["body"]()).status_code == 201
    # when another file is sent with that key (the form was parsed before the key was checked: its
    # raw body was gone, so every form or upload hashed alike and the first answer was replayed)
    other = _upload(auth, shop, "week-2.csv", _generic_file(("X-9", "99.00", "0.30")))
    refused = clients[0].post("/api/v1/finance/statements", headers={**auth, **key}, **other["body"]())
    # then it is refused, and only the first statement is there
    assert refused.status_code == 422 and refused.json["code"] == "idempotency_key_reused", refused.json
    assert _count(app, "recon_statements") == (1,)


def test_a_scan_form_with_a_used_key_and_another_code_is_refused(app, users, catalogue):  # noqa: F811
    # the same flaw on a url-encoded form (every handheld scan): the key replayed the first scan's answer
    from tests.conftest import login, page_csrf

    client = app.test_client()
    assert login(client, "supervisor").status_code == 302
    headers = {"X-CSRFToken": page_csrf(client, "/m/"), "HX-Request": "true", idempotency.HEADER: "lookup-1"}
    assert client.post("/m/lookup/scan", data={"code": "CUP-1"}, headers=headers).status_code == 200
    again = client.post("/m/lookup/scan", data={"code": "CUP-1"}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.post("/m/lookup/scan", data={"code": "P-01"}, headers=headers)
    assert other.status_code == 422 and "Idempotent-Replayed" not in other.headers


def test_a_statement_uploaded_marked_and_confirmed_again_is_taken_once(app, api_clients, catalogue):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.finance.reconciliation import services
    from erp_core.finance.reconciliation.models import Statement, StatementLine

    clients, auth = api_clients
    shop = _shop(app)

    STEP.clear()
    STEP["delta"] = (1, 2)
    replayed(app, clients, "/api/v1/finance/statements",
             {**_upload(auth, shop, "week-1.csv", _generic_file(("X-1", "10.00", "0.30"), ("X-2", "11.00", "0.33"))),
              "next": lambda: _upload(auth, shop, "week-2.csv", _generic_file(("X-3", "12.00", "0.36"),
                                                                              ("X-4", "9.00", "0.27")))},
             lambda: _count(app, "recon_statements", "recon_statement_lines"))

    with app.app_context():
        statement = services.import_statement("generic", "week-3.csv", _generic_file(
            ("X-5", "10.00", "0.30"), ("X-6", "11.00", "0.33")), channel_id=shop)
        lines = [line.id for line in statement.lines]
        marked = (f"/api/v1/finance/statements/{statement.id}/lines/{lines[0]}/reconcile",
                  f"/api/v1/finance/statements/{statement.id}/lines/{lines[1]}/reconcile")
        db.session.remove()
    _moved(app, clients, auth, marked, lambda: _count(app, StatementLine.reconciled_at.is_not(None)), (1,),
           json={"note": "a test order of the shop"})

    with app.app_context():
        ids = []
        for n in (7, 8):
            statement = services.import_statement("generic", f"week-{n}.csv", _generic_file(
                (f"X-{n}", "10.00", "0.30")), channel_id=shop)
            services.mark_reconciled(statement.id, statement.lines[0].id, "a test order")
            ids.append(statement.id)
        db.session.remove()
    _moved(app, clients, auth, tuple(f"/api/v1/finance/statements/{i}/confirm" for i in ids),
           lambda: _count(app, Statement.status == "confirmed", "outbox_messages"), (1, 1))


# --- after-sales --------------------------------------------------------------------------------------

def test_an_after_sales_case_opened_or_decided_again_happens_once(app, api_clients, users):  # noqa: F811
    from erp_core.aftersales import services as cases
    from erp_core.aftersales.models import AfterSalesCase
    from tests.returns_helpers import returns_floor
    from tests.shipping_helpers import order_lines

    clients, auth = api_clients
    desk = returns_floor(app, users)
    cups = desk["orders"]["cups"]
    _created(app, clients, auth, "/api/v1/returns", {"order_id": cups, "kind": "refund_only", "refund_amount": "1.00"},
             {"order_id": cups, "kind": "refund_only", "refund_amount": "2.00"}, ("aftersales_cases", "order_events"),
             (1, 1))

    def two(kind: str = "refund_only", *, approved: bool = False) -> list[int]:
        with app.app_context():
            lines = [] if kind == "refund_only" else [cases.NewCaseLine(order_lines(cups)["A"], 1)]
            made = [cases.create_case(cases.NewCase(order_id=cups, kind=kind, lines=lines,
                                                    refund_amount=Decimal("1.00" if kind == "refund_only" else "0")))
                    for _ in range(2)]
            if approved:
                for case in made:
                    cases.approve_case(case.id)
            return [case.id for case in made]

    def status_is(status: str, *tables: str):
        return lambda: _count(app, AfterSalesCase.status == status, "order_events", *tables)

    for action, end, body in (("approve", "approved", None), ("reject", "rejected", {"reason": "outside 7 days"}),
                              ("cancel", "cancelled", None)):
        _moved(app, clients, auth, tuple(f"/api/v1/returns/{i}/{action}" for i in two()), status_is(end), (1, 1),
               json=body)
    _moved(app, clients, auth, tuple(f"/api/v1/returns/{i}/refund" for i in two(approved=True)),
           status_is("refunded", "outbox_messages"), (1, 1, 1), json={})
    _moved(app, clients, auth, tuple(f"/api/v1/returns/{i}/complete" for i in two("resend", approved=True)),
           status_is("completed", "orders"), (1, 2, 1))


# --- shipping ---------------------------------------------------------------------------------------

def test_a_waybill_number_sent_again_is_set_once(app, api_clients, users):  # noqa: F811
    from erp_core.extensions import db
    from tests.shipping_helpers import order_lines, shipping_floor
    from wms.shipping.models import Shipment
    from wms.shipping.services import PackedPackage, pack_out

    clients, auth = api_clients
    desk = shipping_floor(app, users, orders=[[("A", 1)], [("A", 1)]])
    with app.app_context():
        shipments = []
        for order_id in desk["orders"]:
            units = {line_id: 1 for line_id in order_lines(order_id).values()}
            shipments.append(pack_out(order_id, station_location_id=desk["station"], carrier_code="SF",
                                      packages=[PackedPackage(desk["boxes"]["M"], 1000, units)], user_id=None,
                                      override_weight=True).shipment.id)
        db.session.remove()
    numbered = lambda: _count(app, Shipment.tracking_number.like("SF%"), "order_events")  # noqa: E731
    _moved(app, clients, auth, tuple(f"/api/v1/shipments/{i}/tracking" for i in shipments), numbered, (1, 1),
           json=({"tracking_number": "SF1234 5678 9012"}, {"tracking_number": "SF1234 5678 9013"}))


# --- webhooks -------------------------------------------------------------------------------------------

def test_a_webhook_secret_rotated_again_is_rotated_once(app, api_clients, monkeypatch):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.webhooks.models import WebhookSubscription
    from erp_core.webhooks.services import create_subscription

    clients, auth = api_clients
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["hooks.example.com"])
    with app.app_context():
        hooks = [create_subscription(f"https://hooks.example.com/{n}", ["order.created"])[0].id for n in range(2)]
        db.session.commit()
    seen: set[str] = set()

    def secrets() -> tuple[int]:
        """How many secrets the subscriptions have had (a rotation adds one)."""
        with app.app_context():
            seen.update(db.session.scalars(select(WebhookSubscription.secret)))
            db.session.remove()
        return (len(seen),)

    _moved(app, clients, auth, tuple(f"/api/v1/webhooks/{i}/rotate-secret" for i in hooks), secrets, (1,))
