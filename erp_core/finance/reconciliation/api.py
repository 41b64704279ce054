"""REST: settlement statements (/api/v1/finance/statements). Thin: parse, call the services, serialise.

A statement is uploaded as multipart/form-data (format, channel_id, file) with an Idempotency-Key;
a file that does not read is refused 422 with every bad row (file, line, column, code, reason)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ...api.cursor import page_or_cursor, paged, updated_since_field
from ...api.idempotency import DOC as IDEMPOTENCY_DOC
from ...api.idempotency import idempotent
from ...api.schemas import ErrorSchema, Money, PageArgs, Schema
from ...auth.guard import requires
from ...errors import ValidationFailed
from . import services
from .models import FORMATS, LINE_STATUSES, STATEMENT_STATUSES, Statement

bp = Blueprint("reconciliation_api", __name__, description="Reconciliation (对账): settlement and bank statements")


def _signed_money(**kwargs):
    return Money(signed=True, **kwargs)


class LineSchema(Schema):
    id = fields.Integer()
    line_no = fields.Integer(allow_none=True, metadata={"description": "the file's line (none: a missing order)"})
    occurred_at = fields.DateTime(allow_none=True)
    kind = fields.String()
    fee_kind = fields.String()
    status = fields.String(metadata={"description": "matched | difference | missing | unexpected | info"})
    reference = fields.String()
    external_ref = fields.String()
    description = fields.String()
    counterparty = fields.String()
    amount = _signed_money(metadata={"description": "signed: positive is money in"})
    fee = _signed_money()
    expected_amount = _signed_money(allow_none=True)
    difference = _signed_money(allow_none=True)
    currency = fields.String()
    order_id = fields.Integer(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    purchase_order_id = fields.Integer(allow_none=True)
    reconciled_at = fields.DateTime(allow_none=True)
    reconcile_note = fields.String()


class StatementSchema(Schema):
    id = fields.Integer()
    format = fields.String()
    channel_id = fields.Integer(allow_none=True)
    file_name = fields.String()
    currency = fields.String()
    period_start = fields.DateTime(allow_none=True)
    period_end = fields.DateTime(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    counts = fields.Method("_counts")

    def _counts(self, statement):
        return services.line_counts([statement.id])[statement.id]


class StatementDetailSchema(StatementSchema):
    lines = fields.List(fields.Nested(LineSchema))


class StatementQuery(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATEMENT_STATUSES))
    format = fields.String(load_default=None, validate=validate.OneOf(FORMATS))
    updated_since = updated_since_field("statements")


class LineQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf((*LINE_STATUSES, "unresolved")))


class UploadForm(Schema):
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    channel_id = fields.Integer(load_default=None, allow_none=True)


class ReconcileSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500))


class _WithLines:
    """A statement shown with some of its lines (those of one status)."""

    def __init__(self, statement: Statement, lines: list) -> None:
        self._statement, self.lines = statement, lines

    def __getattr__(self, name: str):
        return getattr(self._statement, name)


@bp.route("/finance/statements")
class Statements(MethodView):
    @requires("finance.reconcile")
    @bp.arguments(StatementQuery, location="query")
    @bp.response(200, paged(StatementSchema))
    def get(self, args):
        """Imported statements, newest first."""
        stmt = select(Statement).order_by(Statement.id.desc())
        for name in ("status", "format"):
            if args[name] is not None:
                stmt = stmt.where(getattr(Statement, name) == args[name])
        if args["updated_since"]:
            stmt = stmt.where(Statement.updated_at >= args["updated_since"])
        return page_or_cursor(stmt, Statement.id, args, newest_first=True)

    @requires("finance.reconcile")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(UploadForm, location="form")
    @bp.response(201, StatementDetailSchema)
    @bp.alt_response(422, schema=ErrorSchema, description="The file is not in the format, not UTF-8/GBK text, or has "
                     "bad rows (statement_bad_rows, with `errors`: file, line, column, code, reason); nothing stored")
    @bp.alt_response(409, schema=ErrorSchema, description="The same file was imported already")
    def post(self, form):
        """Upload a statement (multipart: format, channel_id, file): parsed, matched, stored."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed("send the statement as the multipart field `file`", code="statement_file_required")
        return services.import_statement(form["format"], upload.filename, upload.read(),
                                         channel_id=form["channel_id"], user_id=current_user.id)


@bp.route("/finance/statements/<int:statement_id>")
class StatementById(MethodView):
    @requires("finance.reconcile")
    @bp.arguments(LineQuery, location="query")
    @bp.response(200, StatementDetailSchema)
    def get(self, args, statement_id):
        """One statement with its lines, filtered by status (or `unresolved`)."""
        statement = services.get_statement(statement_id)
        return _WithLines(statement, services.lines_of(statement.id, args["status"]))


@bp.route("/finance/statements/<int:statement_id>/lines/<int:line_id>/reconcile")
class ReconcileLine(MethodView):
    @requires("finance.reconcile")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ReconcileSchema)
    @bp.response(200, LineSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="Marked already, or the statement is confirmed")
    def post(self, data, statement_id, line_id):
        """Mark a line reconciled with a note (who and when are recorded)."""
        return services.mark_reconciled(statement_id, line_id, data["note"], user_id=current_user.id)


@bp.route("/finance/statements/<int:statement_id>/confirm")
class ConfirmStatement(MethodView):
    @requires("finance.reconcile")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.response(200, StatementSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="Lines not reconciled yet, or confirmed already")
    def post(self, statement_id):
        """Confirm a reconciled statement: its fees (finance.fee) and supplier payments are posted once."""
        return services.confirm_statement(statement_id, user_id=current_user.id)
