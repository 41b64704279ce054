"""Interception (拦截) through the order page and the API, and put-back (还库) by handheld scans: a
released order is simply cancelled; a picked one is intercepted with its units left on the cart and
an exception opened; a packed one has its pool waybill voided; a shipped one is refused. Put-back
scans the units into a storage bin with their lot, and then the order is cancelled holding nothing.
Raced with pack-out on one order, the order ends intercepted without a live parcel."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, race
from tests.conftest import page_csrf
from tests.integration.test_shipping_core import _pack, _where
from tests.shipping_helpers import POOL, release_and_pick, shipping_floor

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    return shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)]])


def _intercept(client, order_id, reason="buyer cancelled"):
    token = page_csrf(client, f"/orders/{order_id}")
    return client.post(f"/orders/{order_id}/intercept", data={"reason": reason, "csrf_token": token})


def _order(order_id):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return db.session.get(Order, order_id)


def _exceptions(order_id, kind="intercept"):
    from erp_core.extensions import db
    from wms.shipping.models import ShippingException

    db.session.expire_all()
    return db.session.scalars(select(ShippingException).filter_by(order_id=order_id, kind=kind)).all()


def test_intercepting_a_released_order_cancels_it_and_releases_its_stock(app, users, login_as):
    desk = shipping_floor(app, users, orders=[[("A", 2)]], pick=False)
    order_id = desk["orders"][0]
    client = login_as("supervisor")
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="intercept-order"' in page
    response = _intercept(client, order_id)
    assert response.status_code == 302
    with app.app_context():
        assert _order(order_id).status == "cancelled"
        assert _where(order_id) == {}
        assert _exceptions(order_id) == []


def test_intercepting_a_picked_order_leaves_its_units_on_the_cart_and_opens_an_exception(app, desk, login_as):
    order_id = desk["orders"][0]
    client = login_as("supervisor")
    response = _intercept(client, order_id)
    assert response.status_code == 302
    with app.app_context():
        assert _order(order_id).status == "intercepted"
        held = _where(order_id)
        assert sum(held.values()) == 3 and all(code.startswith("CART-") for code in held)
        [row] = _exceptions(order_id)
        assert row.status == "open" and '"buyer cancelled"' in row.details
    desk_page = client.get("/shipping/exceptions/?kind=intercept").get_data(as_text=True)
    assert f"/shipping/put-back/{order_id}" in desk_page and "buyer cancelled" in desk_page


def test_intercepting_an_order_being_picked_cancels_its_open_pick_tasks(app, users, login_as):
    from erp_core.extensions import db
    from wms.picking.models import PickTask
    from wms.picking.planning import WaveRules
    from wms.picking.services import confirm_pick, next_task, pick_list_for
    from wms.picking.waves import release_waves

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]], pick=False)
    order_id = desk["orders"][0]
    with app.app_context():
        release_waves(desk["wh"], WaveRules())
        task = next_task(pick_list_for(desk["picker"], None))
        confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=task.sku.barcodes[0].code,
                     user_id=desk["picker"])
        assert _order(order_id).status == "picking"
    assert _intercept(login_as("supervisor"), order_id).status_code == 302
    with app.app_context():
        assert _order(order_id).status == "intercepted"
        statuses = sorted(db.session.scalars(select(PickTask.status).filter_by(order_id=order_id)))
        assert statuses == ["cancelled", "done"]
        held = _where(order_id)  # the picked unit on the cart; the bin's reservation given back
        assert sum(held.values()) == 1 and all(code.startswith("CART-") for code in held)
        assert len(_exceptions(order_id)) == 1


def test_intercepting_a_packed_order_voids_its_pool_waybill_and_cancels_the_shipment(app, desk, client, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db
    from wms.shipping.models import TrackingNumber

    order_id = desk["orders"][0]
    with app.app_context():
        shipment = _pack(desk, order_id).shipment
        shipment_id, number, reference = shipment.id, shipment.tracking_number, shipment.reference
        assert number == POOL[0]
        _record, secret = create_api_token(users["supervisor"], "shop", users["admin"])
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "intercept-1"}
    response = client.post(f"/api/v1/orders/{order_id}/intercept", json={"reason": "address wrong"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "intercepted"
    replay = client.post(f"/api/v1/orders/{order_id}/intercept", json={"reason": "address wrong"}, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    with app.app_context():
        from wms.shipping.models import Shipment

        assert db.session.get(Shipment, shipment_id).status == "cancelled"
        assert db.session.scalar(select(TrackingNumber.status).filter_by(number=number)) == "void"
        assert _where(order_id) == {"PACK-01": 3}  # the units wait at the packing bin for the put-back
        [row] = _exceptions(order_id)
        assert reference in row.details


def test_a_shipped_order_cannot_be_intercepted(app, desk, client, users):
    from erp_core.auth.services import create_api_token
    from wms.shipping.services import ship_shipment

    order_id = desk["orders"][1]
    with app.app_context():
        ship_shipment(_pack(desk, order_id).shipment.id)
        _record, secret = create_api_token(users["supervisor"], "shop", users["admin"])
    response = client.post(f"/api/v1/orders/{order_id}/intercept", json={"reason": "too late"},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 409 and response.json["code"] == "not_interceptable"
    with app.app_context():
        assert _order(order_id).status == "shipped" and _exceptions(order_id) == []


def test_a_picker_may_not_intercept_an_order(app, desk, login_as):
    client = login_as("picker")
    token = page_csrf(client, "/m/")
    response = client.post(f"/orders/{desk['orders'][0]}/intercept", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert _order(desk["orders"][0]).status == "picked"


# --- put-back by scans ------------------------------------------------------------------------------

def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


def _scan(client, token, order_id, **fields):
    headers = {"X-CSRFToken": token, "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex}
    response = client.post(f"/shipping/put-back/{order_id}/scan", data=fields, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _sound(response) -> str:
    import json

    return next(iter(json.loads(response.headers["HX-Trigger"])))


@pytest.fixture
def lot_desk(app, users):
    """The desk with a lot-tracked SKU L (lot L-2027 in A01-06-1) and one order of 2 L, picked."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order

    desk = shipping_floor(app, users, orders=[], pick=False)
    with app.app_context():
        from erp_core.catalog.services import create_sku

        sku = create_sku("L", "Milk powder", barcodes=["BC-L"], weight_g=900)
        sku = db.session.get(Sku, sku.id)
        sku.lot_tracked = True
        db.session.commit()
        lot = get_or_create_lot(sku, "L-2027")
        db.session.commit()
        bin_id = db.session.scalar(select(Location.id).filter_by(warehouse_id=desk["wh"], code="A01-06-1"))
        receive(sku.id, bin_id, 5, reference="PO-L", lot_id=lot.id)
        order_id = make_order("LOT-1", [("L", 2)])
        approve_order(order_id)
        desk.update(order=order_id, lot=lot.id, sku_l=sku.id)
    release_and_pick(app, desk)
    return desk


def test_put_back_by_scans_returns_the_units_with_their_lot_then_cancels_the_order(app, lot_desk, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant, StockMove

    order_id = lot_desk["order"]
    client = login_as("supervisor")
    assert _intercept(client, order_id).status_code == 302
    token = page_csrf(client, "/m/")
    assert "LOT-1" in client.get("/shipping/put-back/").get_data(as_text=True)
    assert "L-2027" in client.get(f"/shipping/put-back/{order_id}").get_data(as_text=True)

    wrong = _scan(client, token, order_id, step="item", code="BC-A")
    assert _sound(wrong) == "scan-error"
    item = _scan(client, token, order_id, step="item", code="BC-L", qty="1")
    assert _sound(item) == "scan-ok"
    fields = _hidden(item.get_data(as_text=True))
    assert fields["step"] == "bin" and fields["qty"] == "1"
    not_sellable = _scan(client, token, order_id, **{**fields, "code": "PACK-01"})
    assert _sound(not_sellable) == "scan-error"
    with app.app_context():
        assert sum(_where(order_id).values()) == 2  # the refused bin scan changed nothing
    assert _sound(_scan(client, token, order_id, **{**fields, "code": "A01-04-1"})) == "scan-ok"
    with app.app_context():
        assert _order(order_id).status == "intercepted" and sum(_where(order_id).values()) == 1
    fields = _hidden(_scan(client, token, order_id, step="item", code="BC-L", qty="1").get_data(as_text=True))
    done = _scan(client, token, order_id, **{**fields, "code": "A01-04-1"})
    assert _sound(done) == "scan-ok"
    with app.app_context():
        assert _order(order_id).status == "cancelled" and _where(order_id) == {}
        target = db.session.scalar(select(Location.id).filter_by(warehouse_id=lot_desk["wh"], code="A01-04-1"))
        quant = db.session.scalar(select(Quant).filter_by(location_id=target, sku_id=lot_desk["sku_l"]))
        assert (quant.quantity, quant.reserved_quantity, quant.lot_id) == (2, 0, lot_desk["lot"])
        moves = db.session.scalars(select(StockMove).filter_by(to_location_id=target)).all()
        assert [(m.reason, m.lot_id, m.quantity) for m in moves] == [("move", lot_desk["lot"], 1)] * 2
        [row] = _exceptions(order_id)
        assert row.status == "resolved" and row.resolved_at is not None


def test_put_back_of_a_packed_order_takes_the_units_from_the_packing_bin(app, desk, login_as):
    order_id = desk["orders"][1]
    with app.app_context():
        _pack(desk, order_id)
    client = login_as("supervisor")
    assert _intercept(client, order_id).status_code == 302
    token = page_csrf(client, "/m/")
    fields = _hidden(_scan(client, token, order_id, step="item", code="6901234567892").get_data(as_text=True))
    assert _sound(_scan(client, token, order_id, **{**fields, "code": "A01-02-1"})) == "scan-ok"
    with app.app_context():
        assert _order(order_id).status == "cancelled" and _where(order_id) == {}


def test_intercept_raced_with_pack_out_ends_intercepted_without_a_live_parcel(app, desk):
    from erp_core.extensions import db
    from erp_core.orders.intercept import intercept_order
    from wms.shipping.models import Shipment

    order_id = desk["orders"][0]

    def pack():
        return _pack(desk, order_id).shipment.reference

    outcomes = race(app, pack, lambda: intercept_order(order_id, "buyer cancelled").status)
    assert not describe_errors(outcomes), describe_errors(outcomes)
    packed, intercepted = outcomes
    assert intercepted.ok  # a packed order is interceptable too: the interception always lands
    assert packed.ok or (packed.status, packed.code) == (409, "not_packable"), str(packed)
    with app.app_context():
        assert _order(order_id).status == "intercepted"
        live = db.session.scalar(select(func.count(Shipment.id)).where(Shipment.order_id == order_id,
                                                                        Shipment.status != "cancelled"))
        assert live == 0 and sum(_where(order_id).values()) == 3


def test_two_desks_putting_back_the_same_unit_at_once_put_it_back_once(app, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockMove
    from erp_core.inventory.reservations import line_reservations
    from erp_core.orders.intercept import intercept_order
    from tests.shipping_helpers import order_lines
    from wms.shipping.interception import put_back

    order_id = desk["orders"][1]  # one unit of A, picked onto its cart
    with app.app_context():
        intercept_order(order_id, "buyer cancelled")
        line_id = order_lines(order_id)["A"]
        [(cart_id, lot_id, qty)] = line_reservations(line_id)
        bin_code = db.session.scalar(select(Location.barcode).filter_by(warehouse_id=desk["wh"], code="A01-02-1"))

    def job():
        return put_back(order_id, order_line_id=line_id, from_location_id=cart_id, lot_id=lot_id, quantity=qty,
                        bin_scan=bin_code).status

    outcomes = race(app, job, job)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    with app.app_context():
        assert _order(order_id).status == "cancelled"
        moves = db.session.scalars(select(StockMove).where(StockMove.from_location_id == cart_id,
                                                           StockMove.reason == "move")).all()
        assert sum(m.quantity for m in moves) == qty
