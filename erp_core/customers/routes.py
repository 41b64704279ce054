"""Customer screens (客户): the list with search and filters, the customer page (figures, tier, RFM,
order history, tags, notes, feedback and complaints, blacklist). Thin: parse, call a service, render.
The merge screens and the RFM pages add their routes to this blueprint (merge_routes, rfm_routes)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.guard import requires
from ..channels.models import Channel
from ..extensions import db
from ..orders.models import Order
from . import services
from .domain import SEGMENTS, mask_phone
from .labels import (
    DUPLICATE_REASONS,
    FEEDBACK_STATUS_LABELS,
    SEGMENT_HINTS,
    SEGMENT_LABELS,
    feedback_kind_label,
    segment_label,
)
from .merging import duplicate_suggestions
from .models import Customer, CustomerFeedback, CustomerMerge, CustomerNote
from .panels import history_panels
from .stats import CustomerFilters, all_tags, customer_query, profile

bp = Blueprint("customers", __name__)
PER_PAGE = 50
HISTORY_PER_PAGE = 20


@bp.context_processor
def _helpers():
    return {"shown_phone": shown_phone, "segment_label": segment_label, "feedback_kind_label": feedback_kind_label,
            "segments": SEGMENTS, "segment_labels": SEGMENT_LABELS, "segment_hints": SEGMENT_HINTS,
            "feedback_status_labels": FEEDBACK_STATUS_LABELS, "duplicate_reasons": DUPLICATE_REASONS}


def shown_phone(phone: str) -> str:
    """The phone as this user may see it: masked without customers.personal_data (a viewer)."""
    return phone if current_user.can("customers.personal_data") else mask_phone(phone)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def filters_from(args) -> CustomerFilters:
    flag = args.get("blacklisted", "")
    return CustomerFilters(q=args.get("q", "")[:120], tag=args.get("tag", "")[:40], tier=args.get("tier", "")[:20],
                           segment=args.get("segment", "") if args.get("segment", "") in SEGMENTS else "",
                           blacklisted={"yes": True, "no": False}.get(flag), channel_id=_int(args.get("channel")),
                           include_merged=args.get("merged") == "1")


def paging(total: int, per_page: int) -> tuple[int, int]:
    pages = max((total + per_page - 1) // per_page, 1)
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


@bp.route("/")
@requires("customers.view")
def index():
    rules, settings = services.tier_rules(), services.rfm_settings()
    stmt = customer_query(filters_from(request.args), rules, settings)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, pages = paging(total, PER_PAGE)
    rows = db.session.execute(stmt.order_by(Customer.id.desc()).limit(PER_PAGE)
                              .offset((page - 1) * PER_PAGE)).all()
    return render_template("customers/index.html", rows=rows, total=total, page=page, pages=pages,
                           args=request.args, tiers=rules.tiers, tags=all_tags(),
                           tier_names={t.code: t.name for t in rules.tiers},
                           channels=db.session.scalars(select(Channel).order_by(Channel.name)).all())


def _visible_orders(customer_id: int):
    stmt = select(Order).where(Order.customer_id == customer_id)
    allowed = current_user.warehouse_ids()
    return stmt if allowed is None else stmt.where(Order.warehouse_id.in_(allowed))


@bp.route("/<int:customer_id>")
@requires("customers.view")
def show(customer_id: int):
    customer = services.get_customer(customer_id)
    figures = profile(customer.id, services.tier_rules(), services.rfm_settings())
    orders_stmt = _visible_orders(customer.id)
    total = db.session.scalar(select(func.count()).select_from(orders_stmt.subquery()))
    page, pages = paging(total, HISTORY_PER_PAGE)
    orders = db.session.scalars(orders_stmt.order_by(Order.ordered_at.desc(), Order.id.desc())
                                .limit(HISTORY_PER_PAGE).offset((page - 1) * HISTORY_PER_PAGE)).all()
    merges = db.session.scalars(select(CustomerMerge).where(
        (CustomerMerge.survivor_id == customer.id) | (CustomerMerge.merged_id == customer.id))
        .order_by(CustomerMerge.id.desc())).all()
    duplicates = duplicate_suggestions(customer_id=customer.id, limit=10) if customer.merged_into_id is None else []
    return render_template("customers/show.html", customer=customer, figures=figures, orders=orders,
                           orders_total=total, page=page, pages=pages, merges=merges, duplicates=duplicates,
                           panels=history_panels(customer), **_records(customer.id))


def _records(customer_id: int) -> dict:
    return {"notes": db.session.scalars(select(CustomerNote).filter_by(customer_id=customer_id)
                                        .order_by(CustomerNote.id.desc())).all(),
            "feedback": db.session.scalars(select(CustomerFeedback).filter_by(customer_id=customer_id)
                                           .order_by(CustomerFeedback.status, CustomerFeedback.id.desc())).all(),
            "customer_orders": db.session.execute(select(Order.id, Order.external_id).filter_by(
                customer_id=customer_id).order_by(Order.id.desc()).limit(200)).all()}


def _fragment_or_back(customer_id: int, template: str, message: str):
    customer = services.get_customer(customer_id)
    if request.headers.get("HX-Request"):
        return render_template(template, customer=customer, **_records(customer.id))
    flash(message, "success")
    return redirect(url_for("customers.show", customer_id=customer_id))


@bp.route("/<int:customer_id>/tags", methods=["POST"])
@requires("customers.edit")
def tags(customer_id: int):
    if request.form.get("remove"):
        services.remove_tag(customer_id, request.form["remove"])
    else:
        services.add_tag(customer_id, request.form.get("tag", ""))
    return _fragment_or_back(customer_id, "customers/_tags.html", _("Tags saved."))


@bp.route("/<int:customer_id>/notes", methods=["POST"])
@requires("customers.edit")
def add_note(customer_id: int):
    services.add_note(customer_id, request.form.get("text", ""), user_id=current_user.id)
    return _fragment_or_back(customer_id, "customers/_notes.html", _("Note added."))


@bp.route("/<int:customer_id>/feedback", methods=["POST"])
@requires("customers.edit")
def add_feedback(customer_id: int):
    services.add_feedback(customer_id, request.form.get("kind", ""), request.form.get("text", ""),
                          order_id=_int(request.form.get("order_id")), user_id=current_user.id)
    return _fragment_or_back(customer_id, "customers/_feedback.html", _("Saved."))


@bp.route("/feedback/<int:feedback_id>/status", methods=["POST"])
@requires("customers.edit")
def feedback_status(feedback_id: int):
    status = request.form.get("status", "")
    if status not in ("open", "resolved"):
        abort(400)
    record = services.set_feedback_status(feedback_id, status, user_id=current_user.id)
    return _fragment_or_back(record.customer_id, "customers/_feedback.html", _("Saved."))


@bp.route("/<int:customer_id>/blacklist", methods=["POST"])
@requires("customers.edit")
def blacklist(customer_id: int):
    services.set_blacklist(customer_id, request.form.get("blacklisted") == "1", request.form.get("reason", ""))
    flash(_("Blacklist saved."), "success")
    return redirect(url_for("customers.show", customer_id=customer_id))
