"""The handover desk (交接单) through its routes: parcels scanned onto a handover against the expected
count with the missing ones listed, refusals (twice, cancelled, intercepted, unknown, another
handover) that change nothing, a parcel taken off, the close that ships every parcel (ledger to the
customer, orders shipped, the outbox told) or — one parcel stopped — nothing; the PDF whose barcode
scans back to the reference; the bulk-ship CSV; and the two races on one handover and one parcel."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, kinds, race
from tests.conftest import login, page_csrf
from tests.shipping_helpers import POOL, order_lines, shipping_floor

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    """Four orders picked and packed with ZTO (pool numbers POOL[0..3], one each)."""
    floor = shipping_floor(app, users, orders=[[("A", 1)], [("B", 1)], [("A", 1), ("B", 1)], [("C", 1)]])
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine
    from wms.shipping.models import BoxType, Shipment
    from wms.shipping.services import PackedPackage, expected_weight, pack_out

    with app.app_context():
        numbers = []
        for order_id in floor["orders"]:
            units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
            order = db.session.get(OrderLine, next(iter(units))).order
            weight = expected_weight(units, order, [db.session.get(BoxType, floor["boxes"]["L"])])
            shipment = pack_out(order_id, station_location_id=floor["station"], user_id=None,
                                packages=[PackedPackage(floor["boxes"]["L"], weight, units)]).shipment
            numbers.append(shipment.tracking_number)
        floor["numbers"] = numbers
        floor["shipments"] = list(db.session.scalars(select(Shipment.id).order_by(Shipment.id)))
    assert floor["numbers"] == POOL[:4]
    return floor


def _open(client, desk) -> int:
    response = client.post("/shipping/manifests/", data={"csrf_token": page_csrf(client, "/shipping/manifests/"),
                                                         "carrier_id": desk["zto"], "warehouse_id": desk["wh"]})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _scan(client, manifest_id, code, **extra) -> tuple[str, str]:
    """Scan at the desk; (the refusal code or "" when accepted, the panel's HTML)."""
    response = client.post(f"/shipping/manifests/{manifest_id}/scan",
                           data={"csrf_token": page_csrf(client, "/"), "code": code, **extra},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    found = re.search(r'data-code="([^"]*)"', html)
    return (found.group(1) if found else ""), html


def _statuses(app) -> dict[str, tuple[str, int | None]]:
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    with app.app_context():
        return {s.tracking_number: (s.status, s.manifest_id) for s in db.session.scalars(select(Shipment))}


def _shipping_client(client):
    login(client, "shipping")
    return client


def test_scanned_parcels_count_against_the_expected_and_the_missing_ones_are_listed(app, client, desk):
    _shipping_client(client)
    manifest_id = _open(client, desk)
    assert _scan(client, manifest_id, desk["numbers"][0])[0] == ""
    code, html = _scan(client, manifest_id, f"  {desk['numbers'][1].lower()} ")  # a scanner's stray spaces, case
    assert code == ""
    assert 'data-scanned="2"' in html and 'data-expected="4"' in html
    missing = re.findall(r'class="missing-parcel" data-number="([^"]+)"', html)
    assert missing == desk["numbers"][2:]
    assert _statuses(app)[desk["numbers"][0]] == ("manifested", manifest_id)


def test_a_parcel_twice_unknown_cancelled_intercepted_or_on_another_handover_is_refused_and_nothing_changes(
        app, client, desk):
    from erp_core.db import atomic
    from erp_core.orders.states import lock_order, transition
    from wms.shipping.services import cancel_shipment

    _shipping_client(client)
    first, second = _open(client, desk), _open(client, desk)
    _scan(client, first, desk["numbers"][0])
    with app.app_context():
        cancel_shipment(desk["shipments"][1], reason="buyer changed the address")
        with atomic():
            transition(lock_order(desk["orders"][2]), "intercepted")
    before = _statuses(app)
    assert _scan(client, first, desk["numbers"][0])[0] == "manifest_parcel_scanned_twice"
    assert _scan(client, second, desk["numbers"][0])[0] == "manifest_parcel_on_other"
    assert _scan(client, first, desk["numbers"][1])[0] == "manifest_parcel_cancelled"
    code, html = _scan(client, first, desk["numbers"][2])
    assert code == "manifest_order_stopped" and "S2" in html
    assert _scan(client, first, "ZT0000000000")[0] == "manifest_parcel_unknown"
    assert _statuses(app) == before


def test_a_parcel_taken_off_by_mistake_is_packed_again_and_missing_again(app, client, desk):
    _shipping_client(client)
    manifest_id = _open(client, desk)
    _scan(client, manifest_id, desk["numbers"][0])
    response = client.post(f"/shipping/manifests/{manifest_id}/remove/{desk['shipments'][0]}",
                           data={"csrf_token": page_csrf(client, "/")})
    assert response.status_code == 302
    assert _statuses(app)[desk["numbers"][0]] == ("packed", None)
    page = client.get(f"/shipping/manifests/{manifest_id}").get_data(as_text=True)
    assert f'data-number="{desk["numbers"][0]}"' in page and 'data-scanned="0"' in page


def test_the_final_scan_of_the_handover_closes_it_and_ships_every_parcel_once(app, client, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockMove
    from erp_core.orders.models import Order
    from erp_core.outbox import OutboxMessage
    from wms.shipping.models import Manifest

    _shipping_client(client)
    manifest_id = _open(client, desk)
    for number in desk["numbers"][:3]:
        assert _scan(client, manifest_id, number)[0] == ""
    with app.app_context():
        reference = db.session.get(Manifest, manifest_id).reference
    code, html = _scan(client, manifest_id, reference, courier_name="张师傅")
    assert code == "" and 'data-scanned="3"' in html
    with app.app_context():
        manifest = db.session.get(Manifest, manifest_id)
        assert (manifest.status, manifest.courier_name) == ("closed", "张师傅") and manifest.closed_at is not None
        assert [db.session.get(Order, o).status for o in desk["orders"]] == ["shipped"] * 3 + ["packed"]
        shipped = db.session.execute(select(func.sum(StockMove.quantity)).join(
            Location, Location.id == StockMove.to_location_id).where(StockMove.reason == "ship",
                                                                      Location.code == "CUSTOMER")).scalar()
        assert shipped == 4  # A, B, A + B
        topics = sorted(db.session.scalars(select(OutboxMessage.topic)))
        assert topics == ["channel.ship_confirmation"] * 3 + ["finance.shipment"] * 3
    statuses = _statuses(app)
    assert [statuses[n][0] for n in desk["numbers"]] == ["shipped"] * 3 + ["packed"]

    # a closed handover never changes: closing again, scanning or taking off is refused
    again = client.post(f"/shipping/manifests/{manifest_id}/close", data={"csrf_token": page_csrf(client, "/")})
    assert again.status_code == 409 and "closed" in again.get_data(as_text=True)
    assert _scan(client, manifest_id, desk["numbers"][3])[0] == "manifest_not_open"
    assert client.post(f"/shipping/manifests/{manifest_id}/remove/{desk['shipments'][0]}",
                       data={"csrf_token": page_csrf(client, "/")}).status_code == 409
    assert _statuses(app) == statuses


def test_a_close_with_an_intercepted_parcel_ships_nothing_and_leaves_the_handover_open(app, client, desk):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.orders.states import lock_order, transition
    from erp_core.outbox import OutboxMessage
    from wms.shipping.models import Manifest

    _shipping_client(client)
    manifest_id = _open(client, desk)
    _scan(client, manifest_id, desk["numbers"][0])
    _scan(client, manifest_id, desk["numbers"][1])
    with app.app_context(), atomic():
        transition(lock_order(desk["orders"][1]), "intercepted")  # the buyer asked to stop it (拦截)
    refused = client.post(f"/shipping/manifests/{manifest_id}/close", data={"csrf_token": page_csrf(client, "/")})
    assert refused.status_code == 409 and desk["numbers"][1] in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Manifest, manifest_id).status == "open"
        assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "ship")) == 0
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert _statuses(app)[desk["numbers"][0]] == ("manifested", manifest_id)
    # take the stopped parcel off, and the close goes through
    client.post(f"/shipping/manifests/{manifest_id}/remove/{desk['shipments'][1]}",
                data={"csrf_token": page_csrf(client, "/")})
    assert client.post(f"/shipping/manifests/{manifest_id}/close",
                       data={"csrf_token": page_csrf(client, "/")}).status_code == 302
    assert _statuses(app)[desk["numbers"][0]] == ("shipped", manifest_id)


def test_an_empty_handover_cannot_close(app, client, desk):
    _shipping_client(client)
    manifest_id = _open(client, desk)
    response = client.post(f"/shipping/manifests/{manifest_id}/close", data={"csrf_token": page_csrf(client, "/")})
    assert response.status_code == 422


needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")


@needs_pdftoppm
@pytest.mark.parametrize(("lang", "title"), [("zh", "交接单"), ("en", "Handover manifest")])
def test_the_handover_sheet_scans_back_to_its_reference_at_203_dpi(app, client, desk, tmp_path, lang, title):
    import zxingcpp
    from PIL import Image

    from erp_core.extensions import db
    from wms.shipping.models import Manifest

    _shipping_client(client)
    manifest_id = _open(client, desk)
    for number in desk["numbers"][:2]:
        _scan(client, manifest_id, number)
    client.post(f"/shipping/manifests/{manifest_id}/close", data={"csrf_token": page_csrf(client, "/"),
                                                                  "courier_name": "Li Wei"})
    response = client.get(f"/shipping/manifests/{manifest_id}/pdf?lang={lang}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    source = tmp_path / "manifest.pdf"
    source.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "203", "-mono", str(source), str(tmp_path / "page")], check=True)
    with app.app_context():
        reference = db.session.get(Manifest, manifest_id).reference
    page = sorted(tmp_path.glob("page*"))[0]
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(page)) if r.format == zxingcpp.BarcodeFormat.Code128]
    assert texts == [reference]
    text = subprocess.run(["pdftotext", str(source), "-"], capture_output=True, check=True).stdout.decode()
    assert title in text and desk["numbers"][0] in text and "Li Wei" in text


def test_the_bulk_ship_export_has_the_platform_columns(app, client, desk):
    from erp_core.inventory.reservations import business_today

    _shipping_client(client)
    manifest_id = _open(client, desk)
    for number in desk["numbers"][:2]:
        _scan(client, manifest_id, number)
    client.post(f"/shipping/manifests/{manifest_id}/close", data={"csrf_token": page_csrf(client, "/")})

    taobao = client.get(f"/shipping/manifests/{manifest_id}/export?format=taobao")
    assert taobao.status_code == 200 and taobao.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(taobao.data.decode("utf-8-sig"))))
    assert rows == [["订单号", "快递公司", "运单号"], ["S0", "ZTO", desk["numbers"][0]],
                    ["S1", "ZTO", desk["numbers"][1]]]
    with app.app_context():
        today = business_today().isoformat()  # the export's dates are local (WMS_DISPLAY_TIMEZONE), not UTC
    generic = client.get(f"/shipping/manifests/export?format=generic&from={today}&to={today}")
    rows = list(csv.reader(io.StringIO(generic.data.decode("utf-8-sig"))))
    assert rows[0] == ["order_number", "carrier_code", "tracking_number"] and len(rows) == 3
    assert client.get("/shipping/manifests/export?format=generic&from=yesterday").status_code == 422


def test_packers_and_pickers_may_not_work_the_handover_desk(app, client, desk):
    login(client, "packer")
    assert client.get("/shipping/manifests/").status_code == 403


def test_two_desks_closing_one_handover_at_once_ship_each_parcel_once(app, client, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.outbox import OutboxMessage
    from wms.shipping.manifests import close_manifest

    _shipping_client(client)
    manifest_id = _open(client, desk)
    for number in desk["numbers"]:
        _scan(client, manifest_id, number)
    outcomes = race(app, lambda: close_manifest(manifest_id).id, lambda: close_manifest(manifest_id).id)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], f"{kinds(outcomes)} {describe_errors(outcomes)}"
    assert [o.code for o in outcomes if o.kind == "refused"][0] in ("manifest_not_open", "changed_meanwhile",
                                                                     "concurrent_update")
    with app.app_context():
        assert db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.reason == "ship")) == 5
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 8
    assert {s for s, _ in _statuses(app).values()} == {"shipped"}


def test_two_desks_scanning_one_parcel_onto_two_handovers_at_once_put_it_on_one(app, client, desk):
    from wms.shipping.manifests import scan_parcel

    _shipping_client(client)
    first, second = _open(client, desk), _open(client, desk)
    number = desk["numbers"][0]
    outcomes = race(app, lambda: scan_parcel(first, number).id, lambda: scan_parcel(second, number).id)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], f"{kinds(outcomes)} {describe_errors(outcomes)}"
    status, on = _statuses(app)[number]
    assert status == "manifested" and on in (first, second)
