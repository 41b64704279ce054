"""The merge screens: likely duplicates, choosing the surviving record, the trail and un-merging."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..auth.guard import requires
from ..errors import ValidationFailed
from ..extensions import db
from ..orders.models import Order
from .merging import duplicate_suggestions, merge_customers, unmerge_customers
from .models import Customer, CustomerMerge
from .routes import bp, paging
from .services import get_customer

MERGES_PER_PAGE = 50


def _order_counts(ids) -> dict[int, int]:
    return dict(db.session.execute(select(Order.customer_id, func.count()).where(Order.customer_id.in_(ids))
                                   .group_by(Order.customer_id)).all())


@bp.route("/duplicates")
@requires("customers.edit")
def duplicates():
    groups = duplicate_suggestions(limit=100)
    ids = {i for g in groups for i in g.customer_ids}
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return render_template("customers/duplicates.html", groups=groups, customers=customers,
                           order_counts=_order_counts(ids))


@bp.route("/<int:customer_id>/merge")
@requires("customers.edit")
def merge_screen(customer_id: int):
    """Merge this customer with another: the likely duplicates, or any customer found by search."""
    customer = get_customer(customer_id)
    candidates: dict[int, Customer] = {}
    for group in duplicate_suggestions(customer_id=customer.id):
        for other in db.session.scalars(select(Customer).where(Customer.id.in_(group.customer_ids))):
            candidates.setdefault(other.id, other)
    if q := request.args.get("q", "").strip()[:120]:
        like = f"%{q}%"
        for other in db.session.scalars(select(Customer).where(
                Customer.merged_into_id.is_(None),
                or_(Customer.name.ilike(like), Customer.phone.ilike(like), Customer.buyer_id.ilike(like)))
                .order_by(Customer.id).limit(20)):
            candidates.setdefault(other.id, other)
    candidates.pop(customer.id, None)
    chosen = request.args.get("other", type=int)
    other = get_customer(chosen) if chosen else None
    return render_template("customers/merge.html", customer=customer, candidates=list(candidates.values()),
                           other=other, q=q, order_counts=_order_counts([customer.id, *candidates]))


@bp.route("/merge", methods=["POST"])
@requires("customers.edit")
def merge():
    try:
        first, second = int(request.form["customer_id"]), int(request.form["other_id"])
        survivor = int(request.form["survivor_id"])
    except (KeyError, ValueError) as error:
        raise ValidationFailed("choose the two customers and which one survives",
                               code="customer_merge_choice") from error
    if survivor not in (first, second):
        raise ValidationFailed("choose the two customers and which one survives", code="customer_merge_choice")
    merged = second if survivor == first else first
    merge_customers(survivor, merged, user_id=current_user.id)
    flash(_("Customers merged: #%(merged)d into #%(survivor)d.", merged=merged, survivor=survivor), "success")
    return redirect(url_for("customers.show", customer_id=survivor))


@bp.route("/merges")
@requires("customers.view")
def merges():
    total = db.session.scalar(select(func.count(CustomerMerge.id)))
    page, pages = paging(total, MERGES_PER_PAGE)
    rows = db.session.scalars(select(CustomerMerge).order_by(CustomerMerge.id.desc()).limit(MERGES_PER_PAGE)
                              .offset((page - 1) * MERGES_PER_PAGE)).all()
    return render_template("customers/merges.html", merges=rows, page=page, pages=pages)


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@requires("customers.edit")
def unmerge(merge_id: int):
    merge = unmerge_customers(merge_id, user_id=current_user.id)
    flash(_("Merge undone: #%(merged)d is separate again.", merged=merge.merged_id), "success")
    return redirect(url_for("customers.show", customer_id=merge.merged_id))
