"""Purchase orders (采购单) from the office: from suggestions to drafts, the API with Idempotency-Key,
states and their races, price lists imported all or nothing, and supplier users kept to their own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, race, unexpected
from tests.conftest import PASSWORD
from tests.purchasing_helpers import api, client_as, make_po, post_form, purchasing_floor


@pytest.fixture
def floor(app, users):
    return purchasing_floor(app)


def _ship(app, floor, sku: str, quantity: int) -> None:
    """Units of a SKU shipped to a customer from SH1's pick bin (what the suggestions read)."""
    from erp_core.extensions import db
    from erp_core.inventory.services import move_stock, virtual_location

    with app.app_context():
        move_stock(floor[sku], floor["pick"], virtual_location("CUSTOMER").id, quantity, reason="ship",
                   reference="SHIP-TEST")
        db.session.remove()


def _status(app, po_id: int) -> str:
    from erp_core.extensions import db
    from erp_core.purchasing.models import PurchaseOrder

    with app.app_context():
        return db.session.get(PurchaseOrder, po_id).status


def test_suggested_quantities_become_draft_pos_per_preferred_supplier(app, floor):
    # given 30 A shipped in the last 30 days (1 a day) from 40 on hand -> 10 left
    _ship(app, floor, "a", 30)
    purchaser = client_as(app, "purchaser")
    # when the purchaser asks for suggestions: ACME's lead time 10 + safety 7 + cover 14 = 31 days
    page = purchaser.get(f"/purchasing/suggestions?warehouse_id={floor['sh']}&window_days=30&safety_days=7"
                         "&cover_days=14")
    text = page.get_data(as_text=True)
    # then A needs 31 - 10 = 21, in packs of 12 -> 24 (= the MOQ), explained on the page
    assert page.status_code == 200
    assert "30 shipped in 30 days = 1.0000 a day × 31 days = 31.00; minus 10 available and coming = need 21.00" in text
    assert f'name="qty-{floor["a"]}" inputmode="numeric" min="0" value="24"' in text
    # when they tick A (24) and B (7, BOLT is B's preferred supplier) and create the drafts
    ticked = {"warehouse_id": floor["sh"], "sku": [floor["a"], floor["b"]], f"qty-{floor['a']}": "24",
              f"qty-{floor['b']}": "7"}
    made = post_form(purchaser, "/purchasing/suggestions", ticked, page="/purchasing/suggestions")
    assert made.status_code == 302
    # then there is one draft per supplier at the supplier's price
    from erp_core.extensions import db
    from erp_core.purchasing.models import PurchaseOrder

    with app.app_context():
        pos = db.session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id)).all()
        assert [(p.number, p.supplier.code, p.status) for p in pos] == [("PO-000001", "ACME", "draft"),
                                                                        ("PO-000002", "BOLT", "draft")]
        assert [(x.sku.code, x.quantity, x.unit_price) for x in pos[0].lines] == [("A", 24, Decimal("5.00"))]
        assert [(x.sku.code, x.quantity, x.unit_price) for x in pos[1].lines] == [("B", 7, Decimal("28.00"))]
    # and A is no longer suggested: the draft is on order
    again = purchaser.get(f"/purchasing/suggestions?warehouse_id={floor['sh']}&window_days=30&safety_days=7"
                          "&cover_days=14").get_data(as_text=True)
    assert "minus 34 available and coming = need -3.00" in again


def test_a_po_is_created_by_the_api_once_per_idempotency_key_and_sent_from_the_page(app, floor):
    purchaser = client_as(app, "purchaser")
    body = {"supplier": "ACME", "warehouse": "SH1", "freight": "12.00", "expected_date": "2026-12-20",
            "lines": [{"sku": "A", "quantity": 24}, {"sku": "B", "quantity": 2, "unit_price": "29.50"}]}
    first = api(purchaser, "POST", "/api/v1/purchase-orders", body, key="po-1")
    again = api(purchaser, "POST", "/api/v1/purchase-orders", body, key="po-1")
    assert first.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert first.json["number"] == again.json["number"] == "PO-000001"
    assert [(x["sku"], x["quantity"], x["unit_price"]) for x in first.json["lines"]] == [("A", 24, "5.00"),
                                                                                         ("B", 2, "29.50")]
    po_id = first.json["id"]
    # a draft can be edited; the page sends it and offers the PDF and the e-mail
    page = post_form(purchaser, f"/purchasing/orders/{po_id}/send", page=f"/purchasing/orders/{po_id}")
    assert page.status_code == 302 and _status(app, po_id) == "sent"
    detail = purchaser.get(f"/purchasing/orders/{po_id}").get_data(as_text=True)
    assert "mailto:sales%40acme.example?subject=" in detail and f"/purchasing/orders/{po_id}/po.pdf" in detail
    pdf = purchaser.get(f"/purchasing/orders/{po_id}/po.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # and a sent PO can no longer be edited
    refused = api(purchaser, "POST", f"/api/v1/purchase-orders/{po_id}/send")
    assert refused.status_code == 409 and refused.json["code"] == "po_status_conflict"
    listed = purchaser.get("/api/v1/purchase-orders?updated_since=2000-01-01T00:00:00%2B00:00").json
    assert listed["total"] == 1 and listed["items"][0]["status"] == "sent"


def test_two_people_sending_the_same_po_at_once_send_it_once(app, floor):
    from erp_core.purchasing.services import confirm_po, send_po

    po_id = make_po(app, floor, [("a", 24, None)], status="draft")
    sent = race(app, lambda: send_po(po_id).status, lambda: send_po(po_id).status)
    assert not unexpected(sent), describe_errors(sent)
    assert sorted(o.kind for o in sent) == ["ok", "refused"] and _status(app, po_id) == "sent"
    assert {o.status for o in sent if not o.ok} == {409}
    confirmed = race(app, lambda: confirm_po(po_id).status, lambda: confirm_po(po_id).status)
    assert not unexpected(confirmed), describe_errors(confirmed)
    assert sorted(o.kind for o in confirmed) == ["ok", "refused"] and _status(app, po_id) == "confirmed"


def test_a_supplier_confirms_lower_quantities_and_a_date_but_cannot_raise_them(app, floor):
    po_id = make_po(app, floor, [("a", 24, None)])
    supplier = client_as(app, "acme")
    from erp_core.extensions import db
    from erp_core.purchasing.models import PurchaseOrder

    with app.app_context():
        line_id = db.session.get(PurchaseOrder, po_id).lines[0].id
    raised = api(supplier, "POST", f"/api/v1/purchase-orders/{po_id}/confirm",
                 {"lines": [{"line_id": line_id, "quantity": 30}]})
    assert raised.status_code == 422 and raised.json["code"] == "confirm_raises_quantity"
    done = post_form(supplier, f"/purchasing/orders/{po_id}/confirm",
                     {f"qty-{line_id}": "20", "promised_date": "2026-12-24"}, page=f"/purchasing/orders/{po_id}")
    assert done.status_code == 302
    with app.app_context():
        po = db.session.get(PurchaseOrder, po_id)
        assert (po.status, po.lines[0].quantity, po.promised_date.isoformat()) == ("confirmed", 20, "2026-12-24")


def test_a_supplier_user_sees_only_its_own_purchase_orders(app, floor):
    mine = make_po(app, floor, [("a", 24, None)], supplier="acme")
    theirs = make_po(app, floor, [("b", 5, None)], supplier="bolt")
    acme = client_as(app, "acme")
    # pages: its list shows its PO only; another supplier's PO does not exist for it
    listing = acme.get("/purchasing/orders").get_data(as_text=True)
    assert "PO-000001" in listing and "PO-000002" not in listing
    assert acme.get(f"/purchasing/orders/{mine}").status_code == 200
    assert acme.get(f"/purchasing/orders/{theirs}").status_code == 404
    assert acme.get(f"/purchasing/orders/{theirs}/po.pdf").status_code == 404
    assert post_form(acme, f"/purchasing/orders/{theirs}/confirm", page="/purchasing/orders").status_code == 404
    assert post_form(acme, f"/inbound/po/{theirs}/asn", page="/purchasing/orders").status_code == 404
    # API: the same
    assert [x["number"] for x in acme.get("/api/v1/purchase-orders").json["items"]] == ["PO-000001"]
    assert acme.get(f"/api/v1/purchase-orders/{theirs}").status_code == 404
    assert api(acme, "POST", f"/api/v1/purchase-orders/{theirs}/confirm", {}).status_code == 404
    # and nothing else of the business is open to it
    for path in ("/", "/purchasing/suppliers", "/purchasing/suggestions", "/stock", "/orders/", "/inbound/asns",
                 "/catalog/", "/api/v1/suppliers", "/api/v1/skus"):
        assert acme.get(path).status_code == 403, path
    assert api(acme, "POST", "/api/v1/purchase-orders", {"supplier": "ACME", "warehouse": "SH1",
                                                         "lines": [{"sku": "A", "quantity": 1}]}).status_code == 403
    assert _status(app, theirs) == "sent"


def test_a_price_list_with_bad_rows_is_refused_whole_with_each_row_pointed_at(app, floor):
    purchaser = client_as(app, "purchaser")
    csv = (b"sku,price,pack_size,moq\n"
           b"A,4.80,12,24\n"
           b"NOPE,1.00,1,1\n"
           b"B,abc,1,1\n"
           b"A,4.70,0,1\n")
    from io import BytesIO

    response = post_form(purchaser, f"/purchasing/suppliers/{floor['acme']}/import",
                         {"file": (BytesIO(csv), "acme-prices.csv")}, page=f"/purchasing/suppliers/{floor['acme']}",
                         content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    for line, column, reason in ((3, "sku", "SKU does not exist in the catalogue"),
                                 (4, "price", "price must be a non-negative amount like 12.50"),
                                 (5, "sku", "the SKU is on an earlier row of the file already"),
                                 (5, "pack_size", "quantity must be a whole number from 1 to 1000000")):
        assert (f"<td>acme-prices.csv</td><td class=\"num\">{line}</td><td>{column}</td><td>{reason}</td>"
                in text), (line, column)
    # nothing was applied: A still costs 5.00 and has one price row (its first)
    from erp_core.extensions import db
    from erp_core.purchasing.models import SupplierPriceChange
    from erp_core.purchasing.suppliers import supplier_sku

    with app.app_context():
        assert supplier_sku(floor["acme"], floor["a"]).price == Decimal("5.00")
        assert db.session.scalar(select(func.count(SupplierPriceChange.id))) == 3
    # a good file applies, and the price change is kept with who made it
    good = post_form(purchaser, f"/purchasing/suppliers/{floor['acme']}/import",
                     {"file": (BytesIO(b"sku,price\nA,4.80\n"), "ok.csv")}, page="/purchasing/orders",
                     content_type="multipart/form-data")
    assert good.status_code == 302
    with app.app_context():
        change = db.session.scalars(select(SupplierPriceChange).order_by(SupplierPriceChange.id.desc())).first()
        assert (change.old_price, change.new_price, change.user.username) == (Decimal("5.00"), Decimal("4.80"),
                                                                               "purchaser")


def test_a_purchaser_may_create_asns_now(app, floor):
    purchaser = client_as(app, "purchaser")
    assert purchaser.get("/inbound/asns/new").status_code == 200
    assert client_as(app, "viewer").get("/inbound/asns/new").status_code == 403


def test_suppliers_and_their_prices_are_kept_through_the_api(app, floor):
    purchaser = client_as(app, "purchaser")
    made = api(purchaser, "POST", "/api/v1/suppliers", {"code": "cnw", "name": "China North Works",
                                                        "currency": "usd", "lead_time_days": 21}, key="s-1")
    assert made.status_code == 201 and (made.json["code"], made.json["currency"]) == ("CNW", "USD")
    again = api(purchaser, "POST", "/api/v1/suppliers", {"code": "CNW", "name": "Other"})
    assert again.status_code == 409 and again.json["code"] == "supplier_code_taken"
    supplier_id = made.json["id"]
    for price in ("3.10", "2.95"):
        listed = api(purchaser, "POST", f"/api/v1/suppliers/{supplier_id}/skus",
                     {"sku": "A", "price": price, "pack_size": 6, "moq": 12})
        assert listed.status_code == 201 and listed.json["price"] == price and listed.json["currency"] == "USD"
    patched = api(purchaser, "PATCH", f"/api/v1/suppliers/{supplier_id}", {"active": False})
    assert patched.status_code == 200 and patched.json["active"] is False
    assert patched.json["name"] == "China North Works"
    from erp_core.extensions import db
    from erp_core.purchasing.suppliers import price_history

    with app.app_context():
        assert [(c.old_price, c.new_price) for c in price_history(supplier_id)] == [
            (Decimal("3.10"), Decimal("2.95")), (None, Decimal("3.10"))]
        db.session.remove()
    # an inactive supplier takes no new PO
    refused = api(purchaser, "POST", "/api/v1/purchase-orders", {"supplier": "CNW", "warehouse": "SH1",
                                                                 "lines": [{"sku": "A", "quantity": 12}]})
    assert refused.status_code == 409 and refused.json["code"] == "supplier_inactive", refused.json
    # the suggestions read the same through the API: A has 40 on hand and no sales -> nothing
    rows = purchaser.get("/api/v1/purchase-suggestions?warehouse=SH1").json
    assert {r["sku"]: (r["on_hand"], r["quantity"], r["supplier"]) for r in rows} == {
        "A": (40, 0, "ACME"), "B": (0, 0, "BOLT")}


def test_an_admin_creates_a_supplier_login_only_with_its_supplier(app, floor):
    admin = client_as(app, "admin")
    fields = {"username": "cnw-sales", "role": "supplier", "password": PASSWORD, "active": "y"}
    without = post_form(admin, "/admin/users/new", fields, page="/admin/users/new")
    assert without.status_code == 200 and "needs its supplier" in without.get_data(as_text=True)
    made = post_form(admin, "/admin/users/new", {**fields, "supplier_id": str(floor["bolt"])}, page="/admin/users/new")
    assert made.status_code == 302
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="cnw-sales"))
        assert (user.role, user.supplier_id) == ("supplier", floor["bolt"])
    # it lands on its purchase orders
    assert client_as(app, "cnw-sales").get("/purchasing/orders").status_code == 200


def test_a_supplier_keeps_several_contact_people_added_and_removed_from_its_page_and_the_api(app, floor):
    from erp_core.extensions import db
    from erp_core.purchasing.models import Supplier, SupplierContact

    purchaser = client_as(app, "purchaser")
    with app.app_context():
        acme_id = db.session.scalar(select(Supplier.id).filter_by(code="ACME"))
    page = f"/purchasing/suppliers/{acme_id}"
    added = post_form(purchaser, f"{page}/contacts", {"name": "Qian Wu 钱五", "title": "仓库", "phone": "021-555"},
                      page=page)
    assert added.status_code == 302
    unnamed = post_form(purchaser, f"{page}/contacts", {"name": " ", "phone": "1"}, page=page, follow_redirects=True)
    assert "A contact needs a name." in unnamed.get_data(as_text=True)
    via_api = api(purchaser, "POST", f"/api/v1/suppliers/{acme_id}/contacts",
                  {"name": "Accounts", "title": "财务", "email": "ap@acme.example"}, key="contact-1")
    replay = api(purchaser, "POST", f"/api/v1/suppliers/{acme_id}/contacts",
                 {"name": "Accounts", "title": "财务", "email": "ap@acme.example"}, key="contact-1")
    assert via_api.status_code == replay.status_code == 201 and via_api.json["id"] == replay.json["id"]
    shown = purchaser.get(page).get_data(as_text=True)
    assert "Qian Wu 钱五" in shown and "ap@acme.example" in shown
    listed = purchaser.get(f"/api/v1/suppliers/{acme_id}").json["contacts"]
    assert [(c["name"], c["title"]) for c in listed] == [("Qian Wu 钱五", "仓库"), ("Accounts", "财务")]
    # a viewer reads them but may not change them; another supplier's contact id is refused
    viewer = client_as(app, "viewer")
    assert api(viewer, "POST", f"/api/v1/suppliers/{acme_id}/contacts", {"name": "X"}).status_code == 403
    with app.app_context():
        bolt_id = db.session.scalar(select(Supplier.id).filter_by(code="BOLT"))
    wrong = api(purchaser, "DELETE", f"/api/v1/suppliers/{bolt_id}/contacts/{via_api.json['id']}")
    assert wrong.status_code == 404 and wrong.json["code"] == "unknown_supplier_contact"
    first = listed[0]["id"]
    assert post_form(purchaser, f"{page}/contacts/{first}/delete", page=page).status_code == 302
    with app.app_context():
        names = db.session.scalars(select(SupplierContact.name).order_by(SupplierContact.id)).all()
        assert names == ["Accounts"]
