"""The pack station (复核 / 打包) through its routes, as the desk's scanner and scale send them: a cart,
slot or order number opens the order, every unit is scanned, the parcel weighed, the order packed with
its units at the station in the ledger; wrong, extra and missing items, the weight check and its
supervisor override, multi-package, one-scan single-item and single-SKU waves, batch orders not yet
sorted, replayed scans, a reload, and the carrier changed at the desk."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf
from tests.shipping_helpers import POOL, order_lines, shipping_floor
from tests.shipping_helpers import reserved_where as _where

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    return shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)], [("C", 1)]])


class Station:
    """A logged-in packer at PACK-01: posts scans as the page's htmx forms do."""

    def __init__(self, client, desk):
        self.client = client
        self.csrf = page_csrf(client, "/shipping/pack")
        chosen = client.post("/shipping/pack/station", data={"station_id": desk["station"], "csrf_token": self.csrf})
        assert chosen.status_code == 302
        self.keys = 0

    def post(self, path: str, key: str | None = None, **data):
        self.keys += 1
        headers = {"X-CSRFToken": self.csrf, "HX-Request": "true", "Idempotency-Key": key or f"k-{self.keys}"}
        response = self.client.post(f"/shipping/pack/{path}", data=data, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:800]
        return response

    def scan(self, code: str, **data):
        return self.post("scan", code=code, **data)


def sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def station(login_as, desk):
    return Station(login_as("packer"), desk)


def _cart_of(order_id: int) -> str:
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.picking.models import WaveOrder

    list_id = db.session.scalar(select(WaveOrder.pick_list_id).filter_by(order_id=order_id))
    return db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{list_id}"))




def _status(order_id: int) -> str:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return db.session.get(Order, order_id).status


def _counted(order_id: int) -> dict[int, int]:
    from erp_core.extensions import db
    from wms.shipping.pack_services import progress_of

    db.session.expire_all()
    return progress_of(order_id).counted()


def _count(model) -> int:
    from erp_core.extensions import db

    return db.session.scalar(select(func.count(model.id)))


def test_an_order_scanned_unit_by_unit_and_weighed_is_packed_with_its_units_at_the_station(app, desk, station):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from wms.shipping.models import Shipment

    order_id = desk["orders"][0]
    with app.app_context():
        cart = _cart_of(order_id)
    opened = station.scan(cart)
    assert sound(opened) == "scan-ok" and 'data-order="S0"' in text(opened)
    assert sound(station.scan("6901234567892", order_id=order_id)) == "scan-ok"
    complete = station.scan("BC-B", order_id=order_id, qty="2")  # a multiple, its quantity typed
    assert 'data-step="weigh"' in text(complete) and "Suggested: S" in text(complete)
    packed = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="460 g")
    assert sound(packed) == "scan-ok"
    assert POOL[0] in text(packed) and "/shipping/shipments/" in text(packed) and "/waybill.pdf" in text(packed)
    with app.app_context():
        shipment = db.session.scalar(select(Shipment))
        assert f"/shipping/shipments/{shipment.id}/waybill.pdf" in text(packed)
        assert (shipment.tracking_number, shipment.measured_weight_g, shipment.expected_weight_g) == (POOL[0], 460, 460)
        assert _status(order_id) == "packed" and _where(order_id) == {"PACK-01": 3}
        assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "pack")) == 2
        assert _counted(order_id) == {}  # the progress is gone with the pack-out


def test_a_wrong_or_an_extra_item_is_refused_loudly_and_changes_nothing(app, desk, station):
    order_id = desk["orders"][0]
    station.scan("S0")  # the order number opens it too
    wrong = station.scan("BC-C", order_id=order_id)
    assert sound(wrong) == "scan-error" and "data-expected" in text(wrong)
    assert "A ×1, B ×2" in text(wrong) and 'data-order="S0"' in text(wrong)
    station.scan("6901234567892", order_id=order_id)
    extra = station.scan("6901234567892", order_id=order_id)
    assert sound(extra) == "scan-error" and "Extra item A" in text(extra) and "B ×2" in text(extra)
    too_many = station.scan("BC-B", order_id=order_id, qty="3")
    assert sound(too_many) == "scan-error" and "only 2 more of B" in text(too_many)
    unknown = station.scan("NO-SUCH-THING", order_id=order_id)
    assert sound(unknown) == "scan-error"
    with app.app_context():
        lines = order_lines(order_id)
        assert _counted(order_id) == {lines["A"]: 1}
        assert _status(order_id) == "picked" and all(code.startswith("CART-") for code in _where(order_id))


def test_a_missing_item_keeps_the_order_open(app, desk, station):
    from wms.shipping.models import Shipment

    order_id = desk["orders"][0]
    station.scan("S0")
    station.scan("6901234567892", order_id=order_id)
    station.scan("BC-B", order_id=order_id)
    early = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="0.46")
    assert sound(early) == "scan-error" and "B ×1 still to count" in text(early)
    with app.app_context():
        assert _status(order_id) == "picked" and _count(Shipment) == 0
        assert sum(_where(order_id).values()) == 3 and "PACK-01" not in _where(order_id)


def _count_all(station, order_id):
    station.scan("S0")
    station.scan("6901234567892", order_id=order_id)
    station.scan("BC-B", order_id=order_id, qty="2")


def test_a_weight_outside_the_tolerance_opens_an_exception_and_changes_nothing_else(app, desk, station):
    from erp_core.extensions import db
    from wms.shipping.models import Shipment, ShippingException, TrackingNumber

    order_id = desk["orders"][0]
    _count_all(station, order_id)
    with app.app_context():
        before = _where(order_id)
    heavy = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="1.2 kg")
    body = text(heavy)
    assert sound(heavy) == "scan-error"
    assert "expected 460 g, measured 1200 g, allowed ± 50 g" in body and "exceptions desk" in body
    with app.app_context():
        exception = db.session.scalar(select(ShippingException))
        assert (exception.kind, exception.status, exception.order_id) == ("weight", "open", order_id)
        assert _status(order_id) == "picked" and _where(order_id) == before
        assert _count(Shipment) == 0
        assert db.session.scalar(select(func.count(TrackingNumber.id)).filter_by(status="used")) == 0
        assert sum(_counted(order_id).values()) == 3  # what was counted stays; only the weight is asked again
    # the packer cannot simply weigh again: the order is the exceptions desk's now
    again = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="460 g")
    assert sound(again) == "scan-error" and "exceptions desk" in text(again)
    with app.app_context():
        assert _status(order_id) == "picked" and _count(Shipment) == 0


def test_a_supervisor_may_override_the_weight_check_after_re_weighing(app, desk, station, client):
    from erp_core.extensions import db
    from tests.conftest import login
    from wms.shipping.models import Shipment, ShippingException

    order_id = desk["orders"][0]
    _count_all(station, order_id)
    station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="1200 g")
    refused = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="1200 g",
                           override="1")
    assert sound(refused) == "scan-error" and "Only a supervisor" in text(refused)
    supervisor_client = app.test_client()
    login(supervisor_client, "supervisor")
    supervisor = Station(supervisor_client, desk)
    page = supervisor_client.get("/shipping/pack")  # the station shows the order where the packer left it
    assert 'data-order="S0"' in page.get_data(as_text=True) and 'name="override"' in page.get_data(as_text=True)
    packed = supervisor.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="1.21 kg",
                             override="1")
    assert sound(packed) == "scan-ok" and POOL[0] in text(packed)
    with app.app_context():
        shipment = db.session.scalar(select(Shipment))
        assert shipment.measured_weight_g == 1210 and _status(order_id) == "packed"
        exception = db.session.scalar(select(ShippingException))
        assert exception.status == "resolved" and "overridden" in exception.resolution


def test_a_multi_package_shipment_gets_the_units_assigned_to_each_package(app, desk, station):
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    order_id = desk["orders"][0]
    station.scan("S0")
    empty = station.post("package", order_id=order_id)
    assert sound(empty) == "scan-error"  # nothing in the open package yet
    station.scan("6901234567892", order_id=order_id)
    assert 'name="code"' in text(station.post("package", order_id=order_id))
    station.scan("BC-B", order_id=order_id, qty="2")
    first = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="0.4kg")
    assert "Now weigh package 2" in text(first)
    station.post("weigh", order_id=order_id, package=1, box_type_id=desk["boxes"]["S"], weight="120")
    with app.app_context():
        shipment = db.session.scalar(select(Shipment))
        parcels = {p.sequence: (p.weight_g, p.tracking_number,
                                sorted((line.sku.code, line.quantity) for line in shipment.lines
                                       if line.package_id == p.id)) for p in shipment.packages}
        assert parcels == {1: (400, POOL[0], [("A", 1)]), 2: (120, POOL[1], [("B", 2)])}
        assert _where(order_id) == {"PACK-01": 3}


def test_a_cart_of_single_item_orders_packs_an_order_with_one_scan_of_the_item(app, desk, station):
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    single_a, single_c = desk["orders"][1], desk["orders"][2]
    with app.app_context():
        cart = _cart_of(single_a)
        assert cart == _cart_of(single_c)
        cart_id = int(cart.rsplit("-", 1)[1])
    listed = station.scan(cart)
    assert "S1" in text(listed) and "S2" in text(listed) and 'name="cart_id"' in text(listed)
    packed = station.scan("6901234567892", cart_id=cart_id)
    assert sound(packed) == "scan-ok" and POOL[0] in text(packed) and "/waybill.pdf" in text(packed)
    scale = station.scan("BC-C", cart_id=cart_id, weight="1.5 kg")  # the scale's reading, within L 400 + 1100 g
    assert sound(scale) == "scan-ok" and POOL[1] in text(scale)
    with app.app_context():
        shipments = {s.order_id: s for s in db.session.scalars(select(Shipment))}
        assert shipments[single_a].expected_weight_g == shipments[single_a].measured_weight_g == 60 + 320
        assert shipments[single_a].packages[0].box_type.code == "S"
        assert shipments[single_c].packages[0].box_type.code == "L" and shipments[single_c].measured_weight_g == 1500
        assert _status(single_a) == _status(single_c) == "packed"
        assert _where(single_a) == _where(single_c) == {"PACK-01": 1}
    done = station.scan("6901234567892", cart_id=cart_id)
    assert sound(done) == "scan-error"  # nothing on the cart waits for A any more


def test_a_single_sku_wave_packs_the_next_order_with_each_scan_of_the_item(app, users, login_as):
    from erp_core.extensions import db
    from wms.picking.models import WaveOrder
    from wms.shipping.models import Shipment

    desk = shipping_floor(app, users, orders=[[("B", 1)], [("B", 2)], [("B", 1)]],
                          wave_rules={"bulk_sku_threshold": 3})
    station = Station(login_as("packer"), desk)
    with app.app_context():
        cart = _cart_of(desk["orders"][0])
        cart_id = int(cart.rsplit("-", 1)[1])
        sequence = list(db.session.scalars(select(WaveOrder.order_id).order_by(WaveOrder.sequence)))
    assert 'class="pack-single"' in text(station.scan(cart))
    for n in range(3):
        answer = station.scan("BC-B", cart_id=cart_id)
        assert sound(answer) == "scan-ok" and POOL[n] in text(answer) and "/waybill.pdf" in text(answer)
    with app.app_context():
        packed = [s.order_id for s in db.session.scalars(select(Shipment).order_by(Shipment.id))]
        assert packed == sequence
        assert [_where(o) for o in desk["orders"]] == [{"PACK-01": 1}, {"PACK-01": 2}, {"PACK-01": 1}]


def test_an_order_of_a_batch_wave_not_yet_sorted_is_refused(app, users, login_as):
    from wms.shipping.models import Shipment

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 1)], [("A", 1), ("B", 1)]],
                          wave_rules={"multi_item_mode": "batch_sort"})
    station = Station(login_as("packer"), desk)
    refused = station.scan("S0")
    assert sound(refused) == "scan-error" and "put wall" in text(refused)
    with app.app_context():
        cart = _cart_of(desk["orders"][0])
    assert sound(station.scan(cart)) == "scan-error"
    with app.app_context():
        assert _status(desk["orders"][0]) == "picked" and _count(Shipment) == 0
        assert _counted(desk["orders"][0]) == {}


def test_a_replayed_scan_is_counted_once(app, desk, station):
    order_id = desk["orders"][0]
    station.scan("S0")
    first = station.post("scan", key="scan-once", code="BC-B", order_id=order_id)
    second = station.post("scan", key="scan-once", code="BC-B", order_id=order_id)
    assert second.headers.get("Idempotent-Replayed") == "true" and text(first) == text(second)
    with app.app_context():
        assert _counted(order_id) == {order_lines(order_id)["B"]: 1}


def test_a_reload_shows_the_order_and_what_was_counted(app, desk, station):
    order_id = desk["orders"][0]
    station.scan("S0")
    station.scan("BC-B", order_id=order_id, qty="2")
    page = station.client.get("/shipping/pack")
    body = page.get_data(as_text=True)
    assert 'data-order="S0"' in body and "A ×1" in body
    assert "img-src 'self' data: https:" in page.headers["Content-Security-Policy"]


def test_the_carrier_changed_at_the_desk_gets_the_manual_waybills_scanned_number(app, desk, station):
    from erp_core.extensions import db
    from wms.shipping.models import Shipment, TrackingNumber

    with app.app_context():
        cart = _cart_of(desk["orders"][1])
        cart_id = int(cart.rsplit("-", 1)[1])
    station.scan(cart)
    station.scan("6901234567892", cart_id=cart_id)
    with app.app_context():
        first = db.session.scalar(select(Shipment))
        first_id = first.id
    changed = station.post(f"shipments/{first_id}/carrier", carrier="SF", cart_id=cart_id)
    assert sound(changed) == "scan-ok" and 'id="tracking-code"' in text(changed)
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Shipment, first_id).status == "cancelled"
        assert db.session.scalar(select(TrackingNumber.status).filter_by(number=POOL[0])) == "void"
        second = db.session.scalar(select(Shipment).where(Shipment.status == "packed"))
        assert (second.carrier.code, second.tracking_number) == ("SF", "")
        second_id = second.id
    saved = station.post(f"shipments/{second_id}/tracking", code="sf 1234 5678 9012")
    assert sound(saved) == "scan-ok" and "SF123456789012" in text(saved)
    with app.app_context():
        assert _status(desk["orders"][1]) == "packed" and _where(desk["orders"][1]) == {"PACK-01": 1}


def test_a_cart_of_several_orders_lists_them_and_a_unit_opens_the_order_waiting_for_it(app, users, login_as):
    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 1)], [("B", 1), ("C", 1)]])
    station = Station(login_as("packer"), desk)
    with app.app_context():
        cart = _cart_of(desk["orders"][0])
        cart_id = int(cart.rsplit("-", 1)[1])
    listed = station.scan(cart)
    assert "S0" in text(listed) and "S1" in text(listed)
    opened = station.scan("BC-C", cart_id=cart_id)
    assert sound(opened) == "scan-ok" and 'data-order="S1"' in text(opened)
    with app.app_context():
        assert _counted(desk["orders"][1]) == {order_lines(desk["orders"][1])["C"]: 1}


def test_the_pack_station_needs_a_station_of_the_users_warehouse_and_the_packing_permission(app, desk, login_as):
    from tests.conftest import login

    picker = app.test_client()
    login(picker, "picker")
    assert picker.get("/shipping/pack").status_code == 403
    packer = login_as("packer")
    page = packer.get("/shipping/pack")
    assert page.status_code == 200 and "PACK-01" in page.get_data(as_text=True) and "PACK-02" in page.get_data(
        as_text=True)
    csrf = page_csrf(packer, "/shipping/pack")
    unset = packer.post("/shipping/pack/scan", data={"code": "S0"}, headers={"X-CSRFToken": csrf, "HX-Request": "true"})
    assert unset.status_code == 409


def test_two_stations_confirming_one_order_at_once_pack_it_once(app, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from tests.concurrency import race
    from wms.shipping import pack_services
    from wms.shipping.models import Shipment

    order_id = desk["orders"][1]
    with app.app_context():
        station = db.session.get(Location, desk["station"])
        pack_services.scan(station, "S1")
        pack_services.scan(station, "6901234567892", order_id=order_id)
        other = db.session.scalar(select(Location.id).filter_by(code="PACK-02"))

    def weigh_at(location_id):
        def job():
            here = db.session.get(Location, location_id)
            return pack_services.weigh(here, order_id, package=0, box_type_id=desk["boxes"]["S"],
                                       weight_text="380 g").say
        return job

    outcomes = race(app, weigh_at(desk["station"]), weigh_at(other))
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    assert [o.value for o in outcomes if o.ok] == ["packed"]
    with app.app_context():
        assert _count(Shipment) == 1 and sum(_where(order_id).values()) == 1
