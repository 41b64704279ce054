"""The lots API: list with filters, detail with where it lies and its trace, hold and release with
role checks and Idempotency-Key, stock per bin with lot and expiry; the stock export's lot columns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def stocked(app, users):
    """SH1 with honey (lot-tracked): H-1 expires in 10 days (x4 in P-01), H-2 in 400 days (x6 in
    P-02); and cups (untracked) x3 in P-01."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    with app.app_context():
        floor = (FloorBuilder().warehouse("SH1", "Shanghai", key="wh")
                 .bin("P-01", "pick", key="p1").bin("P-02", "pick", key="p2")
                 .sku("HONEY", "Honey", name_zh="蜂蜜", key="honey").sku("CUP", "Cup", key="cup")
                 .stock("cup", "p1", 3).build())
        honey = db.session.get(Sku, floor["honey"])
        honey.lot_tracked = True
        db.session.commit()
        ids = {}
        for number, days, bin_key, qty in (("H-1", 10, "p1", 4), ("H-2", 400, "p2", 6)):
            lot = get_or_create_lot(honey, number, expiry_date=business_today() + timedelta(days=days))
            receive(honey.id, floor[bin_key], qty, reference=f"ASN-{number}", lot_id=lot.id)
            ids[number] = lot.id
        db.session.commit()
        return ids


def test_the_lots_list_filters_by_sku_expiry_and_hold(app, stocked, login_as):
    client = login_as("viewer")
    body = client.get("/api/v1/lots?sku=HONEY").json
    assert body["total"] == 2 and [lot["lot_number"] for lot in body["items"]] == ["H-1", "H-2"]
    first = body["items"][0]
    assert first["on_hand"] == 4 and first["available"] == 4 and first["days_left"] == 10
    assert [lot["lot_number"] for lot in client.get("/api/v1/lots?expiring_within=30").json["items"]] == ["H-1"]
    assert client.get("/api/v1/lots?on_hold=true").json["total"] == 0
    assert client.get("/api/v1/lots?per_page=1&page=2").json["items"][0]["lot_number"] == "H-2"


def test_a_lot_shows_where_it_lies_and_its_trace(app, stocked, login_as):
    client = login_as("viewer")
    body = client.get(f"/api/v1/lots/{stocked['H-1']}").json
    assert body["stock"] == [{"warehouse": "SH1", "bin": "P-01", "bin_type": "pick", "quantity": 4, "reserved": 0,
                              "available": 4}]
    assert body["trace"]["received"] == 4 and body["trace"]["orders"] == []
    missing = client.get("/api/v1/lots/999999")
    assert missing.status_code == 404 and missing.json["code"] == "unknown_lot"


def test_a_supervisor_holds_and_releases_a_lot_and_a_picker_gets_403(app, stocked, login_as):
    picker = login_as("picker")
    token = page_csrf(picker)
    refused = picker.post(f"/api/v1/lots/{stocked['H-1']}/hold", json={"reason": "recall"},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"

    from tests.conftest import login

    client = app.test_client()
    login(client, "supervisor")
    token = page_csrf(client)
    headers = {"X-CSRFToken": token, "Idempotency-Key": "hold-h1"}
    held = client.post(f"/api/v1/lots/{stocked['H-1']}/hold", json={"reason": "recall"}, headers=headers)
    assert held.status_code == 200 and held.json["on_hold"] and held.json["available"] == 0
    # the same key and body replays the answer
    again = client.post(f"/api/v1/lots/{stocked['H-1']}/hold", json={"reason": "recall"}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == held.json
    assert client.get("/api/v1/lots?on_hold=true").json["total"] == 1
    released = client.post(f"/api/v1/lots/{stocked['H-1']}/release", headers={"X-CSRFToken": token})
    assert released.status_code == 200 and not released.json["on_hold"] and released.json["available"] == 4


def test_stock_per_bin_shows_the_lot_and_its_expiry(app, stocked, login_as):
    body = login_as("viewer").get("/api/v1/stock/bins?warehouse=SH1").json
    rows = {(r["sku"], r["bin"], r["lot_number"]): r for r in body["items"]}
    assert set(rows) == {("CUP", "P-01", None), ("HONEY", "P-01", "H-1"), ("HONEY", "P-02", "H-2")}
    assert rows[("HONEY", "P-01", "H-1")]["expiry_date"] and rows[("HONEY", "P-01", "H-1")]["quantity"] == 4
    assert rows[("CUP", "P-01", None)]["expiry_date"] is None


def test_the_openapi_document_lists_the_lot_endpoints(login_as):
    paths = login_as("viewer").get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/lots", "/api/v1/lots/{lot_id}", "/api/v1/lots/{lot_id}/hold", "/api/v1/lots/{lot_id}/release",
            "/api/v1/stock/bins"} <= set(paths)


def test_the_stock_export_has_lot_columns(app, stocked, login_as):
    client = login_as("viewer")
    csv_text = client.get("/stock/export.csv").get_data().decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    assert "Lot" in header and "Expiry date" in header
    assert any(row.startswith("HONEY,") and ",H-1," in row for row in rows)
    assert any(row.startswith("CUP,") for row in rows)
    xlsx = client.get("/stock/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    # and the SKU's stock screen shows the lot per bin
    assert "H-2" in client.get("/stock/sku/HONEY").get_data(as_text=True)
