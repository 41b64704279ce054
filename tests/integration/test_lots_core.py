"""Lots in the stock core: FEFO allocation within the shipping limit, held and expired lots never
allocated, lot-tracked stock never without its lot, and lots under concurrency (also on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from erp_core.errors import ValidationFailed
from tests.builders import FloorBuilder
from tests.concurrency import race

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def milk(app):
    """SH1 with a pick bin P-01 and a reserve bin R-01; milk powder M tracked by lot (shelf life 360 days,
    at least 30 days left when shipped) with lots: SHORT (10 days left, 5 in P-01), MID (100 days left,
    2 in R-01), LONG (200 days left, 10 in P-01); an untracked cup C; shops TM (no rule) and PDD (2/3
    of the shelf life must be left)."""
    from erp_core.catalog.models import Sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", province="上海", key="sh")
             .bin("P-01", "pick", key="pick").bin("R-01", "reserve", key="reserve")
             .sku("M", "Milk powder", key="m").sku("C", "Cup", key="c")
             .channel("TM", "Tmall", "tmall").channel("PDD", "Pinduoduo", "pinduoduo", key="pdd")
             .stock("c", "pick", 4)
             .build(app))
    with app.app_context():
        sku = db.session.get(Sku, floor["m"])
        sku.lot_tracked, sku.shelf_life_days, sku.min_ship_life_days = True, 360, 30
        db.session.get(Channel, floor["pdd"]).min_ship_life_percent = 67
        db.session.commit()
        today = business_today()
        lots = {}
        for number, days, bin_key, qty in (("SHORT", 10, "pick", 5), ("MID", 100, "reserve", 2),
                                           ("LONG", 200, "pick", 10)):
            lot = get_or_create_lot(sku, number, expiry_date=today + timedelta(days=days))
            db.session.commit()
            receive(sku.id, floor[bin_key], qty, reference="PO-1", lot_id=lot.id)
            lots[number] = lot.id
    return {"floor": floor, "lots": lots, "today": today}


def _order(external_id, qty, channel="TM", sku="M"):
    from erp_core.models_base import utcnow
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    return create_order(NewOrder(
        channel_code=channel, external_id=external_id, lines=[NewOrderLine(sku, qty, Decimal("99"))],
        ship_name="王芳", ship_phone="13800138000", ship_province="上海", ship_city="上海市",
        ship_address="中山路 100 号", buyer_id="tb_1", paid_at=utcnow())).id


def _reserved_by_lot(order_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot, StockReservation
    from erp_core.orders.models import OrderLine

    db.session.expire_all()
    return dict(db.session.execute(
        select(Lot.lot_number, func.sum(StockReservation.quantity)).join(Lot, Lot.id == StockReservation.lot_id)
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id).where(OrderLine.order_id == order_id)
        .group_by(Lot.lot_number)).all())


def _allocate(order_id):
    from erp_core.orders.workflow import approve_order

    return approve_order(order_id).status


def test_allocation_takes_the_earliest_expiring_lots_that_still_meet_the_shipping_limit(app, milk):
    with app.app_context():
        order_id = _order("1", 4)
        assert _allocate(order_id) == "released"
        # SHORT has 10 days left (< 30): never; MID expires first among the rest, then LONG.
        assert _reserved_by_lot(order_id) == {"MID": 2, "LONG": 2}


def test_a_platform_rule_of_two_thirds_of_the_shelf_life_leaves_only_lots_with_enough_life(app, milk):
    with app.app_context():
        # 67% of 360 days = 242 days must be left: no lot qualifies, so the order waits for stock.
        order_id = _order("2", 1, channel="PDD")
        assert _allocate(order_id) == "backordered"
        assert _reserved_by_lot(order_id) == {}


def test_a_lot_on_hold_and_an_expired_lot_are_never_allocated(app, milk):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot
    from erp_core.inventory.reservations import available_by_warehouse, stock_levels

    with app.app_context():
        sh, m = milk["floor"]["sh"], milk["floor"]["m"]
        db.session.get(Lot, milk["lots"]["MID"]).on_hold = True
        db.session.get(Lot, milk["lots"]["SHORT"]).expiry_date = milk["today"] - timedelta(days=1)
        db.session.commit()
        [level] = stock_levels(sku_ids=[m])
        assert (level.on_hand, level.available) == (17, 10)  # on hand counts them; available does not
        assert available_by_warehouse([m])[sh][m] == 10
        order_id = _order("3", 3)
        assert _allocate(order_id) == "released"
        assert _reserved_by_lot(order_id) == {"LONG": 3}


def test_availability_for_an_order_counts_only_lots_within_its_shipping_limit(app, milk):
    from erp_core.inventory.lots import shipping_limits
    from erp_core.inventory.reservations import available_by_warehouse

    with app.app_context():
        sh, m, c = milk["floor"]["sh"], milk["floor"]["m"], milk["floor"]["c"]
        limits = shipping_limits([m, c])
        assert set(limits) == {m}  # the untracked cup has no limit
        assert available_by_warehouse([m, c], min_expiry=limits)[sh] == {m: 12, c: 4}
        strict = shipping_limits([m], channel_percent=50)  # 180 days: only LONG
        assert available_by_warehouse([m], min_expiry=strict)[sh] == {m: 10}


def test_lot_tracked_stock_never_moves_without_its_lot_and_untracked_stock_never_with_one(app, milk):
    from erp_core.inventory.services import move_stock, receive

    with app.app_context():
        floor, lots = milk["floor"], milk["lots"]
        with pytest.raises(ValidationFailed) as missing:
            receive(floor["m"], floor["pick"], 1)
        assert missing.value.code == "lot_required"
        with pytest.raises(ValidationFailed) as foreign:
            move_stock(floor["c"], floor["pick"], floor["reserve"], 1, reason="move", lot_id=lots["LONG"])
        assert foreign.value.code == "lot_of_other_sku"
        move_stock(floor["m"], floor["pick"], floor["reserve"], 3, reason="move", lot_id=lots["LONG"])
        from erp_core.extensions import db
        from erp_core.inventory.models import Quant

        rows = db.session.execute(select(Quant.location_id, Quant.quantity).where(
            Quant.lot_id == lots["LONG"]).order_by(Quant.location_id)).all()
        assert sorted(q for _, q in rows) == [3, 7]


def test_one_lot_number_keeps_one_expiry_and_a_production_date_gives_the_expiry(app, milk):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot

    with app.app_context():
        sku = db.session.get(Sku, milk["floor"]["m"])
        with pytest.raises(ValidationFailed) as differs:
            get_or_create_lot(sku, "long", expiry_date=milk["today"])  # numbers are case-insensitive
        assert differs.value.code == "lot_expiry_differs"
        produced = milk["today"] - timedelta(days=60)
        lot = get_or_create_lot(sku, " new  1 ", production_date=produced)
        assert (lot.lot_number, lot.expiry_date) == ("NEW 1", produced + timedelta(days=360))
        with pytest.raises(ValidationFailed) as undated:
            get_or_create_lot(sku, "NODATE")
        assert undated.value.code == "lot_expiry_required"


def test_two_orders_racing_for_the_last_units_of_the_earliest_lot_never_reserve_them_twice(app, milk):
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import Quant

    with app.app_context():
        first, second = _order("R1", 2), _order("R2", 2)
    outcomes = race(app, lambda: _allocate(first), lambda: _allocate(second))
    assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
    with app.app_context():
        # Both released: one took MID's two units, the other went on to LONG (FEFO, never MID twice).
        taken = [_reserved_by_lot(first), _reserved_by_lot(second)]
        assert sorted(taken, key=lambda t: sorted(t)) == [{"LONG": 2}, {"MID": 2}]
        mid = db.session.scalar(select(Quant).where(Quant.lot_id == milk["lots"]["MID"]))
        assert mid.reserved_quantity == 2 <= mid.quantity
        assert stock_invariant_violations() == []


def test_two_receivers_of_one_new_lot_at_once_create_it_once(app, milk):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Lot
    from erp_core.inventory.services import receive

    expiry = milk["today"] + timedelta(days=300)
    sku_id, bin_id = milk["floor"]["m"], milk["floor"]["pick"]

    def receive_new_lot():
        from erp_core.db import atomic

        with atomic():
            lot = get_or_create_lot(db.session.get(Sku, sku_id), "FRESH", expiry_date=expiry)
            receive(sku_id, bin_id, 6, reference="ASN-9", lot_id=lot.id)
            return lot.id

    outcomes = race(app, receive_new_lot, receive_new_lot)
    assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
    assert outcomes[0].value == outcomes[1].value
    with app.app_context():
        assert db.session.scalar(select(func.count(Lot.id)).where(Lot.lot_number == "FRESH")) == 1
        from erp_core.inventory.models import Quant

        assert db.session.scalar(select(Quant.quantity).where(Quant.lot_id == outcomes[0].value)) == 12


def test_two_pickers_swapping_to_the_last_free_units_of_one_lot_at_once_swap_once(app, milk):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Quant
    from erp_core.inventory.reservations import swap_reserved_lot
    from erp_core.inventory.services import receive
    from erp_core.orders.models import OrderLine

    floor = milk["floor"]
    with app.app_context():
        _allocate(_order("A", 2))  # takes MID (reserve bin), so the next two take LONG in the pick bin
        lines = []
        for name in ("B", "C"):
            order_id = _order(name, 2)
            _allocate(order_id)
            assert _reserved_by_lot(order_id) == {"LONG": 2}
            lines.append(db.session.scalar(select(OrderLine.id).filter_by(order_id=order_id)))
        near = get_or_create_lot(db.session.get(Sku, floor["m"]), "NEAR", expiry_date=milk["today"] + timedelta(150))
        db.session.commit()
        near_id = near.id
        receive(floor["m"], floor["pick"], 2, reference="PO-2", lot_id=near_id)

    def swap(line_id):
        return lambda: swap_reserved_lot(line_id, floor["m"], floor["pick"], 2, from_lot_id=milk["lots"]["LONG"],
                                         to_lot_id=near_id)

    outcomes = race(app, swap(lines[0]), swap(lines[1]))
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
    assert [o.code for o in outcomes if not o.ok] == ["insufficient_stock"]
    with app.app_context():
        quant = db.session.scalar(select(Quant).where(Quant.lot_id == near_id))
        assert (quant.quantity, quant.reserved_quantity) == (2, 2)
        assert stock_invariant_violations() == []
