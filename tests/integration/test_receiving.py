"""Receiving (入库): ASNs in the office, scans on the handheld, over-receipt, damage, blind receipts."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import login, page_csrf

EAN_A = "6901234567892"


@pytest.fixture
def dock(app):
    """SH1 with a staging bin, a damaged bin, a pick face holding 10 x A and two reserve bins; SZ1 without
    staging; SKUs A (with an EAN), B and C; ASN-1 at SH1 expects 3 x A and 2 x B."""
    from erp_core.extensions import db
    from wms.locations.asn_services import create_asn

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", name_zh="上海仓", key="sh")
                 .warehouse("SZ1", "Shenzhen", key="sz")
                 .bin("STAGE-IN", "staging", key="staging", warehouse="sh")
                 .bin("DMG-01", "damaged", key="damaged", warehouse="sh")
                 .bin("P-01", "pick", key="pick", warehouse="sh", x=1.5, y=2.5, capacity=60)
                 .bin("R-01", "reserve", key="near", warehouse="sh", x=4.5, y=2.5, capacity=200)
                 .bin("R-02", "reserve", key="far", warehouse="sh", x=10.5, y=30.0, capacity=200)
                 .bin("P-01", "pick", key="sz_bin", warehouse="sz", x=1.5, y=2.5, capacity=60)
                 .sku("A", "Thermos cup", name_zh="保温杯", barcodes=[EAN_A], key="a")
                 .sku("B", "Lid", name_zh="杯盖", key="b")
                 .sku("C", "Straw", name_zh="吸管", key="c")
                 .stock("a", "pick", 10)
                 .build())
        asn = create_asn(floor["sh"], [(floor["a"], 3), (floor["b"], 2)], reference="ASN-1", supplier="Acme")
        ids = {**floor, "asn": asn.id}
        db.session.remove()
        return ids


def scan(client, path: str, code: str, *, key: str | None = None, **fields):
    """One handheld scan, as scanner.js sends it (htmx, CSRF header, a fresh Idempotency-Key)."""
    token = page_csrf(client, "/m/")
    headers = {"X-CSRFToken": token, "HX-Request": "true", "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(path, data={"code": code, **fields}, headers=headers)


def client_as(app, role: str):
    """Another browser (its own cookies), logged in as the user of that role."""
    client = app.test_client()
    assert login(client, role).status_code == 302
    return client


def sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def qty(sku_id: int, location_id: int) -> int:
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    return db.session.scalar(select(Quant.quantity).filter_by(sku_id=sku_id, location_id=location_id)) or 0


def line_of(asn_id: int, sku_id: int):
    from erp_core.extensions import db
    from wms.locations.models import AsnLine

    return db.session.scalar(select(AsnLine).filter_by(asn_id=asn_id, sku_id=sku_id))


def moves_count() -> int:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    return db.session.scalar(select(func.count(StockMove.id)))


def test_receiving_with_over_receipt_and_damage_fills_staging_and_the_damaged_bin(app, login_as, dock):
    # given a picker at the receiving screen of ASN-1 (3 x A, 2 x B expected)
    client = login_as("picker")
    path = f"/inbound/receive/{dock['asn']}/scan"
    # when they scan A twice, one damaged A, B as a carton of 2, then A twice more
    first = scan(client, path, EAN_A)
    scan(client, path, EAN_A)
    aside = scan(client, path, EAN_A, damaged="1")
    scan(client, path, "B", quantity="2")
    over = scan(client, path, EAN_A)
    again = scan(client, path, EAN_A)
    # then good units wait in staging and the damaged one lies in the damaged bin
    with app.app_context():
        from erp_core.extensions import db
        from erp_core.inventory.models import StockMove
        from erp_core.inventory.services import ledger_discrepancies

        assert qty(dock["a"], dock["staging"]) == 4 and qty(dock["a"], dock["damaged"]) == 1
        assert qty(dock["b"], dock["staging"]) == 2
        line_a, line_b = line_of(dock["asn"], dock["a"]), line_of(dock["asn"], dock["b"])
        assert (line_a.received_quantity, line_a.damaged_quantity) == (5, 1)
        assert (line_b.received_quantity, line_b.damaged_quantity) == (2, 0)
        receipts = db.session.scalars(select(StockMove).filter_by(reason="receipt", reference="ASN-1")).all()
        assert sum(m.quantity for m in receipts) == 7
        assert ledger_discrepancies() == []
    # and the scans were answered with what happened
    assert sound(first) == "scan-ok" and "1 of 3 received" in first.get_data(as_text=True)
    assert "set aside as damaged in DMG-01" in aside.get_data(as_text=True)
    # and going over plays the error sound once, but the units are received and flagged
    assert sound(over) == "scan-error" and "Over-receipt" in over.get_data(as_text=True)
    assert sound(again) == "scan-ok" and "Over-receipt" in again.get_data(as_text=True)


def test_an_item_not_on_the_asn_is_refused_with_what_it_expects_and_nothing_changes(app, login_as, dock):
    client = login_as("picker")
    with app.app_context():
        before = moves_count()
    # when a picker scans C, which ASN-1 does not expect
    response = scan(client, f"/inbound/receive/{dock['asn']}/scan", "C")
    # then the scan is refused with the error sound and the SKUs the ASN expects
    assert sound(response) == "scan-error"
    assert "C is not on ASN ASN-1. It expects: A, B." in response.get_data(as_text=True)
    # and nothing moved or was counted
    with app.app_context():
        assert moves_count() == before and line_of(dock["asn"], dock["c"]) is None
        assert qty(dock["c"], dock["staging"]) == 0


def test_an_unknown_code_is_refused(app, login_as, dock):
    response = scan(login_as("picker"), f"/inbound/receive/{dock['asn']}/scan", "NOPE-9")
    assert sound(response) == "scan-error" and "NOPE-9" in response.get_data(as_text=True)


def test_a_replayed_receiving_scan_is_applied_once(app, login_as, dock):
    client = login_as("picker")
    path = f"/inbound/receive/{dock['asn']}/scan"
    first = scan(client, path, EAN_A, key="scan-42")
    replay = scan(client, path, EAN_A, key="scan-42")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_data() == first.get_data()
    with app.app_context():
        assert line_of(dock["asn"], dock["a"]).received_quantity == 1
        assert qty(dock["a"], dock["staging"]) == 1


def test_a_quantity_typed_before_the_scan_receives_a_carton(app, login_as, dock):
    client = login_as("picker")
    path = f"/inbound/receive/{dock['asn']}/scan"
    scan(client, path, "2*B")
    response = scan(client, path, EAN_A, quantity="3")
    # the answer puts fresh options back (quantity 1, damaged off) for the next scan
    assert 'id="receive-qty" class="actions-row" hx-swap-oob="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert line_of(dock["asn"], dock["b"]).received_quantity == 2
        assert line_of(dock["asn"], dock["a"]).received_quantity == 3


def test_a_bad_quantity_is_refused(app, login_as, dock):
    response = scan(login_as("picker"), f"/inbound/receive/{dock['asn']}/scan", EAN_A, quantity="abc")
    assert sound(response) == "scan-error" and "whole number" in response.get_data(as_text=True)
    with app.app_context():
        assert line_of(dock["asn"], dock["a"]).received_quantity == 0


def test_a_warehouse_without_a_staging_bin_says_so(app, login_as, dock):
    from wms.locations.asn_services import create_asn

    with app.app_context():
        asn_id = create_asn(dock["sz"], [(dock["a"], 1)], reference="ASN-SZ").id
    response = scan(login_as("picker"), f"/inbound/receive/{asn_id}/scan", EAN_A)
    assert sound(response) == "scan-error" and "SZ1 has no staging bin" in response.get_data(as_text=True)


def test_scanning_the_asn_reference_opens_its_receiving_screen(app, login_as, dock):
    client = login_as("picker")
    response = scan(client, "/inbound/receive/open", "ASN-1")
    assert response.headers["HX-Redirect"] == f"/inbound/receive/{dock['asn']}"
    assert "ASN-1" in client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert sound(scan(client, "/inbound/receive/open", "ASN-404")) == "scan-error"


def test_a_blind_receipt_records_every_scanned_item_as_it_comes(app, login_as, dock):
    from erp_core.extensions import db
    from wms.locations.models import Asn, PutawayTask

    # given a picker starting a blind receipt at SH1
    client = login_as("picker")
    started = client.post("/inbound/receive/blind", data={"warehouse_id": dock["sh"],
                                                          "csrf_token": page_csrf(client, "/inbound/receive")})
    assert started.status_code == 302
    asn_id = int(started.headers["Location"].rsplit("/", 1)[1])
    # when they scan C twice and A once
    for code in ("C", "C", EAN_A):
        assert sound(scan(client, f"/inbound/receive/{asn_id}/scan", code)) == "scan-ok"
    # then each SKU became a line with nothing expected, never flagged as over-receipt
    with app.app_context():
        asn = db.session.get(Asn, asn_id)
        assert asn.blind and asn.reference.startswith("BLIND-")
        assert {(ln.sku_id, ln.expected_quantity, ln.received_quantity) for ln in asn.lines} == {
            (dock["c"], 0, 2), (dock["a"], 0, 1)}
    # and finishing closes it with a putaway task per SKU
    client.post(f"/inbound/receive/{asn_id}/finish", data={"csrf_token": page_csrf(client, "/inbound/receive")})
    with app.app_context():
        assert db.session.get(Asn, asn_id).status == "closed"
        tasks = db.session.scalars(select(PutawayTask).filter_by(asn_id=asn_id)).all()
        assert sorted((t.sku_id, t.quantity) for t in tasks) == sorted([(dock["c"], 2), (dock["a"], 1)])


def test_finishing_creates_a_task_per_sku_for_the_good_units_once(app, login_as, dock):
    from erp_core.extensions import db
    from wms.locations.models import Asn, PutawayTask
    from wms.locations.receiving import finish_receipt

    client = login_as("picker")
    path = f"/inbound/receive/{dock['asn']}/scan"
    for fields in ({}, {}, {"damaged": "1"}):
        scan(client, path, EAN_A, **fields)
    # when the receipt is finished with B still missing
    response = client.post(f"/inbound/receive/{dock['asn']}/finish",
                           data={"csrf_token": page_csrf(client, "/inbound/receive")}, follow_redirects=True)
    assert "1 lines are short" in response.get_data(as_text=True)
    with app.app_context():
        # then A's two good units get a task, and the ASN stays open for receiving
        tasks = db.session.scalars(select(PutawayTask).filter_by(asn_id=dock["asn"])).all()
        assert [(t.sku_id, t.quantity, t.from_location_id) for t in tasks] == [(dock["a"], 2, dock["staging"])]
        assert tasks[0].suggested_location_id == dock["pick"]  # the bin that already holds A
        assert db.session.get(Asn, dock["asn"]).status == "receiving"
        # and finishing again creates nothing new
        assert finish_receipt(dock["asn"]).putaways == []


def test_closing_an_asn_flags_the_under_receipt(app, login_as, dock):
    picker = login_as("picker")
    scan(picker, f"/inbound/receive/{dock['asn']}/scan", EAN_A)
    client = client_as(app, "supervisor")
    response = client.post(f"/inbound/asns/{dock['asn']}/close",
                           data={"csrf_token": page_csrf(client, "/inbound/asns")}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ASN closed with 2 under-received lines." in page and "Under-receipt" in page
    assert "Under-receipt" in client.get("/inbound/asns").get_data(as_text=True)
    # and a closed ASN takes no more scans
    refused = scan(picker, f"/inbound/receive/{dock['asn']}/scan", EAN_A)
    assert sound(refused) == "scan-error" and "is Closed" in refused.get_data(as_text=True)


def test_an_asn_is_created_in_the_office(app, login_as, dock):
    from erp_core.extensions import db
    from wms.locations.models import Asn

    client = login_as("supervisor")
    data = {"csrf_token": page_csrf(client, "/inbound/asns/new"), "warehouse_id": dock["sh"], "reference": "PO-77",
            "supplier": "Acme", "expected_at": "2026-03-01", "lines-0-sku": EAN_A, "lines-0-quantity": "12",
            "lines-1-sku": "B", "lines-1-quantity": "4"}
    response = client.post("/inbound/asns/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        asn = db.session.scalar(select(Asn).filter_by(reference="PO-77"))
        assert sorted((ln.sku_id, ln.expected_quantity) for ln in asn.lines) == sorted(
            [(dock["a"], 12), (dock["b"], 4)])
        assert asn.expected_at.isoformat() == "2026-02-28T16:00:00+00:00"  # midnight in Shanghai
    # and the list shows received / expected
    assert "0 / 16" in client.get("/inbound/asns").get_data(as_text=True)


def test_a_picker_may_view_asns_but_not_create_them(login_as, dock):
    client = login_as("picker")
    assert client.get("/inbound/asns").status_code == 200
    assert client.get("/inbound/asns/new").status_code == 403
    assert client.get("/inbound/asns/import").status_code == 403


CSV = (
    "reference,warehouse,supplier,expected_at,sku,quantity\r\n"
    f"PO-1,SH1,Acme,2026-03-01 09:00,{EAN_A},10\r\n"
    "PO-1,SH1,Acme,2026-03-01 09:00,B,5\r\n"
    "PO-2,SH1,Beta,,C,ten\r\n"
    "PO-2,SH1,Beta,,A,1\r\n"
    "PO-3,XX9,Gamma,,A,1\r\n"
)


def test_an_asn_csv_import_takes_the_good_asns_and_reports_the_bad_row(app, login_as, dock):
    from io import BytesIO

    from erp_core.extensions import db
    from wms.locations.models import Asn

    client = login_as("supervisor")
    response = client.post("/inbound/asns/import", data={
        "csrf_token": page_csrf(client, "/inbound/asns/import"), "file": (BytesIO(CSV.encode()), "asns.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    # then PO-1 is imported with both lines, PO-2 (bad quantity) and PO-3 (unknown warehouse) are not
    assert "1 ASNs imported, 2 rejected." in page
    with app.app_context():
        refs = set(db.session.scalars(select(Asn.reference)))
        assert "PO-1" in refs and "PO-2" not in refs and "PO-3" not in refs
        po1 = db.session.scalar(select(Asn).filter_by(reference="PO-1"))
        assert sorted(ln.expected_quantity for ln in po1.lines) == [5, 10]
    # and the report names line, column and reason, and downloads as CSV
    assert "quantity must be a whole number" in page and "warehouse code does not exist" in page
    from tests.conftest import csrf_from

    report = json.loads(__import__("html").unescape(page.split('name="report" value="')[1].split('"')[0]))
    download = client.post("/inbound/asns/import/errors.csv", data={"csrf_token": csrf_from(page),
                                                                   "report": json.dumps(report)})
    text = download.get_data().decode("utf-8-sig")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "asns.csv,4,quantity,bad_quantity" in text and "asns.csv,6,warehouse,unknown_warehouse" in text


def test_importing_the_same_asn_again_is_refused(app, login_as, dock):
    from wms.locations.asn_io import import_asn_file

    with app.app_context():
        assert import_asn_file("a.csv", CSV.encode()).created == ["PO-1"]
        again = import_asn_file("a.csv", CSV.encode())
        assert again.created == [] and "PO-1" in again.rejected
        assert any(e.code == "asn_exists" and e.line == 2 for e in again.errors)


def test_a_file_without_the_required_columns_says_which_are_missing(app):
    from wms.locations.asn_io import parse_asn_file

    found = parse_asn_file("x.csv", b"reference,sku\r\nPO-1,A\r\n")
    assert [(e.column, e.code) for e in found.errors] == [("warehouse", "missing_column"),
                                                          ("quantity", "missing_column")]


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", 'lang="zh-CN"'), ("en", "Receiving")])
def test_the_inbound_pages_render_in_chinese_and_english(login_as, dock, language, expected):
    client = login_as("supervisor")
    headers = {"Accept-Language": language}
    for path in ("/inbound/asns", f"/inbound/asns/{dock['asn']}", "/inbound/asns/new", "/inbound/asns/import",
                 "/inbound/receive", f"/inbound/receive/{dock['asn']}", "/inbound/putaway", "/m/"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert 'lang="zh-CN"' in page if language == "zh-CN" else 'lang="en"' in page
    assert expected in client.get("/m/", headers=headers).get_data(as_text=True)
    # the SKU names follow the language too
    name = "保温杯" if language == "zh-CN" else "Thermos cup"
    scan(client, f"/inbound/receive/{dock['asn']}/scan", EAN_A)
    assert name in client.get(f"/inbound/receive/{dock['asn']}", headers=headers).get_data(as_text=True)
