"""Expiry alerts: the dashboard and board cards, the expiring list, and acting on a lot's stock
(move to clearance, scrap, mark for discount) through the routes, each a ledger move of the lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def shelf(app, users):
    """SH1 with yoghurt (lot-tracked, 5 days minimum left at shipment): lot Y-SOON expires in 20
    days (x8 in P-01, 3 of them reserved for an order), lot Y-FAR in 300 days (x5 in P-02), lot
    Y-GONE expired yesterday (x2 in R-01); a clearance bin C-01."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order

    with app.app_context():
        floor = (FloorBuilder().warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .bin("P-01", "pick", key="p1").bin("P-02", "pick", key="p2").bin("R-01", "reserve", key="r1")
                 .bin("C-01", "clearance", key="c1")
                 .channel("TM", "Tmall", "tmall").sku("YOG", "Yoghurt", key="yog").build())
        yog = db.session.get(Sku, floor["yog"])
        yog.lot_tracked, yog.min_ship_life_days = True, 5
        db.session.commit()
        today = business_today()
        ids = {}
        for number, days, bin_key, qty in (("Y-SOON", 20, "p1", 8), ("Y-FAR", 300, "p2", 5), ("Y-GONE", -1, "r1", 2)):
            lot = get_or_create_lot(yog, number, expiry_date=today + timedelta(days=days))
            receive(yog.id, floor[bin_key], qty, lot_id=lot.id)
            ids[number] = lot.id
        db.session.commit()
        order = make_order("O-1", [("YOG", 3)])
        approve_order(order)
        db.session.remove()
        return {**{k: floor[k] for k in ("wh", "p1", "p2", "r1", "c1", "yog")}, **ids, "order": order}


def _quant(sku_id, bin_id, lot_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    row = db.session.execute(select(Quant.quantity, Quant.reserved_quantity)
                             .filter_by(sku_id=sku_id, location_id=bin_id, lot_id=lot_id)).first()
    return tuple(row) if row else (0, 0)


def test_the_expiry_list_shows_the_lots_within_the_window(app, shelf, login_as):
    client = login_as("supervisor")
    html = client.get("/lots/expiring").get_data(as_text=True)
    assert "Y-SOON" in html and "Y-GONE" in html and "Y-FAR" not in html
    # a narrower window leaves out the lot 20 days from expiry (15 from its shipping limit)
    token = page_csrf(client, "/lots/expiring")
    client.post("/lots/expiring/window", data={"days": "10", "csrf_token": token})
    html = client.get("/lots/expiring").get_data(as_text=True)
    assert "Y-SOON" not in html and "Y-GONE" in html
    # the shipping limit counts: 15 days to it is within a window of 15
    client.post("/lots/expiring/window", data={"days": "15", "csrf_token": token})
    assert "Y-SOON" in client.get("/lots/expiring").get_data(as_text=True)


def test_the_dashboard_and_the_board_count_the_expiring_lots(app, shelf, login_as):
    client = login_as("supervisor")
    dashboard = client.get("/").get_data(as_text=True)
    assert 'id="expiring-lots"' in dashboard
    assert '<span class="num">2</span><span class="label">Lots near expiry' in dashboard
    board = client.get(f"/picking/board?warehouse={shelf['wh']}").get_data(as_text=True)
    assert '<span class="num">2</span><span class="label">Lots near expiry' in board


def test_moving_a_lot_to_clearance_posts_a_ledger_move_of_the_lot(app, shelf, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    client = login_as("supervisor")
    token = page_csrf(client, "/lots/expiring")
    response = client.post(f"/lots/{shelf['Y-SOON']}/clearance", data={
        "location_id": shelf["p1"], "to_location_id": shelf["c1"], "quantity": "5", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert _quant(shelf["yog"], shelf["p1"], shelf["Y-SOON"]) == (3, 3)
        assert _quant(shelf["yog"], shelf["c1"], shelf["Y-SOON"]) == (5, 0)
        move = db.session.scalar(select(StockMove).where(StockMove.to_location_id == shelf["c1"]))
        assert move.lot_id == shelf["Y-SOON"] and move.quantity == 5
        # and clearance stock is not for sale: it is never reserved
        from erp_core.inventory.reservations import reservable_bins

        assert shelf["c1"] not in {b.location_id for b in reservable_bins(shelf["yog"], shelf["wh"])}


def test_reserved_units_cannot_be_moved_or_scrapped_and_nothing_changes(app, shelf, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    client = login_as("supervisor")
    token = page_csrf(client, "/lots/expiring")
    with app.app_context():
        moves_before = db.session.query(StockMove).count()
    # 8 on hand, 3 reserved: 6 is more than the 5 free
    response = client.post(f"/lots/{shelf['Y-SOON']}/clearance", data={
        "location_id": shelf["p1"], "to_location_id": shelf["c1"], "quantity": "6", "csrf_token": token},
        follow_redirects=True)
    assert "Only 5 units of lot Y-SOON in P-01 are free (3 are reserved" in response.get_data(as_text=True)
    response = client.post(f"/lots/{shelf['Y-SOON']}/scrap", data={
        "location_id": shelf["p1"], "quantity": "8", "csrf_token": token}, follow_redirects=True)
    assert "are reserved for orders" in response.get_data(as_text=True)
    with app.app_context():
        assert _quant(shelf["yog"], shelf["p1"], shelf["Y-SOON"]) == (8, 3)
        assert db.session.query(StockMove).count() == moves_before


def test_scrapping_expired_stock_posts_a_scrap_move_to_inventory_loss(app, shelf, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import virtual_location

    client = login_as("supervisor")
    token = page_csrf(client, "/lots/expiring")
    client.post(f"/lots/{shelf['Y-GONE']}/scrap", data={"location_id": shelf["r1"], "quantity": "2",
                                                          "csrf_token": token})
    with app.app_context():
        assert _quant(shelf["yog"], shelf["r1"], shelf["Y-GONE"]) == (0, 0)
        move = db.session.scalar(select(StockMove).where(StockMove.reason == "scrap"))
        assert move.lot_id == shelf["Y-GONE"] and move.to_location_id == virtual_location("INV-LOSS").id


def test_marking_a_lot_for_discount_keeps_the_note(app, shelf, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot

    client = login_as("supervisor")
    token = page_csrf(client, "/lots/expiring")
    client.post(f"/lots/{shelf['Y-SOON']}/discount", data={"note": "30% off on Tmall", "csrf_token": token})
    with app.app_context():
        assert db.session.get(Lot, shelf["Y-SOON"]).clearance_note == "30% off on Tmall"


def test_a_picker_cannot_scrap(app, shelf, login_as):
    client = login_as("picker")
    token = page_csrf(client, "/lots/expiring")
    response = client.post(f"/lots/{shelf['Y-GONE']}/scrap", data={"location_id": shelf["r1"], "quantity": "2",
                                                                     "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert _quant(shelf["yog"], shelf["r1"], shelf["Y-GONE"]) == (2, 0)
