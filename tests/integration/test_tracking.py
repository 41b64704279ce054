"""Tracking (订单跟踪): the carrier's signed webhook (a good signature records the events, a bad one is
refused with nothing recorded, a replay is kept once), the events on the order page and its
timeline, and the rules that open one tracking exception per parcel: a returned/refused event, or
no movement for the carrier's stale hours after shipping."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.carrier_helpers import api_token, sign
from tests.shipping_helpers import POOL, order_lines, shipping_floor

pytestmark = pytest.mark.timeout(300)
KEY = "zto-webhook-key"


@pytest.fixture
def shipped(app, client, users):
    """Order S0 packed with ZTO (number POOL[0]) and shipped; ZTO's key set through the API."""
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine
    from wms.shipping.services import PackedPackage, pack_out, ship_shipment

    desk = shipping_floor(app, users, orders=[[("A", 1)]])
    auth = {"Authorization": f"Bearer {api_token(app, users)}"}
    assert client.patch("/api/v1/carriers/ZTO", json={"api_key": KEY}, headers=auth).status_code == 200
    with app.app_context():
        order_id = desk["orders"][0]
        units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
        shipment = pack_out(order_id, station_location_id=desk["station"],
                            packages=[PackedPackage(desk["boxes"]["M"], 470, units)], user_id=None).shipment
        shipment = ship_shipment(shipment.id)
        desk.update(shipment=shipment.id, shipped_at=shipment.shipped_at, order=order_id)
    return desk


def _events(shipped_at, *specs) -> bytes:
    return json.dumps({"events": [
        {"tracking_number": POOL[0], "external_id": eid, "occurred_at": (shipped_at + timedelta(hours=h)).isoformat(),
         "code": code, "description": desc, "location": "上海"} for eid, h, code, desc in specs]},
        ensure_ascii=False).encode()


def _post(client, body: bytes, signature: str):
    return client.post("/api/v1/carriers/ZTO/tracking", data=body, content_type="application/json",
                       headers={"X-Carrier-Signature": signature})


def _count(app, model, **where) -> int:
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(model.id)).filter_by(**where))


def test_a_signed_webhook_records_the_events_and_the_order_page_shows_them(app, client, shipped, login_as):
    from wms.shipping.models import TrackingEvent

    body = _events(shipped["shipped_at"], ("z-1", 1, "picked_up", "快递员已揽收"),
                   ("z-2", 5, "in_transit", "已到达转运中心"))
    response = _post(client, body, sign(KEY, body))
    assert response.status_code == 200, response.json
    assert response.json == {"accepted": 2, "duplicates": 0, "unknown": [], "exceptions": 0}
    assert _count(app, TrackingEvent) == 2
    page = login_as("supervisor").get(f"/orders/{shipped['order']}").get_data(as_text=True)
    assert "已到达转运中心" in page and "In transit" in page and "Picked up" in page
    assert page.count(f"{POOL[0]}: in_transit") == 1  # the order's timeline has the event once


def test_a_webhook_with_a_bad_signature_is_refused_and_records_nothing(app, client, shipped):
    from wms.shipping.models import TrackingEvent

    body = _events(shipped["shipped_at"], ("z-1", 1, "picked_up", ""))
    for signature in (sign("another-key", body), "", sign(KEY, body + b" ")):
        response = _post(client, body, signature)
        assert (response.status_code, response.json["code"]) == (401, "tracking_signature_invalid")
    assert _count(app, TrackingEvent) == 0


def test_a_replayed_webhook_is_kept_once(app, client, shipped):
    from wms.shipping.models import TrackingEvent

    body = _events(shipped["shipped_at"], ("z-1", 1, "picked_up", ""), ("z-2", 2, "in_transit", ""))
    assert _post(client, body, sign(KEY, body)).json["accepted"] == 2
    replay = _post(client, body, sign(KEY, body))
    assert replay.status_code == 200 and (replay.json["accepted"], replay.json["duplicates"]) == (0, 2)
    assert _count(app, TrackingEvent) == 2


def test_a_number_of_no_shipment_is_listed_back_and_a_bad_body_is_refused(app, client, shipped):
    body = json.dumps({"events": [{"tracking_number": "ZT9999", "external_id": "x", "code": "in_transit",
                                   "occurred_at": "2030-01-01T00:00:00Z"}]}).encode()
    assert _post(client, body, sign(KEY, body)).json["unknown"] == ["ZT9999"]
    bad = b'{"events": [{"tracking_number": "ZT1"}]}'
    response = _post(client, bad, sign(KEY, bad))
    assert (response.status_code, response.json["code"]) == (422, "bad_tracking_payload")


def test_a_returned_parcel_opens_one_tracking_exception(app, client, shipped):
    from wms.shipping.models import ShippingException

    body = _events(shipped["shipped_at"], ("z-1", 1, "in_transit", ""), ("z-9", 30, "returned", "收件人拒收退回"))
    assert _post(client, body, sign(KEY, body)).json["exceptions"] == 1
    later = _events(shipped["shipped_at"], ("z-10", 40, "refused", "再次拒收"))
    assert _post(client, later, sign(KEY, later)).json["exceptions"] == 0
    assert _count(app, ShippingException, kind="tracking", shipment_id=shipped["shipment"]) == 1


def test_a_parcel_without_movement_for_its_stale_hours_opens_one_exception(app, client, shipped):
    from erp_core.extensions import db
    from wms.shipping.models import ShippingException
    from wms.shipping.tracking import flag_stale

    body = _events(shipped["shipped_at"], ("z-1", 10, "in_transit", ""))
    _post(client, body, sign(KEY, body))
    with app.app_context():
        # ZTO's 72 hours run from the last movement (10 h after shipping), not from the shipping time
        assert flag_stale(now=shipped["shipped_at"] + timedelta(hours=80)) == 0
        assert flag_stale(now=shipped["shipped_at"] + timedelta(hours=83)) == 1
        assert flag_stale(now=shipped["shipped_at"] + timedelta(hours=200)) == 0
        exception = db.session.scalar(select(ShippingException).filter_by(kind="tracking"))
        assert json.loads(exception.details)["reason"] == "stale"
    assert _count(app, ShippingException, kind="tracking") == 1


def test_a_delivered_parcel_is_never_stale(app, client, shipped):
    from wms.shipping.models import ShippingException
    from wms.shipping.tracking import flag_stale

    body = _events(shipped["shipped_at"], ("z-1", 10, "delivered", "已签收"))
    _post(client, body, sign(KEY, body))
    with app.app_context():
        assert flag_stale(now=shipped["shipped_at"] + timedelta(days=20)) == 0
    assert _count(app, ShippingException, kind="tracking") == 0


def test_the_webhook_is_in_the_openapi_document_without_a_login(app, login_as):
    spec = login_as("admin").get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/carriers/{code}/tracking"]["post"]
    assert post["security"] == []
    assert {"/api/v1/carriers", "/api/v1/carrier-rules", "/api/v1/carriers/{code}/numbers"} <= set(spec["paths"])
