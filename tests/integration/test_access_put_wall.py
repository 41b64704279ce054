"""The put wall refuses another warehouse's carts, order lines and slots at every step (issue #15: a
packer limited to SH1 moved SZ1 stock through the put-wall scan), and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.access_helpers import ledger_and_statuses, two_warehouses
from tests.conftest import login
from tests.integration.test_scan_routes_atomic import Handheld, sound

SORT = "/picking/sort/scan"


@pytest.fixture
def two(app, users):
    return two_warehouses(app, users)


def _line(app, order_id: int, sku_id: int) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    with app.app_context():
        return db.session.scalar(select(OrderLine.id).filter_by(order_id=order_id, sku_id=sku_id))


def _slot_barcode(app, wh_id: int, slot: int) -> str:
    from wms.picking.put_wall import slot_location

    with app.app_context():
        from erp_core.extensions import db

        barcode = slot_location(wh_id, slot).barcode
        db.session.commit()
        return barcode


def _sh1_sorter(app) -> Handheld:
    client = app.test_client()
    assert login(client, "sh_packer").status_code == 302
    return Handheld(client)


def _refused(response) -> None:
    kind, _message = sound(response)
    assert kind == "scan-error", response.headers["HX-Trigger"]


def test_a_packer_limited_to_sh1_cannot_sort_an_sz1_cart_at_any_step(app, two):
    # given both carts picked and slot labels on both walls; a packer limited to SH1
    sz, sh = two["sz"], two["sh"]
    sz_slot, sh_slot = _slot_barcode(app, sz["wh"], 1), _slot_barcode(app, sh["wh"], 1)
    sz_line = _line(app, sz["orders"][0], two["A"])
    sorter = _sh1_sorter(app)
    before = ledger_and_statuses(app)
    # when they scan SZ1's cart, an item for it, and confirm an SZ1 order line into a slot,
    # naming SZ1's cart, or their own SH1 cart with SZ1's order line
    attempts = [
        {"step": "cart", "code": sz["cart"]},
        {"step": "item", "list_id": sz["list"], "code": "BC-A"},
        {"step": "slot", "list_id": sz["list"], "line_id": sz_line, "sku_id": two["A"], "slot": 1, "code": sz_slot},
        {"step": "slot", "list_id": sh["list"], "line_id": sz_line, "sku_id": two["A"], "slot": 1, "code": sh_slot},
        {"step": "slot", "list_id": sh["list"], "line_id": sz_line, "sku_id": two["A"], "slot": 1, "code": sz_slot},
    ]
    for fields in attempts:
        # then each scan is refused
        _refused(sorter.scan(SORT, **fields))
    # and no unit moved, no reservation, order or cart changed
    assert ledger_and_statuses(app) == before


def test_the_put_wall_commands_say_nothing_about_another_warehouses_cart(app, two):
    # given a packer limited to SH1 and SZ1's cart, still full
    sorter = _sh1_sorter(app)
    # when they scan DONE on SZ1's cart
    answer = sorter.scan(SORT, step="item", list_id=two["sz"]["list"], code="CMD-DONE")
    # then it is refused as no such cart, not told how many units are on it
    _refused(answer)
    assert "still on the cart" not in answer.get_data(as_text=True)


def test_the_sh1_packer_still_sorts_their_own_cart(app, two):
    # given a packer limited to SH1 at SH1's cart
    sorter = _sh1_sorter(app)
    assert sound(sorter.scan(SORT, step="cart", code=two["sh"]["cart"]))[0] == "scan-ok"
    # when they scan an item
    answer = sorter.scan(SORT, step="item", list_id=two["sh"]["list"], code="BC-A")
    # then they are shown its slot
    assert sound(answer)[0] == "scan-ok"
