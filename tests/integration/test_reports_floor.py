"""Product and operations reports on a floor that really picked, packed and shipped two orders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.shipping_helpers import order_lines, shipping_floor


@pytest.fixture
def shipped(app, users):
    """SH1 receives A, B x20 and C x10 today; S0 (A + 2 B) and S1 (A) are picked, packed by the packer and
    shipped; S0 had to leave an hour before it did. A's preferred supplier needs 300 days."""
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.models_base import utcnow
    from erp_core.orders.models import Order, OrderLine
    from erp_core.purchasing.models import Supplier, SupplierSku
    from wms.shipping.services import PackedPackage, pack_out, ship_shipment

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)]])
    with app.app_context():
        packer = db.session.scalar(select(User.id).filter_by(username="packer"))
        for order_id in desk["orders"]:
            units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
            weight = 150 + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())
            shipment = pack_out(order_id, station_location_id=desk["station"], user_id=packer,
                                packages=[PackedPackage(desk["boxes"]["M"], weight, units)])
            ship_shipment(shipment.shipment.id)
        db.session.get(Order, desk["orders"][0]).ship_by = utcnow() - timedelta(hours=1)
        supplier = Supplier(code="SUP1", name="Cup maker", lead_time_days=300)
        db.session.add(supplier)
        db.session.flush()
        db.session.add(SupplierSku(supplier_id=supplier.id, sku_id=desk["skus"]["A"], preferred=True))
        db.session.commit()
    return desk


def _rows(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    return {row[0]: row[1:] for row in rows[1:]}


def test_products_show_class_turnover_cover_and_risk_from_the_ledger(login_as, shipped):
    client = login_as("admin")
    rows = _rows(client.get("/reports/products?view=abc&format=csv"))
    # name, class, revenue, shipped, on hand, available, turnover, cover, lead time, risk
    assert rows["A"][1:] == ["A", "20.00", "2", "18", "18", "0.22", "270.0", "300", "Yes"]
    assert rows["B"][1:8] == ["A", "20.00", "2", "18", "18", "0.22", "270.0"] and rows["B"][8:] == ["", ""]
    assert rows["C"][1:8] == ["C", "0.00", "0", "10", "10", "0.00", ""]
    assert list(_rows(client.get("/reports/products?view=risk&format=csv"))) == ["A"]


def test_stock_aging_puts_todays_receipts_in_the_first_bucket(login_as, shipped):
    rows = _rows(login_as("viewer").get("/reports/products?view=aging&format=csv"))
    assert rows["A"][1:] == ["18", "18", "0", "0", "0"] and rows["C"][1:] == ["10", "10", "0", "0", "0"]


def test_operations_count_shipped_orders_on_time_and_the_pickers_and_packers_work(login_as, shipped):
    client = login_as("supervisor")
    cycle = _rows(client.get("/reports/operations?view=cycle&format=csv"))
    today = sorted(cycle)[-1]
    assert cycle[today][0] == "2" and cycle[today][3:5] == ["1", "0"]  # one with a cut-off, missed
    pickers = _rows(client.get("/reports/operations?view=pickers&format=csv"))
    assert pickers["picker"][1] == "4" and pickers["picker"][2] == "1"  # 4 units in one active hour
    packers = _rows(client.get("/reports/operations?view=packers&format=csv"))
    assert packers["packer"][0] == "2"
    errors = _rows(client.get("/reports/operations?view=errors&format=csv"))
    assert errors["Short picks"][0] == "0"


def test_the_supervisors_floor_panel_counts_the_pack_queue_and_links_the_board(login_as, shipped):
    html = login_as("supervisor").get("/home").get_data(as_text=True)
    panel = html[html.index('id="home-floor"'):]
    assert 'href="/picking/board"' in panel and "Waiting to pack" in panel
