"""Builders for the customer tests: a second shop, orders bought some days ago, who a customer is."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal


def add_jd_shop(app) -> None:
    """A JD shop next to the world's Tmall shop (TM): the same buyer can turn up in both."""
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        db.session.add(Channel(code="JD", name="JD shop", platform="jd"))
        db.session.commit()


def buy(external_id: str, *, channel: str = "TM", phone: str = "13800138000", name: str = "王芳",
        buyer_id: str | None = None, days_ago: int = 1, amount: str = "10.00", fee: str = "0",
        paid: bool = True, address: str = "中山路 100 号") -> int:
    """One order of one unit of A for `amount` (+ `fee` shipping), ordered and paid `days_ago` days ago."""
    from erp_core.models_base import utcnow
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    when = utcnow() - timedelta(days=days_ago)
    return create_order(NewOrder(
        channel_code=channel, external_id=external_id, lines=[NewOrderLine("A", 1, Decimal(amount))],
        ship_name=name, ship_phone=phone, ship_province="上海", ship_city="上海市", ship_address=address,
        buyer_id=buyer_id, shipping_fee=Decimal(fee), ordered_at=when, paid_at=when if paid else None)).id


def customer_of(order_id: int) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return db.session.get(Order, order_id).customer_id


def orders_of(customer_id: int) -> list[int]:
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return list(db.session.scalars(select(Order.id).filter_by(customer_id=customer_id).order_by(Order.id)))
