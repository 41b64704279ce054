"""A small books world: SH1 with a returns bin and a pick bin, SKU A (standard cost 6.00) with no
stock, supplier ACME, channel TM; and the steps finance hears of, through the services that publish
them (a PO receipt as the floor's receiving scan does it, a shipment as the shipping desk publishes it)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.builders import FloorBuilder


def books_world(app) -> dict:
    from erp_core.extensions import db
    from erp_core.purchasing.suppliers import SupplierSkuValues, create_supplier, set_supplier_sku

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="sh")
                 .bin("P-01", "pick", key="pick", warehouse="sh")
                 .bin("RET-01", "returns", key="returns", warehouse="sh")
                 .sku("A", "Cup", key="a", cost=Decimal("6.00"))
                 .channel("TM", "Tmall", "tmall")
                 .build())
        acme = create_supplier({"code": "ACME", "name": "Acme Trading", "currency": "CNY", "lead_time_days": 10,
                                "language": "zh"})
        set_supplier_sku(acme.id, SupplierSkuValues(floor["a"], Decimal("5.00"), "AC-CUP", 1, 1, preferred=True))
        ids = {**floor, "acme": acme.id}
        db.session.remove()
        return ids


def receive_on_po(app, world: dict, quantity: int, price: str, *, freight: str = "0", currency: str = "CNY") -> int:
    """A PO of `quantity` A at `price` (plus freight), sent and received in full into the pick bin as the
    floor's receiving scan does it: the PO receipt (publishing purchasing.receipt) and the stock move in
    one transaction. Returns the receipt id."""
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.services import receive
    from erp_core.purchasing import services

    with app.app_context():
        po = services.create_po(services.NewPo(world["acme"], world["sh"],
                                               [services.NewPoLine(world["a"], quantity, Decimal(price))],
                                               freight=Decimal(freight), currency=currency))
        services.send_po(po.id)
        with atomic():
            receipt = services.receive_against_po(po.id, world["a"], quantity)
            receive(world["a"], world["pick"], quantity, reference=po.number)
        receipt_id = receipt.id
        db.session.remove()
        return receipt_id


def ship(app, world: dict, order_id: int, quantity: int, reference: str, *, shipping_cost: str = "0") -> None:
    """Units of the order's line leave for the customer (a ledger move) and finance.shipment is
    published with the payload the shipping desk sends (wms.shipping.services._publish_shipped)."""
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.services import move_stock, virtual_location
    from erp_core.models_base import utcnow
    from erp_core.orders.models import OrderLine
    from erp_core.outbox import publish

    with app.app_context(), atomic():
        line = db.session.scalar(select(OrderLine).filter_by(order_id=order_id))
        move_stock(line.sku_id, world["pick"], virtual_location("CUSTOMER").id, quantity, reason="ship",
                   reference=reference)
        publish("finance.shipment", {"shipment": reference, "order_id": order_id, "warehouse_id": world["sh"],
                                     "shipped_at": utcnow().isoformat(), "shipping_cost": shipping_cost,
                                     "lines": [{"order_line_id": line.id, "sku_id": line.sku_id, "lot_id": None,
                                                "quantity": quantity}]}, key=f"finance:{reference}")


def order(app, external_id: str, quantity: int, price: str, *, goods_total: str | None = None,
          shipping_fee: str = "0", currency: str = "CNY") -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    with app.app_context():
        made = create_order(NewOrder(channel_code="TM", external_id=external_id, ship_name="王芳",
                                     ship_phone="13800138000", ship_province="上海", ship_address="中山路 1 号",
                                     lines=[NewOrderLine("A", quantity, Decimal(price))], currency=currency,
                                     shipping_fee=Decimal(shipping_fee)))
        if goods_total is not None:
            db.session.get(Order, made.id).goods_total = Decimal(goods_total)
            db.session.commit()
        order_id = made.id
        db.session.remove()
        return order_id


def post_all(app) -> dict:
    from erp_core.extensions import db
    from erp_core.finance.postings import post_pending

    with app.app_context():
        result = post_pending()
        db.session.remove()
        return result


def balance(app, code: str) -> Decimal:
    """An account's base balance, debit - credit."""
    from sqlalchemy import func

    from erp_core.extensions import db
    from erp_core.finance.models import Account, JournalLine

    with app.app_context():
        found = db.session.execute(select(func.coalesce(func.sum(JournalLine.base_debit), 0)
                                          - func.coalesce(func.sum(JournalLine.base_credit), 0))
                                   .join(Account).where(Account.code == code)).scalar()
        return Decimal(found or 0)
