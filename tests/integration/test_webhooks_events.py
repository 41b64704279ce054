"""Webhook events (事件推送) from real business actions, each delivered to a local receiver that checks
the signature with the secret shown at creation: an order created (API and file import), its status
changes (audit, cancel), a shipment shipped, a tracking exception, an adjustment below the reorder
point; and nothing announced by a change that rolls back or when nobody subscribes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.carrier_helpers import api_token
from tests.integration.conftest import make_order
from tests.webhook_helpers import Receiver, allow_local_targets, send, subscribe

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def receiver(app, monkeypatch):
    allow_local_targets(app, monkeypatch)
    with Receiver() as running:
        yield running


@pytest.fixture
def admin_api(app, users):
    return {"Authorization": f"Bearer {api_token(app, users, 'admin')}"}


def _deliveries(app) -> int:
    from erp_core.extensions import db
    from erp_core.webhooks.models import WebhookDelivery

    with app.app_context():
        return db.session.scalar(select(func.count(WebhookDelivery.id)))


def test_an_order_created_through_the_api_is_delivered_signed_to_the_receiver(app, client, world, receiver,
                                                                              admin_api):
    # given a webhook for new orders, its secret given to the receiver
    _id, receiver.secret = subscribe(client, admin_api, receiver.url, ["order.created"])
    # when an order comes in through the API and the sender runs
    order = client.post("/api/v1/orders", headers={**admin_api, "Idempotency-Key": uuid.uuid4().hex}, json={
        "channel": "TM", "external_id": "TM-1001", "ship_name": "王芳", "ship_phone": "13800138000",
        "ship_province": "上海", "ship_city": "上海市", "ship_address": "中山路 100 号",
        "lines": [{"sku": "A", "quantity": 2, "unit_price": "59.00"}]})
    assert order.status_code == 201, order.json
    assert send(app) == {"delivered": 1, "retrying": 0, "failed": 0}
    # then the receiver got one POST it can verify, saying which order and what was ordered
    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-WMS-Event"] == "order.created" and got.headers["X-WMS-Delivery"] == str(got.body["id"])
    assert got.body["type"] == "order.created" and got.body["created_at"]
    data = got.body["data"]
    assert (data["order_id"], data["order_number"], data["channel"], data["status"]) == (
        order.json["id"], "TM-1001", "TM", "pending")
    assert data["lines"] == [{"sku": "A", "quantity": 2, "unit_price": "59.00"}] and data["goods_total"] == "118.00"
    assert "ship_phone" not in data  # personal data stays home: the receiver reads the order by API if it may


def test_an_imported_file_announces_every_new_order_once(app, client, receiver, admin_api):
    from pathlib import Path

    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.channels.services import import_order_files
    from erp_core.extensions import db
    from tests.unit.importer_helpers import KNOWN_SKUS

    with app.app_context():
        for code in sorted(KNOWN_SKUS):
            create_sku(code, code.title())
        db.session.add(Channel(code="SHOPIFY", name="Shopify", platform="shopify"))
        db.session.commit()
    _id, receiver.secret = subscribe(client, admin_api, receiver.url, ["order.created"])
    name = "shopify_orders_export.csv"
    raw = (Path(__file__).resolve().parents[1] / "fixtures" / "imports" / name).read_bytes()
    with app.app_context():
        created = import_order_files("SHOPIFY", [(name, raw)]).created  # the bulk path
    send(app)
    assert sorted(r.body["data"]["order_id"] for r in receiver.received) == sorted(created) and created
    assert all(r.signature_ok for r in receiver.received)


def test_auditing_and_cancelling_an_order_announce_each_status_change(app, client, world, receiver, admin_api):
    from erp_core.orders.services import cancel_order
    from erp_core.orders.workflow import audit_order

    _id, receiver.secret = subscribe(client, admin_api, receiver.url, ["order.status_changed"])
    with app.app_context():
        order_id = make_order("TM-2001", [("A", 1)])
        audit_order(order_id)
        cancel_order(order_id, "buyer changed their mind")
    send(app)
    changes = [(r.body["data"]["from"], r.body["data"]["to"]) for r in receiver.received]
    assert changes[0][0] == "pending" and changes[-1][1] == "cancelled"
    assert all(a[1] == b[0] for a, b in zip(changes, changes[1:], strict=False))  # one unbroken chain
    assert {r.body["data"]["order_number"] for r in receiver.received} == {"TM-2001"}
    assert all(r.signature_ok for r in receiver.received)


@pytest.fixture
def shipped(app, users):
    """Order S0 packed with ZTO and shipped (its webhook subscription made by the test first)."""

    def ship() -> dict:
        from erp_core.extensions import db
        from erp_core.orders.models import OrderLine
        from tests.shipping_helpers import order_lines, shipping_floor
        from wms.shipping.services import PackedPackage, pack_out, ship_shipment

        desk = shipping_floor(app, users, orders=[[("A", 1)]])
        with app.app_context():
            order_id = desk["orders"][0]
            units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
            shipment = pack_out(order_id, station_location_id=desk["station"],
                                packages=[PackedPackage(desk["boxes"]["M"], 470, units)], user_id=None).shipment
            shipment = ship_shipment(shipment.id)
            return {"order": order_id, "shipment": shipment.id, "reference": shipment.reference,
                    "tracking_number": shipment.tracking_number, "shipped_at": shipment.shipped_at}

    return ship


def test_shipping_a_parcel_announces_the_shipment_with_its_tracking_number(app, client, users, receiver, shipped):
    _id, receiver.secret = subscribe(client, {"Authorization": f"Bearer {api_token(app, users, 'admin')}"},
                                     receiver.url, ["shipment.shipped"])
    parcel = shipped()
    send(app)
    [got] = receiver.received
    assert got.signature_ok and got.body["type"] == "shipment.shipped"
    data = got.body["data"]
    assert (data["shipment"], data["order_id"], data["carrier_code"], data["tracking_number"]) == (
        parcel["reference"], parcel["order"], "ZTO", parcel["tracking_number"])
    assert data["packages"] and data["shipped_at"]


def test_a_returned_parcel_and_a_stale_one_announce_one_tracking_exception_each(app, client, users, receiver,
                                                                               shipped):
    from wms.shipping.carriers import TrackingUpdate
    from wms.shipping.tracking import flag_stale, record_updates

    _id, receiver.secret = subscribe(client, {"Authorization": f"Bearer {api_token(app, users, 'admin')}"},
                                     receiver.url, ["tracking.exception"])
    parcel = shipped()
    with app.app_context():
        back = TrackingUpdate("z-9", parcel["shipped_at"] + timedelta(hours=30), "returned", "拒收退回")
        record_updates(parcel["shipment"], [back])
        record_updates(parcel["shipment"], [back])  # the carrier sends it again: still one exception
        assert flag_stale(now=parcel["shipped_at"] + timedelta(days=20)) == 0  # flagged already
    send(app)
    [got] = receiver.received
    assert got.signature_ok and got.body["type"] == "tracking.exception"
    assert (got.body["data"]["reason"], got.body["data"]["shipment"]) == ("returned", parcel["reference"])


def test_an_adjustment_below_the_reorder_point_announces_low_stock(app, client, world, receiver, admin_api):
    from erp_core.inventory.alerts import set_reorder_rule
    from erp_core.inventory.services import adjust_counted

    _id, receiver.secret = subscribe(client, admin_api, receiver.url, ["stock.below_reorder_point"])
    with app.app_context():
        set_reorder_rule(world["a"], world["sh"], 10, 40)  # A: 15 on hand in SH1
        adjust_counted(world["a"], world["sh_pick"], 8, reason_code="damaged")  # 13: not low yet
        adjust_counted(world["a"], world["sh_pick"], 2, reason_code="lost")  # 7: crosses
    send(app)
    [got] = receiver.received
    assert got.signature_ok and got.body["type"] == "stock.below_reorder_point"
    data = got.body["data"]
    assert (data["sku_code"], data["warehouse_code"], data["available"], data["min_quantity"],
            data["suggested_quantity"]) == ("A", "SH1", 7, 10, 33)


def test_a_change_that_rolls_back_announces_nothing(app, client, world, receiver, admin_api):
    from erp_core.db import atomic

    subscribe(client, admin_api, receiver.url, ["order.created", "order.status_changed"])
    with app.app_context(), pytest.raises(RuntimeError), atomic():
        make_order("TM-3001", [("A", 1)])
        raise RuntimeError("the request failed after the order was written")
    assert _deliveries(app) == 0
    assert send(app) == {"delivered": 0, "retrying": 0, "failed": 0} and receiver.received == []


def test_without_subscriptions_or_with_a_switched_off_one_nothing_is_written(app, client, world, admin_api,
                                                                              monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["erp.example.com"])
    assert client.get("/api/v1/webhooks", headers=admin_api).json["total"] == 0
    with app.app_context():
        make_order("TM-4001", [("A", 1)])
    assert _deliveries(app) == 0
    # a subscription switched off hears nothing either
    webhook_id, _secret = subscribe(client, admin_api, "https://erp.example.com/hooks", ["order.created"],
                                    active=False)
    with app.app_context():
        make_order("TM-4002", [("A", 1)])
    assert _deliveries(app) == 0 and webhook_id
