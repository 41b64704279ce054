"""The books from what the warehouse does: moving-average cost, COGS, valuation from the ledger,
margins and the automatic journal entries, computed by hand here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from tests.finance_helpers import balance, books_world, order, post_all, receive_on_po, ship


def business_today() -> date:
    from erp_core.inventory.reservations import business_today as today

    return today()


def _cost_rows(app):
    from erp_core.extensions import db
    from erp_core.finance.models import CostHistory

    with app.app_context():
        return [(h.source, h.quantity_in, h.cost_in, h.quantity_after, h.average_cost)
                for h in db.session.scalars(select(CostHistory).order_by(CostHistory.id))]


def test_two_receipts_a_shipment_and_a_return_give_the_costs_and_margin_computed_by_hand(app, login_as):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.finance.models import CostOfSale
    from erp_core.inventory.services import move_stock, virtual_location
    from erp_core.orders.models import OrderLine
    from erp_core.outbox import publish

    # given 10 cups received at 5.00 and 10 more at 8.00 with 20.00 freight (landed 10.00 each)
    world = books_world(app)
    receive_on_po(app, world, 10, "5.00")
    receive_on_po(app, world, 10, "8.00", freight="20")
    # when finance posts what the outbox holds
    assert post_all(app)["failed"] == 0
    # then the average is (10 x 5 + 10 x 10) / 20 = 7.50
    assert _cost_rows(app) == [("receipt", 10, Decimal("5.0000"), 10, Decimal("5.0000")),
                               ("receipt", 10, Decimal("10.0000"), 20, Decimal("7.5000"))]

    # given an order of 4 cups at 20.00, 2.00 off (goods total 78) and 6.00 shipping charged, shipped
    order_id = order(app, "T-1", 4, "20.00", goods_total="78.00", shipping_fee="6.00")
    ship(app, world, order_id, 4, "SHP-1", shipping_cost="5.00")
    # and 4 more cups at 12.00 arrive after it: (16 x 7.50 + 4 x 12) / 20 = 8.40
    receive_on_po(app, world, 4, "12.00")
    # and one cup comes back and is put back to stock (at the 7.50 it left with): (20 x 8.40 + 7.50) / 21
    with app.app_context(), atomic():
        move_stock(world["a"], virtual_location("CUSTOMER").id, world["returns"], 1, reason="return",
                   reference="RMA-1")
        back = move_stock(world["a"], world["returns"], world["pick"], 1, reason="putaway", reference="RMA-1")
        line_id = db.session.scalar(select(OrderLine.id).filter_by(order_id=order_id))
        publish("finance.return_to_stock", {"move_id": back.id, "sku_id": world["a"], "warehouse_id": world["sh"],
                                            "quantity": 1, "order_line_id": line_id, "reference": "RMA-1",
                                            "at": back.created_at.isoformat()}, key=f"stock-move-{back.id}")
    assert post_all(app)["failed"] == 0

    # then the COGS line is 4 x 7.50 = 30.00
    with app.app_context():
        cogs = db.session.scalars(select(CostOfSale)).all()
        assert [(c.quantity, c.unit_cost, c.total) for c in cogs] == [(4, Decimal("7.5000"), Decimal("30.00"))]
    assert _cost_rows(app)[2:] == [("receipt", 4, Decimal("12.0000"), 20, Decimal("8.4000")),
                                   ("return", 1, Decimal("7.5000"), 21, Decimal("8.3571"))]
    # and the books: inventory 50 + 100 - 30 + 48 + 7.50; receivable 78 + 6; revenue 78; shipping income 6
    assert balance(app, "1405") == Decimal("175.50")
    assert balance(app, "2202") == Decimal("-198.00")
    assert balance(app, "1122") == Decimal("84.00")
    assert balance(app, "5001") == Decimal("-78.00")
    assert balance(app, "5051") == Decimal("-6.00")
    assert balance(app, "5401") == Decimal("22.50")  # 30 of COGS less the 7.50 returned

    # and the margin page/API for the order: 80 - 2 + 6 - 30 - 5 = 49, 49 / 84 = 58.3 %
    client = login_as("finance")
    rows = client.get("/api/v1/finance/margin?group=order").json
    assert rows == [{"key": "T-1", "units": 4, "revenue": "80.00", "discount": "2.00", "shipping_charged": "6.00",
                     "cogs": "30.00", "shipping_cost": "5.00", "fees": "0.00", "gross_margin": "49.00",
                     "margin_pct": "58.3"}]
    csv_text = client.get("/finance/margin?group=sku&format=csv").get_data(as_text=True)
    assert "A,4,80.00,2.00,6.00,30.00,5.00,0.00,49.00,58.3" in csv_text
    # and the valuation today is the ledger's 21 cups x 8.3571
    valued = client.get(f"/api/v1/finance/valuation?date={business_today().isoformat()}").json
    assert valued == [{"warehouse": "SH1", "sku": "A", "quantity": 21, "unit_cost": "8.3571", "value": "175.50"}]


def test_a_platform_fee_lowers_the_margin_and_is_posted_once(app, login_as):
    from erp_core.db import atomic
    from erp_core.outbox import publish

    # given a shipped order and the reconciliation's fee of 3.20 for it, published twice (a retry)
    world = books_world(app)
    receive_on_po(app, world, 5, "5.00")
    order_id = order(app, "T-2", 2, "15.00")
    ship(app, world, order_id, 2, "SHP-2")
    fee = {"key": "fee:alipay:1", "date": business_today().isoformat(), "amount": "3.20", "currency": "CNY",
           "channel_id": world["TM"], "order_id": order_id, "kind": "commission", "source": "alipay"}
    with app.app_context(), atomic():
        publish("finance.fee", fee, key=fee["key"])
        publish("finance.fee", fee, key=fee["key"])
    # when finance posts
    assert post_all(app) == {"sent": 4, "failed": 0}
    # then the fee is booked once (Dr selling expenses / Cr receivable) and counted in the margin
    assert balance(app, "5601") == Decimal("3.20")
    rows = login_as("finance").get("/api/v1/finance/margin?group=channel").json
    assert rows[0]["key"] == "TM" and rows[0]["fees"] == "3.20" and rows[0]["gross_margin"] == "16.80"


def test_valuation_at_a_past_date_equals_the_ledger_then(app, login_as):
    from erp_core.extensions import db
    from erp_core.finance.costing import end_of_day
    from erp_core.finance.models import CostHistory
    from erp_core.inventory.models import StockMove

    # given 10 cups received at 5.00, then (moved two days back) and 10 more at 10.00 today
    world = books_world(app)
    receive_on_po(app, world, 10, "5.00")
    post_all(app)
    past = business_today() - timedelta(days=2)
    with app.app_context():
        moved = end_of_day(past) - timedelta(hours=1)
        db.session.execute(update(StockMove.__table__).values(created_at=moved))  # the ledger is immutable to the ORM
        db.session.execute(update(CostHistory.__table__).values(effective_at=moved))
        db.session.commit()
    receive_on_po(app, world, 10, "10.00")
    order_id = order(app, "T-3", 3, "20.00")
    ship(app, world, order_id, 3, "SHP-3")
    post_all(app)
    client = login_as("finance")
    # when the valuation is asked for that day and for yesterday
    then = client.get(f"/api/v1/finance/valuation?date={past.isoformat()}").json
    # then it is the ledger's quantity at that moment (10) at the average then (5.00)
    with app.app_context():
        ledger = db.session.scalar(select(func.sum(StockMove.quantity)).where(
            StockMove.to_location_id == world["pick"], StockMove.created_at < end_of_day(past)))
    assert then == [{"warehouse": "SH1", "sku": "A", "quantity": ledger, "unit_cost": "5.0000", "value": "50.00"}]
    # and today it is 17 at 7.50 (the page shows the same total)
    assert client.get("/api/v1/finance/valuation").json[0]["quantity"] == 17
    page = client.get(f"/finance/valuation?date={business_today().isoformat()}").get_data(as_text=True)
    assert 'id="valuation-total">127.50<' in page


def test_an_adjustment_down_is_valued_at_the_average_and_posted_against_inventory_loss(app):
    from erp_core.extensions import db
    from erp_core.inventory.services import adjust_counted
    from erp_core.outbox import OutboxMessage

    # given 10 cups at 5.00
    world = books_world(app)
    receive_on_po(app, world, 10, "5.00")
    # when a count finds 8 (through the stock service, which tells finance) and then 9
    with app.app_context():
        adjust_counted(world["a"], world["pick"], 8, reason_code="lost")
        adjust_counted(world["a"], world["pick"], 9, reason_code="found")
        assert db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(
            topic="finance.stock_adjustment")) == 2
        db.session.remove()
    assert post_all(app)["failed"] == 0
    # then 2 x 5.00 leave inventory for inventory loss, and the one found comes back at standard cost 6.00
    assert balance(app, "5711") == Decimal("4.00")
    assert balance(app, "1405") == Decimal("46.00")
    assert _cost_rows(app)[-1] == ("adjustment", 1, Decimal("6.0000"), 9, Decimal("5.1111"))


def test_any_write_off_against_inventory_loss_is_booked_so_the_books_keep_the_valuation(app):
    from erp_core.extensions import db
    from erp_core.finance.costing import valuation
    from erp_core.inventory.services import move_stock, virtual_location

    # given 10 cups at 5.00, 2 of them waiting in the returns bin (not stock until inspected)
    world = books_world(app)
    receive_on_po(app, world, 10, "5.00")
    with app.app_context():
        # when 3 are scrapped from the pick bin (expiry, damage: a plain move to inventory loss), and a
        # returned unit is scrapped from the returns bin
        move_stock(world["a"], world["pick"], virtual_location("INV-LOSS").id, 3, reason="scrap", reference="EXP-1")
        move_stock(world["a"], virtual_location("CUSTOMER").id, world["returns"], 1, reason="return", reference="RT-1")
        move_stock(world["a"], world["returns"], virtual_location("INV-LOSS").id, 1, reason="scrap", reference="RT-1")
        db.session.remove()
    assert post_all(app)["failed"] == 0
    # then the scrap from stock is 3 x 5.00 of inventory loss; the returns bin's unit was never valued
    assert balance(app, "5711") == Decimal("15.00")
    assert balance(app, "1405") == Decimal("35.00")
    with app.app_context():
        assert sum(row["value"] for row in valuation(date.today() + timedelta(days=1))) == Decimal("35.00")
        db.session.remove()


def test_a_parcel_shipped_at_the_desk_is_costed_and_booked_from_the_desks_own_message(app, users, login_as):
    from erp_core.extensions import db
    from erp_core.finance.models import CostOfSale, JournalEntry
    from tests.returns_helpers import returns_floor

    # given orders picked, packed and shipped through the real shipping desk (stock at standard cost)
    returns_floor(app, users)
    # when the finance pages are opened (they post what the outbox holds first)
    assert login_as("finance").get("/finance/journal").status_code == 200
    # then each shipped line has its COGS and each shipment its sale entry
    with app.app_context():
        assert db.session.scalar(select(func.count(CostOfSale.id))) >= 3
        sources = set(db.session.scalars(select(JournalEntry.source_key)))
        assert any(key.endswith(":sale") for key in sources)
