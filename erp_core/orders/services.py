"""Order use-cases: intake and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..channels.models import Channel
from ..customers.models import Customer
from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..webhooks.events import announce_orders_created
from .models import Order, OrderEvent, OrderLine
from .states import EDITABLE_STATUSES, FINAL_STATUSES, lock_order, transition

__all__ = ["EDITABLE_STATUSES", "FINAL_STATUSES", "cancel_order", "create_order", "get_order", "record_event",
           "release_reservations"]


@dataclass(frozen=True)
class NewOrderLine:
    sku_code: str
    quantity: int
    unit_price: Decimal = Decimal("0")


@dataclass(frozen=True)
class NewOrder:
    channel_code: str
    external_id: str
    lines: list[NewOrderLine]
    ship_name: str = ""
    ship_phone: str = ""
    ship_country: str = "CN"
    ship_province: str = ""
    ship_city: str = ""
    ship_district: str = ""
    ship_address: str = ""
    ship_postcode: str = ""
    buyer_id: str | None = None
    buyer_note: str = ""
    seller_note: str = ""
    currency: str = "CNY"
    shipping_fee: Decimal = Decimal("0")
    ordered_at: datetime | None = None
    paid_at: datetime | None = None
    extra: dict = field(default_factory=dict)


def record_event(order: Order, kind: str, message: str = "", user_id: int | None = None) -> None:
    order.events.append(OrderEvent(kind=kind, message=message[:500], user_id=user_id))


def match_customer(platform: str, buyer_id: str | None, name: str, phone: str, channel_id: int) -> Customer:
    """The customer by platform buyer id, else by phone + name (its survivor when merged); created when not found."""
    customer = None
    if buyer_id:
        customer = db.session.scalar(select(Customer).filter_by(platform=platform, buyer_id=buyer_id))
    elif phone:
        customer = db.session.scalar(select(Customer).filter_by(phone=phone, name=name))
    if customer is not None and customer.merged_into_id is not None:
        from ..customers.lookup import survivor_of

        customer = survivor_of(customer)  # a merged buyer's new orders go to the surviving record
    if customer is None:
        customer = Customer(platform=platform if buyer_id else None, buyer_id=buyer_id, name=name or "-",
                            phone=phone, first_channel_id=channel_id)
        db.session.add(customer)
        db.session.flush()
    return customer


def create_order(new: NewOrder, *, user_id: int | None = None) -> Order:
    """Take in one order, all or nothing. Raises Conflict when the channel already has this order id."""
    from ..catalog.models import Sku

    if not new.lines:
        raise ValidationFailed("an order needs at least one line", code="no_lines")
    with atomic():
        channel = db.session.scalar(select(Channel).filter_by(code=new.channel_code))
        if channel is None:
            raise NotFound(f"no channel {new.channel_code}", code="unknown_channel")
        existing = db.session.scalar(select(Order.id).filter_by(channel_id=channel.id,
                                                                external_id=new.external_id))
        if existing:
            raise Conflict(f"order {new.external_id} of {channel.code} exists", code="order_exists",
                           order_id=existing)
        codes = {line.sku_code for line in new.lines}
        skus = {s.code: s for s in db.session.scalars(select(Sku).where(Sku.code.in_(codes)))}
        missing = sorted(codes - skus.keys())
        if missing:
            raise ValidationFailed(f"unknown SKU {', '.join(missing)}", code="unknown_sku", skus=missing)
        for line in new.lines:
            if line.quantity <= 0:
                raise ValidationFailed(f"bad quantity {line.quantity} for {line.sku_code}", code="bad_quantity")
        customer = match_customer(channel.platform, new.buyer_id, new.ship_name, new.ship_phone, channel.id)
        order = Order(channel_id=channel.id, external_id=new.external_id, customer_id=customer.id,
                      ship_name=new.ship_name, ship_phone=new.ship_phone, ship_country=new.ship_country,
                      ship_province=new.ship_province, ship_city=new.ship_city,
                      ship_district=new.ship_district, ship_address=new.ship_address,
                      ship_postcode=new.ship_postcode, buyer_note=new.buyer_note, seller_note=new.seller_note,
                      currency=new.currency, shipping_fee=new.shipping_fee,
                      ordered_at=new.ordered_at or utcnow(), paid_at=new.paid_at, buyer_id=new.buyer_id or "")
        total = Decimal("0")
        for line in new.lines:
            order.lines.append(OrderLine(sku_id=skus[line.sku_code].id, quantity=line.quantity,
                                         unit_price=line.unit_price))
            total += line.unit_price * line.quantity
        order.goods_total = total
        record_event(order, "created", f"from {channel.code}", user_id)
        db.session.add(order)
        db.session.flush()
        announce_orders_created([order.id])
    return order


def get_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("no such order", code="unknown_order", order_id=order_id)
    return order


def release_reservations(order: Order) -> int:
    """Give back every unit reserved for the order's lines; returns the units released."""
    from ..inventory.reservations import release_lines

    released = release_lines([line.id for line in order.lines])
    for line in order.lines:
        db.session.expire(line, ["reservations"])
    return released


def cancel_order(order_id: int, reason: str, *, user_id: int | None = None) -> Order:
    """Cancel an order the floor has not started picking; its reservations are released.

    Locks: the order row, then (releasing) its quants in id order. Cancelling a cancelled order is a
    no-op; cancelling one the floor has started is refused (409 not_cancellable).
    """
    with atomic():
        order = lock_order(order_id)
        if order.status == "cancelled":
            return order
        if order.status not in EDITABLE_STATUSES:
            raise Conflict(f"order {order.external_id} is {order.status} and can no longer be cancelled",
                           code="not_cancellable", order=order.external_id, order_status=order.status)
        release_reservations(order)
        transition(order, "cancelled", code="not_cancellable", hold_reason="")
        record_event(order, "cancelled", reason, user_id)
    return order
