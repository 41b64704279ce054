"""Transfers of lot-tracked stock (调拨 by 批次): shipped FEFO and split per lot, received lot by lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


def _lots(floor) -> dict[str, int]:
    """MILK tracked by lot in SH1: A-01 holds LATE (in 200 days, 10) and HELD (in 20 days, on hold, 9);
    R-01 holds EARLY (in 60 days, 4)."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive

    sku = db.session.get(Sku, floor["milk"])
    sku.lot_tracked = True
    db.session.flush()
    made = {}
    for key, days, bin_key, qty in (("late", 200, "pick", 10), ("held", 20, "pick", 9), ("early", 60, "reserve", 4)):
        lot = get_or_create_lot(sku, key.upper(), expiry_date=business_today() + timedelta(days=days))
        receive(sku.id, floor[bin_key], qty, lot_id=lot.id)
        made[key] = lot.id
    db.session.get(Lot, made["held"]).on_hold = True
    db.session.commit()
    return made


@pytest.fixture
def stock(app):
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", key="sh1")
             .warehouse("SZ1", "Shenzhen", key="sz1")
             .bin("R-01", "reserve", key="reserve", warehouse="sh1")
             .bin("A-01", "pick", key="pick", warehouse="sh1")
             .bin("B-01", "pick", key="dest", warehouse="sz1")
             .sku("MILK", "Milk powder", barcodes=["6901234567892"], key="milk")
             .then(_lots)
             .build(app))
    return dict(floor)


def test_a_transfer_of_a_tracked_sku_keeps_its_lots_end_to_end(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove, StockTransfer
    from erp_core.inventory.stock_queries import quant_in

    client = login_as("supervisor")
    # given a draft of 7 MILK from any bin
    response = client.post("/stock/transfers/new", data={
        "csrf_token": page_csrf(client, "/stock/transfers/new"), "from_warehouse_id": stock["sh1"],
        "to_warehouse_id": stock["sz1"], "lines-0-sku": "6901234567892", "lines-0-quantity": "7"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        transfer_id = db.session.scalar(select(StockTransfer.id))
    detail = f"/stock/transfers/{transfer_id}"
    # when it ships: EARLY first (4), then LATE (3); the held lot, though earlier, is never taken
    assert client.post(f"{detail}/ship", data={"csrf_token": page_csrf(client, detail)}).status_code == 302
    with app.app_context():
        lines = db.session.scalar(select(StockTransfer)).lines
        shipped = sorted((line.lot_id, line.quantity) for line in lines)
        assert shipped == sorted([(stock["early"], 4), (stock["late"], 3)])
        assert quant_in(stock["milk"], stock["pick"], stock["held"]) == (9, 0)
        line_ids = {line.lot_id: line.id for line in lines}
    page = client.get(detail).get_data(as_text=True)
    assert "EARLY" in page and "LATE" in page
    # and when both lines are received into B-01
    client.post(f"{detail}/receive", data={"csrf_token": page_csrf(client, detail), "bin_code": "B-01",
                                           f"qty-{line_ids[stock['early']]}": "4",
                                           f"qty-{line_ids[stock['late']]}": "3"})
    # then each lot arrived as it left
    with app.app_context():
        assert quant_in(stock["milk"], stock["dest"], stock["early"]) == (4, 0)
        assert quant_in(stock["milk"], stock["dest"], stock["late"]) == (3, 0)
        assert db.session.scalar(select(StockTransfer)).status == "received"
        moves = db.session.scalars(select(StockMove).filter_by(reason="transfer_in")).all()
        assert sorted((m.lot_id, m.quantity) for m in moves) == sorted([(stock["early"], 4), (stock["late"], 3)])


def test_a_tracked_line_from_a_named_bin_takes_that_bins_lots_fefo(app, stock):
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["milk"], 2, stock["pick"])])
        shipped = ship_transfer(transfer.id)
        assert [(line.lot_id, line.quantity, line.from_location_id) for line in shipped.lines] == [
            (stock["late"], 2, stock["pick"])]


def test_a_tracked_transfer_beyond_the_sellable_lots_is_refused_and_moves_nothing(app, stock):
    from erp_core.errors import InsufficientStock
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove, StockTransfer
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["milk"], 15, None)])  # 14 sellable
        transfer_id = transfer.id
        db.session.commit()
        with pytest.raises(InsufficientStock):
            ship_transfer(transfer_id)
        db.session.rollback()
        again = db.session.get(StockTransfer, transfer_id)
        assert again.status == "draft" and [(x.lot_id, x.quantity) for x in again.lines] == [(None, 15)]
        assert db.session.scalar(select(StockMove).filter(StockMove.reason == "transfer_out")) is None
