"""REST: after-sales cases (/api/v1/returns). Thin: parse, call the services, serialise.

A platform adapter or middleware posts a case with an Idempotency-Key; a case naming its platform
case id is taken in once per channel (the same id again returns the first case)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..api.cursor import page_or_cursor, paged, updated_since_field
from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import ErrorSchema, Money, PageArgs, Schema
from ..auth.guard import requires
from ..auth.object_access import require_warehouse_of, warehouse_of_arg
from ..catalog.services import sku_by_code
from ..orders.services import get_order
from . import domain
from . import services as cases
from .models import AfterSalesCase, AfterSalesLine

bp = Blueprint("returns_api", __name__, description="After-sales cases (售后单): returns, refunds, exchanges, resends")


class CaseLineSchema(Schema):
    class Meta:
        model = AfterSalesLine

    id = fields.Integer(dump_only=True)
    order_line_id = fields.Integer(required=True)
    sku = fields.Function(lambda line: line.sku.code, dump_only=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000))
    reason_code = fields.String(load_default="other", validate=validate.OneOf(domain.REASON_CODES))
    note = fields.String(load_default="", validate=validate.Length(max=255))
    exchange_sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                                 metadata={"description": "the replacement SKU of an exchange (default: the same)"})
    received_quantity = fields.Integer(dump_only=True)
    restocked_quantity = fields.Integer(dump_only=True)
    damaged_quantity = fields.Integer(dump_only=True)
    scrapped_quantity = fields.Integer(dump_only=True)


class CaseSchema(Schema):
    class Meta:
        model = AfterSalesCase

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.KINDS))
    status = fields.String(dump_only=True)
    order_id = fields.Integer(required=True)
    order_number = fields.Function(lambda case: case.order.external_id, dump_only=True)
    new_order_id = fields.Integer(dump_only=True, allow_none=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    warehouse_id = fields.Integer(dump_only=True, allow_none=True)
    lines = fields.List(fields.Nested(CaseLineSchema), load_default=list)
    refund_amount = Money(load_default="0")
    currency = fields.String(dump_only=True)
    reason_code = fields.String(load_default="other", validate=validate.OneOf(domain.REASON_CODES))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    return_tracking_number = fields.String(load_default="", validate=validate.Length(max=40))
    platform_case_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                     metadata={"description": "the platform's case id: taken in once per channel"})
    created_at = fields.DateTime(dump_only=True)
    refunded_at = fields.DateTime(dump_only=True, allow_none=True)


class CaseQuery(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(domain.CASE_STATUSES))
    kind = fields.String(load_default=None, validate=validate.OneOf(domain.KINDS))
    order_id = fields.Integer(load_default=None)
    updated_since = updated_since_field("cases")


class RefundSchema(Schema):
    amount = Money(load_default=None, allow_none=True, metadata={"description": "default: the case's amount"})


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _my_case(case_id: int) -> AfterSalesCase:
    case = cases.get_case(case_id)
    require_warehouse_of("aftersales_case", case_id)
    return case


@bp.route("/returns")
class Cases(MethodView):
    @requires("aftersales.view")
    @bp.arguments(CaseQuery, location="query")
    @bp.response(200, paged(CaseSchema))
    def get(self, args):
        """After-sales cases, newest first, filtered by status, type and order."""
        stmt = select(AfterSalesCase).order_by(AfterSalesCase.id.desc())
        for name in ("status", "kind", "order_id"):
            if args[name] is not None:
                stmt = stmt.where(getattr(AfterSalesCase, name) == args[name])
        allowed = current_user.warehouse_ids()
        if allowed is not None:
            stmt = stmt.where(AfterSalesCase.warehouse_id.in_(allowed))
        if args["updated_since"]:
            stmt = stmt.where(AfterSalesCase.updated_at >= args["updated_since"])
        return page_or_cursor(stmt, AfterSalesCase.id, args, newest_first=True)

    @requires("aftersales.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(CaseSchema)
    @bp.response(201, CaseSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="More than was shipped (return_over_shipped) or a refund "
                     "over what was paid (refund_over_paid); nothing is created")
    def post(self, data):
        """Open a case on an order (`requested`): its lines (order line, quantity, reason), the refund."""
        order = get_order(data["order_id"])
        require_warehouse_of("order", order.id)
        lines = [cases.NewCaseLine(line["order_line_id"], line["quantity"], line["reason_code"], line["note"],
                                   sku_by_code(line["exchange_sku"]).id if line.get("exchange_sku") else None)
                 for line in data["lines"]]
        return cases.create_case(cases.NewCase(
            order_id=order.id, kind=data["kind"], lines=lines, refund_amount=data["refund_amount"],
            reason_code=data["reason_code"], note=data["note"], return_tracking_number=data["return_tracking_number"],
            channel_id=order.channel_id, platform_case_id=data["platform_case_id"]), user_id=current_user.id)


@bp.route("/returns/<int:case_id>")
class CaseById(MethodView):
    @requires("aftersales.view")
    @bp.response(200, CaseSchema)
    def get(self, case_id):
        """One case with its lines and what was received and inspected."""
        return _my_case(case_id)


def _action(name: str, doc: str, service, schema=None):
    """POST /returns/<id>/<name>: one decision on the case."""

    def post(self, *args, case_id):
        _my_case(case_id)
        return service(case_id, *(args[0].values() if args else ()), user_id=current_user.id)

    post.__doc__ = doc
    post = requires("aftersales.manage")(bp.response(200, CaseSchema)(
        bp.alt_response(409, schema=ErrorSchema, description="Not allowed in the case's status, or over a limit")(
            bp.arguments(schema)(post) if schema else post)))
    post = warehouse_of_arg("aftersales_case", "case_id")(post)  # before the body is read
    post = bp.doc(**IDEMPOTENCY_DOC)(idempotent(post))
    view = type(f"Case{name.title().replace('_', '')}", (MethodView,), {"post": post})
    bp.route(f"/returns/<int:case_id>/{name.replace('_', '-')}")(view)


_action("approve", "Approve: goods cases then await the return; an intercept stops the order.", cases.approve_case)
_action("reject", "Reject the case with a reason.", cases.reject_case, RejectSchema)
_action("cancel", "Cancel a case nothing was received on.", cases.cancel_case)
_action("refund", "Refund (publishes finance.refund); at most what was paid less other refunds.", cases.refund_case,
        RefundSchema)
_action("complete", "Complete: an exchange or resend creates its new order.", cases.complete_case)
