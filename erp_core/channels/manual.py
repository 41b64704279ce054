"""Manual order entry (手动录入): orders typed in by staff for phone and walk-in customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..catalog.models import Sku
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..orders.models import Order
from ..orders.regions import normalise_province
from ..orders.services import NewOrder, NewOrderLine, create_order
from ..sequences import next_number
from .models import Channel

#: Platforms whose shops take orders typed in by staff (phone and walk-in orders).
MANUAL_PLATFORMS = ("manual",)
NUMBERING_ATTEMPTS = 5  # tries to give a typed-in order the next free number


@dataclass(frozen=True)
class ManualOrder:
    """An order typed in by staff: where it goes and what is in it (SKU code, quantity)."""

    channel_id: int
    ship_name: str
    ship_phone: str
    ship_province: str
    ship_city: str
    ship_address: str
    lines: list[tuple[str, int]]
    ship_district: str = ""
    ship_postcode: str = ""
    buyer_note: str = ""


def next_manual_external_id(channel_id: int, day: date) -> str:
    """The next order number of the day in a shop: ``M-<yyyymmdd>-<n>``, from a counter row bumped
    atomically (two people entering orders at once never get the same number)."""
    prefix = f"M-{day:%Y%m%d}-"

    def highest_taken() -> int:
        taken = db.session.scalars(select(Order.external_id).where(
            Order.channel_id == channel_id, Order.external_id.startswith(prefix, autoescape=True)))
        return max((int(tail) for tail in (t[len(prefix):] for t in taken) if tail.isdigit()), default=0)

    return f"{prefix}{next_number(f'manual:{channel_id}:{day:%Y%m%d}', start_after=highest_taken)}"


def create_manual_order(draft: ManualOrder, *, day: date, user_id: int | None = None) -> Order:
    """Create a typed-in order at the SKUs' list prices, numbered ``M-<yyyymmdd>-<n>`` in its shop.

    All or nothing; raises ValidationFailed for an unknown or inactive SKU, a bad quantity or no lines."""
    channel = db.session.get(Channel, draft.channel_id)
    if channel is None or not channel.active or channel.platform not in MANUAL_PLATFORMS:
        raise NotFound("no such shop for manual orders", code="unknown_channel")
    if not draft.lines:
        raise ValidationFailed("an order needs at least one line", code="no_lines")
    skus = {s.code: s for s in db.session.scalars(select(Sku).where(Sku.code.in_([c for c, _ in draft.lines])))}
    for code, quantity in draft.lines:
        if code not in skus or not skus[code].active:
            raise ValidationFailed(f"unknown or inactive SKU {code}", code="unknown_sku", skus=[code])
        if quantity <= 0:
            raise ValidationFailed(f"bad quantity {quantity} for {code}", code="bad_quantity", sku=code,
                                   quantity=quantity)
    lines = [NewOrderLine(code, quantity, skus[code].price) for code, quantity in draft.lines]
    for _attempt in range(NUMBERING_ATTEMPTS):  # two people entering orders at once take the next number
        new = NewOrder(channel_code=channel.code, external_id=next_manual_external_id(channel.id, day),
                       lines=lines, ship_name=draft.ship_name, ship_phone=draft.ship_phone,
                       ship_province=normalise_province(draft.ship_province), ship_city=draft.ship_city,
                       ship_district=draft.ship_district, ship_address=draft.ship_address,
                       ship_postcode=draft.ship_postcode, buyer_note=draft.buyer_note)
        try:
            return create_order(new, user_id=user_id)
        except Conflict as error:
            if error.code != "order_exists":
                raise
    raise Conflict("could not number the order; try again", code="order_exists", attempts=NUMBERING_ATTEMPTS)
