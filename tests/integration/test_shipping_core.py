"""The shipping desk's services: pack-out into a shipment (units and reservations to the packing bin,
the order packed, a pool number taken), the weight check, incomplete and extra packing refused,
multi-package shipments, shipping (units to the customer, reservations consumed, the outbox told),
cancelling at the desk; and each of them raced against itself on one order or one pool."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from erp_core.errors import Conflict, ValidationFailed
from tests.concurrency import race
from tests.shipping_helpers import POOL, order_lines, shipping_floor
from tests.shipping_helpers import reserved_where as _where

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    return shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)], [("C", 1)]])


def _pack(desk, order_id, weight=None, *, packages=None, **kwargs):
    from wms.shipping.services import PackedPackage, pack_out

    lines = order_lines(order_id)
    if packages is None:
        from erp_core.extensions import db
        from erp_core.orders.models import OrderLine

        units = {i: db.session.get(OrderLine, i).quantity for i in lines.values()}
        packages = [PackedPackage(desk["boxes"]["M"], weight if weight is not None else _expected(units, "M"), units)]
    return pack_out(order_id, station_location_id=desk["station"], packages=packages, user_id=None, **kwargs)


def _expected(units: dict[int, int], box: str) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    tare = {"S": 60, "M": 150, "L": 400}[box]
    return tare + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())




def test_pack_out_moves_the_units_to_the_station_and_packs_the_order_with_a_pool_number(app, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.orders.models import Order

    with app.app_context():
        order_id = desk["orders"][0]
        assert _where(order_id) and all(code.startswith("CART-") for code in _where(order_id))
        outcome = _pack(desk, order_id)
        shipment = outcome.shipment
        assert outcome.exception is None and shipment.tracking_number == POOL[0]
        assert shipment.carrier.code == "ZTO" and shipment.carrier_note.startswith("rule #")
        assert db.session.get(Order, order_id).status == "packed"
        assert _where(order_id) == {"PACK-01": 3}
        assert sorted((line.sku.code, line.quantity) for line in shipment.lines) == [("A", 1), ("B", 2)]
        assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "pack")) == 2


def test_a_weight_outside_the_tolerance_opens_an_exception_and_changes_nothing_else(app, desk):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.shipping.models import Shipment, ShippingException

    with app.app_context():
        order_id = desk["orders"][0]
        before = _where(order_id)
        outcome = _pack(desk, order_id, weight=2000)  # expected 150 + 320 + 80 = 550 g, ± 55 g
        assert outcome.shipment is None and outcome.weight.expected_g == 550 and outcome.weight.allowed_g == 55
        assert db.session.get(Order, order_id).status == "picked" and _where(order_id) == before
        assert db.session.scalar(select(func.count(Shipment.id))) == 0
        exception = db.session.scalar(select(ShippingException))
        assert (exception.kind, exception.order_id, exception.status) == ("weight", order_id, "open")
        # a supervisor who re-weighed may override
        assert _pack(desk, order_id, weight=2000, override_weight=True).shipment is not None


def test_a_missing_or_an_extra_unit_is_refused_and_nothing_changes(app, desk):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.shipping.services import PackedPackage

    with app.app_context():
        order_id = desk["orders"][0]
        lines = order_lines(order_id)
        before = _where(order_id)
        with pytest.raises(ValidationFailed) as missing:
            _pack(desk, order_id, packages=[PackedPackage(None, 400, {lines["A"]: 1, lines["B"]: 1})])
        assert missing.value.code == "pack_incomplete" and "B ×1" in missing.value.details["skus"]
        with pytest.raises(ValidationFailed) as extra:
            _pack(desk, order_id, packages=[PackedPackage(None, 700, {lines["A"]: 2, lines["B"]: 2})])
        assert extra.value.code == "pack_too_many"
        assert db.session.get(Order, order_id).status == "picked" and _where(order_id) == before


def test_a_multi_package_shipment_gives_each_parcel_its_own_number(app, desk):
    from wms.shipping.services import PackedPackage

    with app.app_context():
        order_id = desk["orders"][0]
        lines = order_lines(order_id)
        outcome = _pack(desk, order_id, packages=[PackedPackage(desk["boxes"]["S"], 380, {lines["A"]: 1}),
                                                  PackedPackage(desk["boxes"]["S"], 140, {lines["B"]: 2})])
        packages = outcome.shipment.packages
        assert [p.tracking_number for p in packages] == POOL[:2]
        assert [(p.sequence, p.weight_g) for p in packages] == [(1, 380), (2, 140)]


def test_shipping_moves_the_units_to_the_customer_and_tells_the_channel_and_finance(app, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockMove
    from erp_core.orders.models import Order
    from erp_core.outbox import OutboxMessage
    from wms.shipping.services import ship_shipment

    with app.app_context():
        order_id = desk["orders"][1]
        shipment_id = _pack(desk, order_id).shipment.id
        ship_shipment(shipment_id)
        assert db.session.get(Order, order_id).status == "shipped"
        assert _where(order_id) == {}
        assert db.session.scalar(select(func.sum(Quant.quantity)).where(Quant.location_id == desk["station"])) == 0
        assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "ship")) == 1
        topics = sorted(m.topic for m in db.session.scalars(select(OutboxMessage)))
        assert topics == ["channel.ship_confirmation", "finance.shipment"]
        confirmation = db.session.scalar(select(OutboxMessage).filter_by(topic="channel.ship_confirmation")).data()
        assert confirmation["tracking_number"] == POOL[0] and confirmation["carrier_code"] == "ZTO"
        with pytest.raises(Conflict) as twice:
            ship_shipment(shipment_id)
        assert twice.value.code == "shipment_not_shippable"


def test_a_manual_carrier_needs_the_typed_number_before_the_parcel_ships(app, desk):
    from wms.shipping.services import set_tracking_number, ship_shipment

    with app.app_context():
        shipment = _pack(desk, desk["orders"][1], carrier_code="sf").shipment
        assert (shipment.carrier.code, shipment.tracking_number) == ("SF", "")
        with pytest.raises(Conflict) as missing:
            ship_shipment(shipment.id)
        assert missing.value.code == "tracking_number_missing"
        set_tracking_number(shipment.id, " sf 1234 5678 9012 ")
        assert ship_shipment(shipment.id).tracking_number == "SF123456789012"


def test_cancelling_at_the_desk_voids_the_number_and_keeps_the_units_at_the_station(app, desk):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.shipping.models import TrackingNumber
    from wms.shipping.services import cancel_shipment

    with app.app_context():
        order_id = desk["orders"][1]
        shipment = _pack(desk, order_id).shipment
        cancel_shipment(shipment.id, reason="box damaged")
        assert db.session.get(Order, order_id).status == "picked"
        assert _where(order_id) == {"PACK-01": 1}
        assert db.session.scalar(select(TrackingNumber.status).filter_by(number=POOL[0])) == "void"
        repacked = _pack(desk, order_id).shipment  # nothing to move: the units are at the station already
        assert repacked.tracking_number == POOL[1]


def test_two_desks_packing_one_order_at_once_pack_it_once(app, desk):
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    order_id = desk["orders"][0]

    def pack():
        return _pack(desk, order_id).shipment.reference

    outcomes = race(app, pack, pack)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    assert [o.code for o in outcomes if not o.ok] == ["not_packable"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Shipment.id))) == 1
        assert _where(order_id) == {"PACK-01": 3}


def test_two_confirmations_of_one_parcel_at_once_ship_it_once(app, desk):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from wms.shipping.services import ship_shipment

    with app.app_context():
        shipment_id = _pack(desk, desk["orders"][1]).shipment.id
    outcomes = race(app, lambda: ship_shipment(shipment_id).reference, lambda: ship_shipment(shipment_id).reference)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    with app.app_context():
        assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "ship")) == 1


def test_eight_desks_taking_pool_numbers_at_once_never_share_one(app, desk):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from wms.shipping.carriers.pool import claim_number
    from wms.shipping.models import TrackingNumber

    def claim():
        with atomic():
            return claim_number(desk["zto"])

    outcomes = race(app, *[claim] * 8)
    assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
    numbers = [o.value for o in outcomes]
    assert len(set(numbers)) == 8 and set(numbers) == set(POOL[:8])
    with app.app_context():
        assert db.session.scalar(select(func.count(TrackingNumber.id)).filter_by(status="used")) == 8
