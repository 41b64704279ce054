"""Which customer record stands for a buyer now: a merged record points at its survivor (a chain when
the survivor was merged in turn). Intake and the audit use it, so a merged buyer's new orders go to,
and are judged by, the surviving record."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Customer

_MAX_CHAIN = 50


def survivor_id(customer_id: int | None) -> int | None:
    """The id of the record `customer_id` is (transitively) merged into; itself when not merged."""
    current, seen = customer_id, set()
    while current is not None and current not in seen and len(seen) < _MAX_CHAIN:
        seen.add(current)
        into = db.session.scalar(select(Customer.merged_into_id).where(Customer.id == current))
        if into is None:
            return current
        current = into
    return current


def survivor_of(customer: Customer) -> Customer:
    if customer.merged_into_id is None:
        return customer
    return db.session.get(Customer, survivor_id(customer.id)) or customer
