"""GET /api/v1/audit-events: the audit log as a feed (for a SIEM or an archive), admin only."""

from __future__ import annotations

from datetime import UTC

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..api.fields import Schema
from ..auth.guard import requires
from ..extensions import db
from .models import AuditEvent

bp = Blueprint("audit_api", __name__, description="The audit log (操作日志), append-only")
FEED_LIMIT = 500


class AuditFeedArgs(Schema):
    cursor = fields.Integer(load_default=0, validate=validate.Range(min=0),
                            metadata={"description": "the next_cursor of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, FEED_LIMIT))
    user_id = fields.Integer(load_default=None)
    action = fields.String(load_default="", validate=validate.Length(max=40),
                           metadata={"description": "an action code or its prefix (user, stock.adjust ...)"})
    object_type = fields.String(load_default="", validate=validate.Length(max=40))
    object_id = fields.String(load_default="", validate=validate.Length(max=64))
    since = fields.DateTime(load_default=None, metadata={"description": "only events at or after (ISO)"})
    until = fields.DateTime(load_default=None, metadata={"description": "only events before (ISO)"})


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String()
    ip = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    summary = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditFeedSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_cursor = fields.Integer(metadata={"description": "pass as cursor for the next page (same when none)"})


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.route("/audit-events")
class AuditEvents(MethodView):
    @requires("admin.audit")
    @bp.arguments(AuditFeedArgs, location="query")
    @bp.response(200, AuditFeedSchema)
    def get(self, args):
        """Audit events in the order they were written (by id), after `cursor`; pass the answer's
        next_cursor for the next page. Events are never changed or deleted. Stock moves are in the
        stock ledger, not here (the admin page shows both)."""
        query = select(AuditEvent).where(AuditEvent.id > args["cursor"]).order_by(AuditEvent.id)
        if args["user_id"] is not None:
            query = query.where(AuditEvent.user_id == args["user_id"])
        if args["action"]:
            query = query.where(AuditEvent.action.startswith(args["action"], autoescape=True))
        if args["object_type"]:
            query = query.where(AuditEvent.object_type == args["object_type"])
        if args["object_id"]:
            query = query.where(AuditEvent.object_id == args["object_id"])
        if args["since"] is not None:
            query = query.where(AuditEvent.at >= _utc(args["since"]))
        if args["until"] is not None:
            query = query.where(AuditEvent.at < _utc(args["until"]))
        items = list(db.session.scalars(query.limit(args["limit"])))
        return {"items": items, "next_cursor": items[-1].id if items else args["cursor"]}
