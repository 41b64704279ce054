"""One order's whole way out, through the routes as the desk uses them: picked on the floor, packed
at the station by scans, its waybill printed (the PDF's barcode scans back to the tracking number with
pdfium), handed over to the courier and shipped — the ledger ends at the customer, the reservations
are consumed, the order is shipped, the channel and the finance feed are in the outbox."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login, page_csrf
from tests.integration.test_pack_station import Station, _cart_of, sound
from tests.label_scans import decode, one_bit, pdfium_pages
from tests.shipping_helpers import POOL, shipping_floor

pytestmark = pytest.mark.timeout(300)


def test_an_order_goes_from_the_cart_to_the_customer_through_the_desk(app, client, users):
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import Location, Quant, StockMove, StockReservation
    from erp_core.orders.models import Order
    from erp_core.outbox import OutboxMessage
    from wms.shipping.models import Shipment

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]])
    order_id = desk["orders"][0]
    # packed at the station by scans
    login(client, "packer")
    station = Station(client, desk)
    with app.app_context():
        cart = _cart_of(order_id)
    station.scan(cart)
    station.scan("6901234567892", order_id=order_id)
    station.scan("BC-B", order_id=order_id, qty="2")
    packed = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="0.46 kg")
    assert sound(packed) == "scan-ok"
    link = re.search(r'href="(/shipping/shipments/\d+/waybill\.pdf)"', packed.get_data(as_text=True)).group(1)
    # the waybill the link gives scans back to the tracking number
    waybill = client.get(link)
    assert waybill.status_code == 200 and waybill.mimetype == "application/pdf"
    assert waybill.headers["Cache-Control"] == "no-store"
    found = [text for page in pdfium_pages(waybill.data) for texts in decode(one_bit(page)).values() for text in texts]
    assert POOL[0] in found
    # handed over to the courier and shipped
    client = app.test_client()  # the shipping clerk's own browser
    login(client, "shipping")
    opened = client.post("/shipping/manifests/", data={"csrf_token": page_csrf(client, "/shipping/manifests/"),
                                                       "carrier_id": desk["zto"], "warehouse_id": desk["wh"]})
    manifest_id = int(opened.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    scanned = client.post(f"/shipping/manifests/{manifest_id}/scan", headers={"HX-Request": "true"},
                          data={"csrf_token": page_csrf(client, "/"), "code": POOL[0]})
    assert scanned.status_code == 200
    closed = client.post(f"/shipping/manifests/{manifest_id}/close",
                         data={"csrf_token": page_csrf(client, "/"), "courier_name": "李师傅"})
    assert closed.status_code in (200, 302), closed.get_data(as_text=True)[:500]
    with app.app_context():
        shipment = db.session.scalar(select(Shipment))
        assert shipment.status == "shipped" and db.session.get(Order, order_id).status == "shipped"
        assert db.session.scalar(select(func.count(StockReservation.id))) == 0
        customer = db.session.scalar(select(Location.id).filter_by(code="CUSTOMER", warehouse_id=None))
        shipped = db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.to_location_id == customer))
        assert shipped == 3
        assert db.session.scalar(select(func.sum(Quant.quantity)).where(Quant.location_id == desk["station"])) == 0
        assert sorted(m.topic for m in db.session.scalars(select(OutboxMessage))) == [
            "channel.ship_confirmation", "finance.shipment"]
        assert stock_invariant_violations() == []
