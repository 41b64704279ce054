"""Order intake from files: parse (pure importers), then store each good order in its own transaction.

Each order is all or nothing: a file's good orders are imported even when others are rejected, and
every rejected row is reported with file, line, column and reason. An order the channel already has
is never imported twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from ..catalog.models import Sku
from ..db import atomic
from ..errors import DomainError, NotFound
from ..extensions import db
from ..orders.models import Order
from ..orders.services import (
    EDITABLE_STATUSES,
    NewOrder,
    NewOrderLine,
    cancel_order,
    create_order,
    record_event,
)
from .importers import ParsedOrder, RowError, parse_orders
from .models import Channel


@dataclass
class ImportReport:
    format: str
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.errors)


def _new_order(channel_code: str, parsed: ParsedOrder) -> NewOrder:
    return NewOrder(
        channel_code=channel_code, external_id=parsed.external_id,
        lines=[NewOrderLine(line.sku, line.quantity, line.unit_price) for line in parsed.lines],
        ship_name=parsed.name, ship_phone=parsed.phone, ship_country=parsed.country or "CN",
        ship_province=parsed.province, ship_city=parsed.city, ship_district=parsed.district,
        ship_address=parsed.address, ship_postcode=parsed.postcode, buyer_id=parsed.buyer_id or None,
        buyer_note=parsed.buyer_note, seller_note=parsed.seller_note, currency=parsed.currency,
        shipping_fee=parsed.shipping_fee, ordered_at=parsed.created_at, paid_at=parsed.paid_at)


ADDRESS_FIELDS = ("ship_name", "ship_phone", "ship_country", "ship_province", "ship_city", "ship_district",
                  "ship_address", "ship_postcode")


def _address_of(parsed: ParsedOrder) -> dict[str, str]:
    new = _new_order("", parsed)
    return {name: getattr(new, name) for name in ADDRESS_FIELDS}


def _apply_change(order: Order, parsed: ParsedOrder, report: ImportReport, user_id: int | None) -> None:
    """A channel re-sent an order we have: take a new address or a cancellation while the floor has
    not started picking it; otherwise leave it and say so."""
    address = _address_of(parsed)
    changed = {k: v for k, v in address.items() if v and getattr(order, k) != v}
    if not changed and not (parsed.cancelled and order.status != "cancelled"):
        report.already_imported.append(parsed.external_id)
        return
    if order.status not in EDITABLE_STATUSES:
        report.errors.append(RowError(
            file=parsed.source_file, line=parsed.source_line, column="", code="order_already_picking",
            reason=f"the order changed on the platform but is already {order.status}; change it by hand",
            value=parsed.external_id))
        return
    if parsed.cancelled:
        cancel_order(order.id, "cancelled on the platform", user_id=user_id)
    else:
        before = ", ".join(f"{k}={getattr(order, k)}" for k in changed)
        for key, value in changed.items():
            setattr(order, key, value)
        record_event(order, "address_changed", f"changed on the platform (was {before})"[:500], user_id)
    report.updated.append(order.id)


def store_parsed_orders(channel: Channel, orders: Sequence[ParsedOrder], report: ImportReport, *,
                        user_id: int | None = None) -> ImportReport:
    """Store parsed orders in a channel, one transaction each (all or nothing per order).

    New orders enter `pending`; an order the channel already has is never created twice: a changed
    address or a cancellation updates it while it is not yet picked.
    """
    ids = [o.external_id for o in orders]
    existing = {o.external_id: o.id for o in db.session.scalars(
        select(Order).where(Order.channel_id == channel.id, Order.external_id.in_(ids)))} if ids else {}
    for parsed in orders:
        try:
            with atomic():
                if parsed.external_id in existing:
                    _apply_change(db.session.get(Order, existing[parsed.external_id]), parsed, report, user_id)
                    continue
                order = create_order(_new_order(channel.code, parsed), user_id=user_id)
                record_event(order, "imported", f"{parsed.source_file} line {parsed.source_line}", user_id)
                if parsed.cancelled:
                    order.status = "cancelled"
                    record_event(order, "cancelled", "cancelled on the platform", user_id)
                existing[parsed.external_id] = order.id
        except DomainError as error:
            report.errors.append(RowError(file=parsed.source_file, line=parsed.source_line, column="",
                                          code=error.code, reason=error.message, value=parsed.external_id))
            continue
        report.created.append(order.id)
    return report


def import_order_files(channel_code: str, files: Sequence[tuple[str, bytes]], *,
                       user_id: int | None = None) -> ImportReport:
    """Import order files (format detected) into a channel; returns what was created and rejected."""
    channel = db.session.scalar(select(Channel).filter_by(code=channel_code))
    if channel is None:
        raise NotFound(f"no channel {channel_code}", code="unknown_channel")
    known = set(db.session.scalars(select(Sku.code).where(Sku.active.is_(True))))
    result = parse_orders(files, known_skus=known)
    report = ImportReport(format=result.format, skipped=list(result.skipped), errors=list(result.errors))
    return store_parsed_orders(channel, result.orders, report, user_id=user_id)
