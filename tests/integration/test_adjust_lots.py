"""Manual adjustments of lot-tracked stock (库存调整 by 批次): the form names the lot (one in the bin,
or a new lot with its expiry) and only that lot's quant changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


def _lots(floor) -> dict[str, int]:
    """CREAM (tracked, shelf life 720 days) in A-01: L1 (12 units) and L2 (5)."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.services import receive

    sku = db.session.get(Sku, floor["cream"])
    sku.lot_tracked, sku.shelf_life_days = True, 720
    db.session.flush()
    l1 = get_or_create_lot(sku, "L1", expiry_date=date(2027, 3, 31))
    l2 = get_or_create_lot(sku, "L2", expiry_date=date(2027, 8, 31))
    receive(sku.id, floor["a"], 12, lot_id=l1.id)
    receive(sku.id, floor["a"], 5, lot_id=l2.id)
    db.session.commit()
    return {"l1": l1.id, "l2": l2.id}


@pytest.fixture
def stock(app):
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", key="sh1")
             .bin("A-01", "pick", key="a")
             .sku("CREAM", "Face cream", barcodes=["6901234567892"], key="cream")
             .then(_lots)
             .build(app))
    return dict(floor)


def _post(client, stock, **fields):
    data = {"csrf_token": page_csrf(client, "/stock/adjust"), "warehouse_id": stock["sh1"], "bin_code": "A-01",
            "sku": "CREAM", "reason": "count_correction", "action": "post", **fields}
    return client.post("/stock/adjust", data=data)


def test_the_adjust_screen_shows_the_lots_in_the_bin(app, stock, login_as):
    client = login_as("supervisor")
    fragment = client.get(f"/stock/adjust/current?warehouse_id={stock['sh1']}&bin_code=A-01&sku=CREAM",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "data-bin-lots" in fragment and "L1" in fragment and "L2" in fragment and "2027-03-31" in fragment


def test_an_adjustment_of_one_lot_through_the_form_changes_only_that_lot(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.stock_queries import quant_in

    client = login_as("supervisor")
    response = _post(client, stock, lot="l2", counted="3")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert quant_in(stock["cream"], stock["a"], stock["l2"]) == (3, 0)
        assert quant_in(stock["cream"], stock["a"], stock["l1"]) == (12, 0)
        move = db.session.scalar(select(StockMove).filter_by(reason="adjustment"))
        assert (move.lot_id, move.quantity, move.from_location_id) == (stock["l2"], 2, stock["a"])


def test_a_tracked_sku_without_a_lot_is_refused_and_changes_nothing(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    client = login_as("supervisor")
    response = _post(client, stock, counted="3")
    assert response.status_code == 422 and "tracked by lot" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StockMove).filter_by(reason="adjustment")) is None


def test_a_new_lot_found_in_the_bin_needs_its_expiry_and_is_then_created(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot
    from erp_core.inventory.stock_queries import quant_in

    client = login_as("supervisor")
    refused = _post(client, stock, lot="L7", counted="4", reason="found")
    assert refused.status_code == 422 and "needs an expiry date" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Lot).filter_by(lot_number="L7")) is None
    done = _post(client, stock, lot="L7", counted="4", reason="found", expiry="2027-12-31")
    assert done.status_code == 302
    with app.app_context():
        lot = db.session.scalar(select(Lot).filter_by(lot_number="L7"))
        assert lot.expiry_date == date(2027, 12, 31)
        assert quant_in(stock["cream"], stock["a"], lot.id) == (4, 0)
