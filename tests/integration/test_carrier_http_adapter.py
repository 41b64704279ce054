"""The reference API adapter `http_json` against a local fake carrier (127.0.0.1, a thread): pack-out
gets the waybill's number and routing code from the carrier, a carrier that is down refuses the
pack-out cleanly with nothing changed, cancelling at the desk tells the carrier, and the tracking
pull reads the carrier's events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.carrier_helpers import FakeCarrier, api_token, closed_port_url
from tests.shipping_helpers import order_lines, shipping_floor

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def fake():
    with FakeCarrier() as server:
        yield server


@pytest.fixture
def desk(app, client, users, fake):
    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]])
    auth = {"Authorization": f"Bearer {api_token(app, users)}"}
    created = client.post("/api/v1/carriers", headers=auth, json={
        "code": "JT", "name": "J&T Express", "name_zh": "极兔速递", "kind": "api", "adapter": "http_json",
        "api_url": fake.url, "api_key": "jt-secret"})
    assert created.status_code == 201, created.json
    assert client.post("/api/v1/carrier-rules", json={"priority": 1, "carrier": "JT"}, headers=auth).status_code == 201
    desk["auth"] = auth
    return desk


def _pack(desk):
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine
    from wms.shipping.services import PackedPackage, pack_out

    order_id = desk["orders"][0]
    units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
    return pack_out(order_id, station_location_id=desk["station"],
                    packages=[PackedPackage(desk["boxes"]["M"], 550, units)], user_id=None).shipment


def test_pack_out_with_the_api_carrier_gets_its_number_and_routing_code(app, desk, fake):
    with app.app_context():
        shipment = _pack(desk)
        assert (shipment.tracking_number, shipment.routing_code, shipment.hub_code) == (
            "JT880000000001", "310-A12 05", "HUB021")
        assert shipment.packages[0].tracking_number == "JT880000000001"
    method, path, headers, body = fake.requests[0]
    assert (method, path) == ("POST", "/waybills")
    assert headers["Authorization"] == "Bearer jt-secret"
    assert body["order"] == "S0" and body["recipient"]["province"] == "上海" and body["weight"] == 550
    assert body["packages"] == [{"sequence": 1, "weight": 550}]


def test_a_carrier_that_is_down_refuses_the_pack_out_and_changes_nothing(app, client, desk):
    from erp_core.errors import DomainError
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.shipping.models import Shipment

    assert client.patch("/api/v1/carriers/JT", json={"api_url": closed_port_url()},
                        headers=desk["auth"]).status_code == 200
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            _pack(desk)
        assert (refused.value.code, refused.value.status) == ("carrier_unavailable", 503)
        db.session.expire_all()
        assert db.session.get(Order, desk["orders"][0]).status == "picked"
        assert db.session.scalar(select(func.count(Shipment.id))) == 0


def test_a_carrier_answering_an_error_refuses_the_pack_out_too(app, desk, fake):
    from erp_core.errors import DomainError

    fake.fail_with = 500
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            _pack(desk)
        assert refused.value.code == "carrier_unavailable" and refused.value.details["problem"] == "HTTP 500"


def test_cancelling_at_the_desk_cancels_the_waybill_with_the_carrier(app, desk, fake):
    from erp_core.errors import DomainError
    from erp_core.extensions import db
    from wms.shipping.models import Shipment
    from wms.shipping.services import cancel_shipment

    with app.app_context():
        shipment_id = _pack(desk).id
        fake.fail_with = 503
        with pytest.raises(DomainError):
            cancel_shipment(shipment_id, reason="customer changed the address")
        db.session.expire_all()
        assert db.session.get(Shipment, shipment_id).status == "packed"  # the carrier was not told: nothing changed
        fake.fail_with = None
        assert cancel_shipment(shipment_id, reason="customer changed the address").status == "cancelled"
    assert fake.paths()[-1] == ("POST", "/waybills/JT880000000001/cancel")


def test_the_tracking_pull_reads_the_carriers_events_once(app, desk, fake):
    from erp_core.extensions import db
    from wms.shipping.models import TrackingEvent
    from wms.shipping.services import ship_shipment
    from wms.shipping.tracking import pull_tracking

    with app.app_context():
        shipment = ship_shipment(_pack(desk).id)
        shipped_at = shipment.shipped_at
        fake.events["JT880000000001"] = [
            {"external_id": "e1", "occurred_at": (shipped_at + timedelta(hours=2)).isoformat(), "code": "picked_up",
             "description": "揽收", "location": "上海"},
            {"external_id": "e2", "occurred_at": (shipped_at + timedelta(hours=9)).isoformat(), "code": "in_transit",
             "location": "杭州转运中心"}]
        first = pull_tracking(now=shipped_at + timedelta(hours=10))
        again = pull_tracking(now=shipped_at + timedelta(hours=11))
        assert (first.shipments, first.events, first.failed) == (1, 2, 0)
        assert again.events == 0
        assert db.session.scalar(select(func.count(TrackingEvent.id))) == 2
    assert fake.paths()[-1] == ("GET", "/tracking/JT880000000001")
