"""REST resources of customers (/api/v1/customers): list (page or cursor, updated_since), one customer with
tags, tier and RFM segment, tags and blacklist by PATCH, notes, feedback and merges by POST with an
Idempotency-Key. Thin: parse, call a service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..api.cursor import page_or_cursor, paged
from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import ErrorSchema, Money, PageArgs, Schema
from ..auth.guard import requires
from ..db import atomic
from ..extensions import db
from . import services
from .domain import SEGMENTS, mask_phone
from .merging import get_merge, merge_customers, unmerge_customers
from .models import FEEDBACK_KINDS, MOVE_KINDS, Customer, CustomerFeedback, CustomerNote
from .services import REASON_MAX, TAG_MAX, TEXT_MAX
from .stats import CustomerFilters, customer_query, profile

bp = Blueprint("customers_api", __name__, description="Customers (客户): tags, tiers, RFM, blacklist, merges")


class CustomerQuery(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=120),
                      metadata={"description": "name, phone or buyer id contains"})
    tag = fields.String(load_default="", validate=validate.Length(max=TAG_MAX))
    tier = fields.String(load_default="", validate=validate.Length(max=20),
                         metadata={"description": "a tier code, or `none`"})
    segment = fields.String(load_default="", validate=validate.OneOf(("", *SEGMENTS)))
    blacklisted = fields.Boolean(load_default=None, allow_none=True)
    updated_since = fields.AwareDateTime(load_default=None, allow_none=True,
                                         metadata={"description": "only customers changed at or after (ISO 8601)"})


class CustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked (138****8000) without customers.personal_data"})
    email = fields.String()
    platform = fields.String(allow_none=True)
    buyer_id = fields.String(allow_none=True)
    blacklisted = fields.Boolean()
    blacklist_reason = fields.String()
    tags = fields.List(fields.String())
    tier = fields.String(allow_none=True, metadata={"description": "VIP tier code (null: none)"})
    lifetime_orders = fields.Integer()
    lifetime_spend = Money()
    merged_into_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RfmSchema(Schema):
    recency = fields.Integer()
    frequency = fields.Integer()
    monetary = fields.Integer()
    recency_days = fields.Integer()
    segment = fields.String()


class NoteSchema(Schema):
    class Meta:
        model = CustomerNote

    id = fields.Integer(dump_only=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    user_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class FeedbackSchema(Schema):
    class Meta:
        model = CustomerFeedback

    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(FEEDBACK_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    order_id = fields.Integer(load_default=None, allow_none=True)
    status = fields.String(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    resolved_at = fields.DateTime(dump_only=True, allow_none=True)


class CustomerDetailSchema(CustomerSchema):
    rfm = fields.Nested(RfmSchema, allow_none=True)
    last_paid_at = fields.DateTime(allow_none=True)
    notes = fields.List(fields.Nested(NoteSchema))
    feedback = fields.List(fields.Nested(FeedbackSchema))


class CustomerPatchSchema(Schema):
    class Meta:
        model = Customer

    tags = fields.List(fields.String(validate=validate.Length(min=1, max=TAG_MAX)), validate=validate.Length(max=50),
                       metadata={"description": "the full set of tags (replaces the current ones)"})
    blacklisted = fields.Boolean()
    blacklist_reason = fields.String(load_default="", validate=validate.Length(max=REASON_MAX))


class MergeInSchema(Schema):
    survivor_id = fields.Integer(required=True, metadata={"description": "the record that stays"})
    merged_id = fields.Integer(required=True, metadata={"description": "the record merged into it"})


class MergeSchema(Schema):
    id = fields.Integer()
    survivor_id = fields.Integer()
    merged_id = fields.Integer()
    status = fields.String(metadata={"description": "merged | unmerged"})
    merged_by_id = fields.Integer(allow_none=True)
    merged_at = fields.DateTime()
    unmerged_by_id = fields.Integer(allow_none=True)
    unmerged_at = fields.DateTime(allow_none=True)
    took_blacklist = fields.Boolean()
    moved = fields.Method("_moved", metadata={"description": "ids of the records moved, by kind"})

    def _moved(self, merge):
        return {kind: merge.moved(kind) for kind in MOVE_KINDS}


def _phone(phone: str) -> str:
    return phone if current_user.can("customers.personal_data") else mask_phone(phone)


def _out(customer: Customer, *, orders: int, spend, tier: str | None) -> dict:
    private = current_user.can("customers.personal_data")
    return {"id": customer.id, "name": customer.name, "phone": _phone(customer.phone),
            "email": customer.email if private else "", "platform": customer.platform, "buyer_id": customer.buyer_id,
            "blacklisted": customer.blacklisted, "blacklist_reason": customer.blacklist_reason,
            "tags": customer.tag_names, "tier": tier or None, "lifetime_orders": int(orders or 0),
            "lifetime_spend": spend or 0, "merged_into_id": customer.merged_into_id,
            "created_at": customer.created_at, "updated_at": customer.updated_at}


def _detail(customer: Customer) -> dict:
    figures = profile(customer.id, services.tier_rules(), services.rfm_settings())
    out = _out(customer, orders=figures.summary.lifetime_orders, spend=figures.summary.lifetime_spend,
               tier=figures.tier.code if figures.tier else None)
    rfm = figures.rfm
    out["rfm"] = None if rfm is None else {"recency": rfm.recency, "frequency": rfm.frequency,
                                           "monetary": rfm.monetary, "recency_days": rfm.recency_days,
                                           "segment": rfm.segment}
    out["last_paid_at"] = figures.summary.last_paid_at
    out["notes"] = db.session.scalars(select(CustomerNote).filter_by(customer_id=customer.id)
                                      .order_by(CustomerNote.id)).all()
    out["feedback"] = db.session.scalars(select(CustomerFeedback).filter_by(customer_id=customer.id)
                                         .order_by(CustomerFeedback.id)).all()
    return out


@bp.route("/customers")
class Customers(MethodView):
    @requires("customers.view")
    @bp.arguments(CustomerQuery, location="query")
    @bp.response(200, paged(CustomerSchema))
    def get(self, args):
        """Customers in id order, filtered; merged records left out. Page with page/per_page, or follow
        next_cursor; with updated_since a client keeps a copy in sync."""
        filters = CustomerFilters(q=args["q"], tag=args["tag"], tier=args["tier"], segment=args["segment"],
                                  blacklisted=args["blacklisted"], updated_since=args["updated_since"])
        stmt = customer_query(filters, services.tier_rules(), services.rfm_settings())
        found = page_or_cursor(stmt, Customer.id, args, fetch=lambda query: db.session.execute(query).all(),
                               id_of=lambda row: row[0].id)
        return {**found, "items": [_out(c, orders=orders, spend=spend, tier=tier)
                                   for c, orders, spend, tier in found["items"]]}


@bp.route("/customers/<int:customer_id>")
class CustomerById(MethodView):
    @requires("customers.view")
    @bp.response(200, CustomerDetailSchema)
    def get(self, customer_id):
        """One customer with tags, VIP tier, RFM scores and segment, notes and feedback."""
        return _detail(services.get_customer(customer_id))

    @requires("customers.edit")
    @bp.arguments(CustomerPatchSchema)
    @bp.response(200, CustomerDetailSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The customer is merged into another (customer_merged)")
    @bp.alt_response(422, schema=ErrorSchema, description="Blacklisting without a reason (blacklist_reason_required)")
    def patch(self, data, customer_id):
        """Replace the tags and/or set or clear the blacklist (a reason is needed to blacklist)."""
        with atomic():
            if "tags" in data:
                services.set_tags(customer_id, data["tags"])
            if "blacklisted" in data:
                services.set_blacklist(customer_id, data["blacklisted"], data["blacklist_reason"])
        return _detail(services.get_customer(customer_id))


@bp.route("/customers/<int:customer_id>/notes")
class CustomerNotes(MethodView):
    @requires("customers.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(NoteSchema)
    @bp.response(201, NoteSchema)
    def post(self, data, customer_id):
        """Add a note to the customer."""
        return services.add_note(customer_id, data["text"], user_id=current_user.id)


@bp.route("/customers/<int:customer_id>/feedback")
class CustomerFeedbackList(MethodView):
    @requires("customers.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(FeedbackSchema)
    @bp.response(201, FeedbackSchema)
    @bp.alt_response(422, schema=ErrorSchema, description="The order is not the customer's "
                     "(feedback_order_not_customers)")
    def post(self, data, customer_id):
        """Record feedback or a complaint, optionally about one of the customer's orders; it starts open."""
        return services.add_feedback(customer_id, data["kind"], data["text"], order_id=data["order_id"],
                                     user_id=current_user.id)


@bp.route("/customers/merges")
class CustomerMerges(MethodView):
    @requires("customers.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(MergeInSchema)
    @bp.response(201, MergeSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="A record is merged into another already "
                     "(customer_already_merged)")
    def post(self, data):
        """Merge `merged_id` into `survivor_id`: its orders, notes, feedback and the tags the survivor
        lacks move, and the trail says which. The same pair merged again returns the same trail."""
        return merge_customers(data["survivor_id"], data["merged_id"], user_id=current_user.id)


@bp.route("/customers/merges/<int:merge_id>")
class CustomerMergeById(MethodView):
    @requires("customers.view")
    @bp.response(200, MergeSchema)
    def get(self, merge_id):
        """One merge trail: who, when, and the ids of what moved."""
        return get_merge(merge_id)


@bp.route("/customers/merges/<int:merge_id>/undo")
class CustomerUnmerge(MethodView):
    @requires("customers.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.response(200, MergeSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The survivor was merged into a third record since "
                     "(customer_merge_not_last)")
    def post(self, merge_id):
        """Un-merge: exactly the records the merge moved go back. Undoing an undone merge changes nothing."""
        return unmerge_customers(merge_id, user_id=current_user.id)
