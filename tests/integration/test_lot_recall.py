"""Lots in the office: the lots list, a lot's trace, recall (hold the lot, hold its open orders, the
affected orders with their customers) through the routes, with the ledger and reservations sound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


def _lot_stock(sku_id: int, bin_id: int, number: str, days: int, quantity: int) -> int:
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    lot = get_or_create_lot(db.session.get(Sku, sku_id), number, expiry_date=business_today() + timedelta(days=days))
    receive(sku_id, bin_id, quantity, reference=f"ASN-{number}", lot_id=lot.id)
    db.session.commit()
    return lot.id


@pytest.fixture
def lots(app, users):
    """SH1 with milk (lot-tracked, 10 days minimum left at shipment): lot L-EARLY (expires in 40 days)
    x10 in one bin and L-LATE (in 200 days) x10 in another; order O-PICKED took 2 of L-EARLY (wave
    released and picked), order O-OPEN only reserves 3 of it."""
    from erp_core.auth.models import User
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.planning import WaveRules
    from wms.picking.services import confirm_pick, next_task, pick_list_for
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("MILK", "Milk", name_zh="牛奶", barcodes=["BC-MILK"], key="milk")
                 .build())
        milk = db.session.get(Sku, floor["milk"])
        milk.lot_tracked, milk.shelf_life_days, milk.min_ship_life_days = True, 365, 10
        db.session.commit()
        bins = floor.bins()
        early = _lot_stock(milk.id, bins[0], "L-EARLY", 40, 10)
        late = _lot_stock(milk.id, bins[2], "L-LATE", 200, 10)
        picked = make_order("O-PICKED", [("MILK", 2)], name="李雷", phone="13900000001")
        approve_order(picked)
        release_waves(floor["wh"], WaveRules())
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        pick_list = pick_list_for(picker, None)
        while (task := next_task(pick_list)) is not None:
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan="BC-MILK", user_id=picker)
            db.session.refresh(pick_list)
        opened = make_order("O-OPEN", [("MILK", 3)], name="韩梅梅", phone="13900000002")
        approve_order(opened)
        db.session.remove()
        return {"wh": floor["wh"], "milk": floor["milk"], "early": early, "late": late, "picked": picked,
                "open": opened, "bins": bins}


def _reserved_lots(order_id: int) -> dict[int | None, int]:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockReservation
    from erp_core.orders.models import OrderLine

    rows = db.session.execute(select(StockReservation.lot_id, func.sum(StockReservation.quantity))
                              .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
                              .where(OrderLine.order_id == order_id).group_by(StockReservation.lot_id))
    return {lot: int(q) for lot, q in rows}


def test_the_recall_page_lists_every_order_of_the_lot_with_its_customer(app, lots, login_as):
    # given one order that picked units of the lot and one that only reserves some
    client = login_as("supervisor")
    # when the office opens the recall page of the lot
    page = client.get(f"/lots/{lots['early']}/recall")
    # then both orders are listed with their recipients and phones, the picked one first
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "O-PICKED" in html and "O-OPEN" in html
    assert "李雷" in html and "13900000001" in html and "韩梅梅" in html and "13900000002" in html
    assert html.index("O-PICKED") < html.index("O-OPEN")
    # and the CSV export lists the same orders with units taken and reserved
    export = client.get(f"/lots/{lots['early']}/recall.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    picked_row = next(line for line in lines if line.startswith("O-PICKED"))
    open_row = next(line for line in lines if line.startswith("O-OPEN"))
    assert "李雷" in picked_row and ",2,0," in picked_row
    assert "韩梅梅" in open_row and ",0,3," in open_row
    # and the other lot has no order
    with app.app_context():
        from erp_core.inventory.lot_trace import lot_orders

        assert lot_orders(lots["late"]) == []


def test_the_lot_detail_traces_receipts_moves_orders_and_the_rest(app, lots, login_as):
    client = login_as("viewer")
    html = client.get(f"/lots/{lots['early']}").get_data(as_text=True)
    assert "ASN-L-EARLY" in html  # the receipt and its reference
    assert "O-PICKED" in html and "O-OPEN" in html
    assert "A01-01-1" in html  # where the rest lies


def test_a_held_lot_is_not_allocated_and_a_new_order_takes_the_other_lot(app, lots, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order

    # given the office puts the early lot on hold through the recall page
    client = login_as("supervisor")
    token = page_csrf(client, f"/lots/{lots['early']}/recall")
    response = client.post(f"/lots/{lots['early']}/hold", data={"reason": "supplier recall", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        lot = db.session.get(Lot, lots["early"])
        assert lot.on_hold and lot.hold_reason == "supplier recall"
        # when a new order is allocated
        order_id = make_order("O-NEW", [("MILK", 4)], phone="13900000003")
        approve_order(order_id)
        # then it takes the later lot, not the held one (FEFO would otherwise choose the early lot)
        assert _reserved_lots(order_id) == {lots["late"]: 4}
    # and releasing the hold makes the lot allocatable again
    client.post(f"/lots/{lots['early']}/release", data={"csrf_token": token})
    with app.app_context():
        assert not db.session.get(Lot, lots["early"]).on_hold


def test_holding_the_orders_of_a_recalled_lot_releases_their_reservations(app, lots, login_as):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    client = login_as("supervisor")
    token = page_csrf(client, f"/lots/{lots['early']}/recall")
    client.post(f"/lots/{lots['early']}/hold", data={"reason": "recall", "csrf_token": token})
    # when the office holds the orders that reserve the lot
    response = client.post(f"/lots/{lots['early']}/hold-orders", data={"reason": "recall", "csrf_token": token},
                           follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        # then the open order is held with no reservation left; the picked one is untouched
        assert db.session.get(Order, lots["open"]).status == "held"
        assert _reserved_lots(lots["open"]) == {}
        assert db.session.get(Order, lots["picked"]).status != "held"
        assert _reserved_lots(lots["picked"]) == {lots["early"]: 2}


def test_a_viewer_cannot_hold_a_lot(app, lots, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot

    client = login_as("viewer")
    token = page_csrf(client, f"/lots/{lots['early']}")
    response = client.post(f"/lots/{lots['early']}/hold", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert not db.session.get(Lot, lots["early"]).on_hold


def test_the_lots_list_searches_by_lot_number_and_filters_on_hold(app, lots, login_as):
    client = login_as("viewer")
    html = client.get("/lots?q=l-late").get_data(as_text=True)
    assert "L-LATE" in html and "L-EARLY" not in html
    html = client.get("/lots?q=MILK").get_data(as_text=True)
    assert "L-LATE" in html and "L-EARLY" in html
    html = client.get("/lots?on_hold=1").get_data(as_text=True)
    assert "L-LATE" not in html and "L-EARLY" not in html
    html = client.get("/lots?within=60").get_data(as_text=True)
    assert "L-EARLY" in html and "L-LATE" not in html
