"""The exceptions desk (异常) through its routes: a short pick opens an exception; re-allocating it
reserves the missing units in another bin onto a new pick list (or says there is no stock, nothing
changed); shipping partial and cancelling the line change the line and let pack-out pack what is
held; a weight exception is re-weighed and packed; a damaged unit goes to a damaged bin and the line
is re-allocated or ships partial. Each resolves its exception with who and when; the order page
and the dashboard show them; a picker may not open the desk."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf
from tests.integration.test_shipping_core import _pack, _where
from tests.shipping_helpers import order_lines, shipping_floor

pytestmark = pytest.mark.timeout(300)


def _pick_with_short(app, desk, *, sku="B", found=0):
    """Release and pick everything; the task of `sku` finds only `found` units in its bin."""
    from erp_core.extensions import db
    from wms.picking.planning import WaveRules
    from wms.picking.services import confirm_pick, next_task, pick_list_for, report_short
    from wms.picking.waves import release_waves

    with app.app_context():
        release_waves(desk["wh"], WaveRules())
        _pick_all(desk, short={sku: found}, report_short=report_short, confirm_pick=confirm_pick,
                  next_task=next_task, pick_list_for=pick_list_for)
        db.session.expire_all()


def _pick_all(desk, *, short=None, report_short=None, confirm_pick=None, next_task=None, pick_list_for=None):
    from erp_core.extensions import db

    if confirm_pick is None:
        from wms.picking.services import confirm_pick, next_task, pick_list_for
    short = dict(short or {})
    while (pick_list := pick_list_for(desk["picker"], None)) is not None:
        while (task := next_task(pick_list)) is not None:
            if task.sku.code in short:
                report_short(task.id, found=short.pop(task.sku.code), user_id=desk["picker"])
            else:
                for _ in range(task.quantity - task.picked_quantity):
                    confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=task.sku.barcodes[0].code,
                                 user_id=desk["picker"])
            db.session.refresh(pick_list)
        db.session.expire_all()


def _exceptions(order_id, kind=None):
    from erp_core.extensions import db
    from wms.shipping.models import ShippingException

    db.session.expire_all()
    stmt = select(ShippingException).filter_by(order_id=order_id).order_by(ShippingException.id)
    if kind:
        stmt = stmt.filter_by(kind=kind)
    return db.session.scalars(stmt).all()


def _line(line_id):
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    db.session.expire_all()
    return db.session.get(OrderLine, line_id)


def _act(client, exception_id, what, **data):
    token = page_csrf(client, "/shipping/exceptions/")
    return client.post(f"/shipping/exceptions/{exception_id}/{what}", data={**data, "csrf_token": token})


def _pack_held(desk, order_id, weight=None):
    """Pack exactly what the order holds, per line, in one M box."""
    from erp_core.inventory.reservations import line_reserved
    from wms.shipping.services import PackedPackage

    units = {i: line_reserved(i) for i in order_lines(order_id).values() if line_reserved(i)}
    return _pack(desk, order_id, packages=[PackedPackage(desk["boxes"]["M"], weight or _weight(units), units)])


def _weight(units):
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    return 150 + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())


@pytest.fixture
def short_desk(app, users):
    """Order S0 of 1 A and 2 B, picked with B found 1 of 2 (no other bin has B): a short pick."""
    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]], pick=False)
    _pick_with_short(app, desk, found=1)
    return desk


def test_a_short_pick_that_finds_no_other_bin_opens_an_exception_on_the_desk(app, short_desk, login_as):
    order_id = short_desk["orders"][0]
    with app.app_context():
        [row] = _exceptions(order_id)
        assert row.kind == "short_pick" and row.status == "open"
        assert json.loads(row.details)["missing"] == 1
        assert _line(order_lines(order_id)["B"]).short_quantity == 1
        row_id = row.id
    page = login_as("supervisor").get("/shipping/exceptions/?kind=short_pick").get_data(as_text=True)
    assert f'data-exception="{row_id}"' in page and "S0" in page and "A01-03-1" in page


def test_re_allocating_a_short_pick_reserves_another_bin_on_a_new_pick_list(app, short_desk, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from wms.picking.models import PickTask

    order_id = short_desk["orders"][0]
    client = login_as("supervisor")
    with app.app_context():
        row_id = _exceptions(order_id)[0].id
        b_line = order_lines(order_id)["B"]
    refused = _act(client, row_id, "short", action="reallocate")  # only the short bin holds B
    assert refused.status_code == 409
    with app.app_context():
        assert _exceptions(order_id)[0].status == "open" and _line(b_line).short_quantity == 1
        spare = db.session.scalar(select(Location.id).filter_by(warehouse_id=short_desk["wh"], code="A01-04-1"))
        receive(short_desk["skus"]["B"], spare, 5, reference="PO-B")
    assert _act(client, row_id, "short", action="reallocate").status_code == 302
    with app.app_context():
        assert _exceptions(order_id)[0].status == "resolved" and _line(b_line).short_quantity == 0
        task = db.session.scalar(select(PickTask).filter_by(order_id=order_id, status="open"))
        assert (task.location.code, task.quantity) == ("A01-04-1", 1)
        assert task.pick_list.wave.status == "released"
        _pick_all(short_desk)  # the picker takes the new list; then the whole line packs
        assert _pack_held(short_desk, order_id).shipment is not None
        assert _where(order_id) == {"PACK-01": 3}


def test_shipping_partial_keeps_what_was_picked_and_pack_out_packs_it(app, short_desk, login_as):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    order_id = short_desk["orders"][0]
    with app.app_context():
        row_id = _exceptions(order_id)[0].id
        b_line = order_lines(order_id)["B"]
    assert _act(login_as("supervisor"), row_id, "short", action="ship_partial").status_code == 302
    with app.app_context():
        line = _line(b_line)
        assert (line.quantity, line.short_quantity, line.cancelled) == (1, 0, False)
        order = db.session.get(Order, order_id)
        assert str(order.goods_total) == "20.00"
        assert any(e.kind == "ship_partial" for e in order.events)
        shipment = _pack_held(short_desk, order_id).shipment
        assert sorted((sl.sku.code, sl.quantity) for sl in shipment.lines) == [("A", 1), ("B", 1)]
        row = _exceptions(order_id)[0]
        assert row.status == "resolved" and row.resolved_by_id is not None and "ships partial" in row.resolution


def test_cancelling_a_line_found_empty_cancels_it_and_the_rest_packs(app, users, login_as):
    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)]], pick=False)
    _pick_with_short(app, desk, found=0)
    order_id = desk["orders"][0]
    client = login_as("supervisor")
    with app.app_context():
        row_id = _exceptions(order_id)[0].id
        b_line = order_lines(order_id)["B"]
    assert _act(client, row_id, "short", action="cancel_line").status_code == 302
    again = _act(client, row_id, "short", action="cancel_line")
    assert again.status_code == 409  # resolved already: refused, nothing changed
    with app.app_context():
        assert _line(b_line).cancelled and _line(b_line).short_quantity == 0
        shipment = _pack_held(desk, order_id).shipment
        assert [(sl.sku.code, sl.quantity) for sl in shipment.lines] == [("A", 1)]


def test_cancelling_a_line_that_holds_picked_units_is_refused(app, short_desk, login_as):
    order_id = short_desk["orders"][0]
    with app.app_context():
        row_id = _exceptions(order_id)[0].id
    response = _act(login_as("supervisor"), row_id, "short", action="cancel_line")
    assert response.status_code == 409
    with app.app_context():
        assert _exceptions(order_id)[0].status == "open"
        assert not _line(order_lines(order_id)["B"]).cancelled


@pytest.fixture
def picked(app, users):
    return shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 2)]])


def test_a_weight_exception_is_re_weighed_and_packed_from_the_desk(app, picked, login_as):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    order_id = picked["orders"][0]
    with app.app_context():
        outcome = _pack(picked, order_id, 2000)
        assert outcome.exception is not None
        exception_id = outcome.exception.id
    client = login_as("supervisor")
    still_wrong = _act(client, exception_id, "reweigh", **{"weight-1": "1900"})
    assert still_wrong.status_code == 409
    with app.app_context():
        assert db.session.get(Order, order_id).status == "picked" and len(_exceptions(order_id)) == 1
    assert _act(client, exception_id, "reweigh", **{"weight-1": "550"}).status_code == 302
    with app.app_context():
        row = _exceptions(order_id)[0]
        assert row.status == "resolved" and row.shipment is not None and row.shipment.measured_weight_g == 550
        assert db.session.get(Order, order_id).status == "packed" and _where(order_id) == {"PACK-01": 3}


def test_a_weight_exception_can_be_resolved_with_a_note(app, picked, login_as):
    order_id = picked["orders"][0]
    with app.app_context():
        exception_id = _pack(picked, order_id, 2000).exception.id
    client = login_as("supervisor")
    assert _act(client, exception_id, "resolve", note="").status_code == 422
    assert _act(client, exception_id, "resolve", note="scale recalibrated, repacked").status_code == 302
    with app.app_context():
        row = _exceptions(order_id)[0]
        assert row.status == "resolved" and row.resolution == "scale recalibrated, repacked"
    desk_page = client.get("/shipping/exceptions/?status=all")
    assert desk_page.status_code == 200 and "scale recalibrated, repacked" in desk_page.get_data(as_text=True)


def _damaged(app, desk, order_id, sku="A"):
    from erp_core.extensions import db
    from erp_core.inventory.reservations import line_reservations
    from wms.locations.services import create_bin
    from wms.shipping.services import open_exception

    with app.app_context():
        bin_id = create_bin(desk["wh"], "DMG-01", "damaged").id
        line_id = order_lines(order_id)[sku]
        row = open_exception("damaged", order_id, warehouse_id=desk["wh"], order_line_id=line_id, sku=sku,
                             quantity=1)
        db.session.commit()
        [(cart, _lot, _qty)] = line_reservations(line_id)
        return row.id, bin_id, line_id, cart


def test_a_damaged_unit_goes_to_the_damaged_bin_and_the_line_ships_partial(app, picked, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockMove

    order_id = picked["orders"][1]  # 2 x A
    exception_id, bin_id, line_id, cart = _damaged(app, picked, order_id)
    client = login_as("supervisor")
    page = client.get("/shipping/exceptions/?kind=damaged").get_data(as_text=True)
    assert "DMG-01" in page
    response = _act(client, exception_id, "damaged", place=f"{line_id}:{cart}:", quantity="1",
                    damaged_bin_id=str(bin_id), then="ship_partial")
    assert response.status_code == 302
    with app.app_context():
        quant = db.session.scalar(select(Quant).filter_by(location_id=bin_id))
        assert (quant.quantity, quant.reserved_quantity) == (1, 0)
        move = db.session.scalar(select(StockMove).filter_by(to_location_id=bin_id))
        assert (move.reason, move.from_location_id) == ("move", cart)
        assert _line(line_id).quantity == 1 and sum(_where(order_id).values()) == 1
        assert _exceptions(order_id)[0].status == "resolved"
        assert _pack_held(picked, order_id).shipment is not None


def test_a_damaged_unit_set_aside_can_be_re_allocated(app, picked, login_as):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    order_id = picked["orders"][1]
    exception_id, bin_id, line_id, cart = _damaged(app, picked, order_id)
    response = _act(login_as("supervisor"), exception_id, "damaged", place=f"{line_id}:{cart}:", quantity="1",
                    damaged_bin_id=str(bin_id), then="reallocate")
    assert response.status_code == 302
    with app.app_context():
        assert _line(line_id).quantity == 2 and _line(line_id).short_quantity == 0
        task = db.session.scalar(select(PickTask).filter_by(order_id=order_id, status="open"))
        assert (task.location.code, task.quantity) == ("A01-01-1", 1)
        assert sum(_where(order_id).values()) == 2


def test_the_order_page_and_the_dashboard_show_the_exceptions(app, short_desk, login_as):
    client = login_as("supervisor")
    order_page = client.get(f"/orders/{short_desk['orders'][0]}").get_data(as_text=True)
    assert 'id="order-exceptions"' in order_page and "A01-03-1" in order_page
    dashboard = client.get("/").get_data(as_text=True)
    assert 'id="open-exceptions"' in dashboard
    assert '<span class="num">1</span><span class="label">Open exceptions' in dashboard


def test_a_picker_may_not_open_or_act_on_the_desk(app, short_desk, login_as):
    client = login_as("picker")
    assert client.get("/shipping/exceptions/").status_code == 403
    with app.app_context():
        row_id = _exceptions(short_desk["orders"][0])[0].id
    token = page_csrf(client, "/m/")
    response = client.post(f"/shipping/exceptions/{row_id}/short", data={"action": "ship_partial",
                                                                        "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        from erp_core.extensions import db
        from wms.shipping.models import ShippingException

        assert db.session.scalar(select(func.count(ShippingException.id)).filter_by(status="open")) == 1
