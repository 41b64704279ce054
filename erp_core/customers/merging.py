"""Merging customers across channels (客户合并), its trail, un-merging, and likely duplicates.

A merge moves the merged record's orders, tags the survivor lacks, notes and feedback to the
survivor, and writes which ones in CustomerMergeMove rows; un-merging moves exactly those back. Both
lock the two customer rows in id order (SELECT ... FOR UPDATE; SQLite's writer lock), then decide
from what they read under the lock: two desks merging the same pair get one merge (the second is
handed the first one's trail), a merge against another direction or a third record is refused, and
un-merging an un-merged trail is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from ..db import atomic, locked
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order
from ..statemachine import compare_and_set
from .models import (
    MERGE_TRANSITIONS,
    Customer,
    CustomerFeedback,
    CustomerMerge,
    CustomerMergeMove,
    CustomerNote,
    CustomerTag,
)

_MOVABLE = {"order": Order, "note": CustomerNote, "feedback": CustomerFeedback, "tag": CustomerTag}
_CHUNK = 500


def _lock_pair(first_id: int, second_id: int) -> dict[int, Customer]:
    rows = {}
    for customer_id in sorted((first_id, second_id)):
        customer = locked(Customer, customer_id)
        if customer is None:
            raise NotFound("no such customer", code="unknown_customer", customer_id=customer_id)
        rows[customer_id] = customer
    return rows


def _move(kind: str, ids: list[int], to_customer: int) -> None:
    model = _MOVABLE[kind]
    for start in range(0, len(ids), _CHUNK):
        db.session.execute(update(model).where(model.id.in_(ids[start:start + _CHUNK]))
                           .values(customer_id=to_customer).execution_options(synchronize_session=False))


def _inherited_reason(merged: Customer) -> str:
    return f"merged #{merged.id}: {merged.blacklist_reason}"[:255]


def active_merge(survivor_id: int, merged_id: int) -> CustomerMerge | None:
    return db.session.scalar(select(CustomerMerge).filter_by(survivor_id=survivor_id, merged_id=merged_id,
                                                             status="merged"))


def merge_customers(survivor_id: int, merged_id: int, *, user_id: int | None) -> CustomerMerge:
    """Merge `merged_id` into `survivor_id`; returns the trail. Idempotent: merging a pair already
    merged this way returns its trail and changes nothing.

    Locks: both customers, in id order. Refused when either record is merged into another already.
    The survivor takes the merged record's blacklist when it has none (undone by un-merging).
    """
    if survivor_id == merged_id:
        raise ValidationFailed("a customer cannot be merged into itself", code="customer_merge_itself")
    with atomic():
        rows = _lock_pair(survivor_id, merged_id)
        survivor, merged = rows[survivor_id], rows[merged_id]
        if merged.merged_into_id == survivor.id:
            existing = active_merge(survivor.id, merged.id)
            if existing is not None:
                return existing
        for customer in (survivor, merged):
            if customer.merged_into_id is not None:
                raise Conflict(f"customer #{customer.id} is already merged into #{customer.merged_into_id}",
                               code="customer_already_merged", customer=customer.id,
                               survivor=customer.merged_into_id)
        merge = CustomerMerge(survivor_id=survivor.id, merged_id=merged.id, merged_by_id=user_id)
        db.session.add(merge)
        db.session.flush()
        survivor_tags = set(db.session.scalars(select(CustomerTag.tag).filter_by(customer_id=survivor.id)))
        moving = {
            "order": list(db.session.scalars(select(Order.id).filter_by(customer_id=merged.id).order_by(Order.id))),
            "tag": list(db.session.scalars(select(CustomerTag.id).where(
                CustomerTag.customer_id == merged.id, CustomerTag.tag.not_in(survivor_tags or {""}))
                .order_by(CustomerTag.id))),
            "note": list(db.session.scalars(select(CustomerNote.id).filter_by(customer_id=merged.id))),
            "feedback": list(db.session.scalars(select(CustomerFeedback.id).filter_by(customer_id=merged.id))),
        }
        for kind, ids in moving.items():
            _move(kind, ids, survivor.id)
            db.session.add_all(CustomerMergeMove(merge_id=merge.id, kind=kind, record_id=i) for i in ids)
        if merged.blacklisted and not survivor.blacklisted:
            merge.took_blacklist = True
            merge.survivor_blacklist_reason_before = survivor.blacklist_reason
            survivor.blacklisted, survivor.blacklist_reason = True, _inherited_reason(merged)
        merged.merged_into_id = survivor.id
        survivor.updated_at = merged.updated_at = utcnow()
        db.session.flush()
    _forget_moved(survivor, merged)
    return merge


def unmerge_customers(merge_id: int, *, user_id: int | None) -> CustomerMerge:
    """Undo a merge: the merged record comes back and exactly the records the merge moved go back to
    it. Idempotent: un-merging an un-merged trail changes nothing.

    Locks: both customers in id order, then the trail row. Refused while the survivor is itself merged
    into a third record (un-merge that first, so everything moved is where this trail says).
    """
    with atomic():
        merge = db.session.get(CustomerMerge, merge_id)
        if merge is None:
            raise NotFound("no such merge", code="unknown_customer_merge", merge_id=merge_id)
        rows = _lock_pair(merge.survivor_id, merge.merged_id)
        merge = locked(CustomerMerge, merge_id)
        if merge.status == "unmerged":
            return merge
        survivor, merged = rows[merge.survivor_id], rows[merge.merged_id]
        if survivor.merged_into_id is not None:
            raise Conflict(f"customer #{survivor.id} was merged into #{survivor.merged_into_id} since; "
                           "un-merge that first", code="customer_merge_not_last", customer=survivor.id,
                           survivor=survivor.merged_into_id)
        compare_and_set(merge, "unmerged", MERGE_TRANSITIONS, what=f"merge #{merge.id}",
                        code="customer_merge_status", unmerged_by_id=user_id, unmerged_at=utcnow())
        for kind, model in _MOVABLE.items():
            ids = merge.moved(kind)
            # Only what is still with the survivor: nothing else moves these records while the trail is open.
            still = [i for start in range(0, len(ids), _CHUNK) for i in db.session.scalars(
                select(model.id).where(model.id.in_(ids[start:start + _CHUNK]), model.customer_id == survivor.id))]
            _move(kind, sorted(still), merged.id)
        if merge.took_blacklist and survivor.blacklisted and survivor.blacklist_reason == _inherited_reason(merged):
            survivor.blacklisted, survivor.blacklist_reason = False, merge.survivor_blacklist_reason_before
        merged.merged_into_id = None
        survivor.updated_at = merged.updated_at = utcnow()
        db.session.flush()
    _forget_moved(survivor, merged)
    return merge


def _forget_moved(*customers: Customer) -> None:
    for customer in customers:
        db.session.expire(customer, ["tags"])


def get_merge(merge_id: int) -> CustomerMerge:
    merge = db.session.get(CustomerMerge, merge_id)
    if merge is None:
        raise NotFound("no such merge", code="unknown_customer_merge", merge_id=merge_id)
    return merge


@dataclass(frozen=True)
class DuplicateGroup:
    """Customers that are probably one buyer, and why: the same phone, or the same name and address."""

    reason: str  # "phone" or "name_address"
    key: str
    customer_ids: tuple[int, ...]


def duplicate_suggestions(*, customer_id: int | None = None, limit: int = 50) -> list[DuplicateGroup]:
    """Groups of unmerged customers sharing a phone, or a name and shipping address on their orders;
    only the groups with `customer_id` in them when it is given."""
    groups: list[DuplicateGroup] = []
    live = Customer.merged_into_id.is_(None)
    phones = select(Customer.phone).where(live, Customer.phone != "").group_by(Customer.phone) \
        .having(func.count(Customer.id) > 1)
    if customer_id is not None:
        phones = phones.where(Customer.phone == select(Customer.phone).where(Customer.id == customer_id)
                              .scalar_subquery())
    for phone in db.session.scalars(phones.order_by(Customer.phone).limit(limit)):
        ids = tuple(db.session.scalars(select(Customer.id).where(live, Customer.phone == phone).order_by(Customer.id)))
        groups.append(DuplicateGroup("phone", phone, ids))
    place = (Order.ship_name, Order.ship_province, Order.ship_city, Order.ship_district, Order.ship_address)
    addresses = select(*place).join(Customer, Customer.id == Order.customer_id).where(
        live, Order.ship_address != "").group_by(*place).having(func.count(func.distinct(Order.customer_id)) > 1)
    if customer_id is not None:
        addresses = addresses.having(func.sum(case((Order.customer_id == customer_id, 1), else_=0)) > 0)
    for row in db.session.execute(addresses.order_by(*place).limit(limit)):
        ids = tuple(db.session.scalars(select(func.distinct(Order.customer_id)).join(
            Customer, Customer.id == Order.customer_id).where(live, *(c == v for c, v in zip(place, row, strict=True)))
            .order_by(Order.customer_id)))
        key = " ".join(part for part in row if part)
        if not any(g.customer_ids == ids for g in groups):
            groups.append(DuplicateGroup("name_address", key, ids))
    return groups[:limit]
