"""REST: webhooks (/api/v1/webhooks) and their delivery log with replay. Thin: parse, call, serialise.

The signing secret is in the answer of POST /webhooks and POST /webhooks/{id}/rotate-secret only. The
Idempotency-Key layer keeps those answers to replay them: it keeps the secret encrypted
(`_secret_told` decrypts it on the way out), so no plain secret is ever stored."""

from __future__ import annotations

import json
from functools import wraps

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..api.cursor import page_or_cursor, paged
from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import PageArgs
from ..auth.guard import requires
from ..crypto import PREFIX, decrypt, encrypt
from . import services
from .models import DELIVERY_STATUSES, EVENT_TYPES, WebhookDelivery, WebhookSubscription

bp = Blueprint("webhooks_api", __name__, description="Webhooks (事件推送): subscriptions, deliveries, replay")
PERMISSION = "webhooks.manage"


class WebhookSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(required=True, validate=validate.Length(min=1, max=500),
                        metadata={"description": "https; loopback and private addresses are refused unless "
                                                 "the server's OUTBOUND_* settings allow them"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))
    description = fields.String(load_default="", validate=validate.Length(max=services.MAX_DESCRIPTION))
    active = fields.Boolean(load_default=True)
    secret_set = fields.Method("_secret_set", dump_only=True,
                               metadata={"description": "the secret is never shown again after creation"})
    created_by = fields.Function(lambda s: s.created_by.username if s.created_by else None, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def _secret_set(self, subscription) -> bool:
        return bool(subscription.secret)


class WebhookPatchSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=500))
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)),
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))
    description = fields.String(validate=validate.Length(max=services.MAX_DESCRIPTION))
    active = fields.Boolean()


class WebhookWithSecretSchema(WebhookSchema):
    secret = fields.String(attribute="told_secret", dump_only=True,
                           metadata={"description": "the signing secret: shown this once"})


class WebhookAttemptSchema(Schema):
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String()
    response_body = fields.String(metadata={"description": "the first 500 characters of the answer"})
    duration_ms = fields.Integer()
    replay = fields.Boolean()


class WebhookDeliverySchema(Schema):
    id = fields.Integer()
    webhook_id = fields.Integer(attribute="subscription_id")
    event_type = fields.String()
    event_key = fields.String()
    status = fields.String(metadata={"description": "pending | delivered | failed"})
    attempts = fields.Integer()
    failures = fields.Integer(metadata={"description": "failed tries in a row (the backoff step)"})
    next_attempt_at = fields.DateTime()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String()
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    data = fields.Function(lambda d: json.loads(d.data))
    attempt_log = fields.List(fields.Nested(WebhookAttemptSchema))


class WebhookDeliveryQuery(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))


def _secret_told(view):
    """Decrypt the `secret` of the answer as it leaves (the stored, replayable answer keeps it encrypted)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        body = response.get_json(silent=True)
        if isinstance(body, dict) and str(body.get("secret", "")).startswith(PREFIX):
            body["secret"] = decrypt(body["secret"])
            response.set_data(json.dumps(body, ensure_ascii=False))
        return response

    return wrapper


def _with_secret(subscription, secret: str):
    """The subscription with its new secret to tell, encrypted until `_secret_told` (not a column)."""
    subscription.told_secret = encrypt(secret)
    return subscription


@bp.route("/webhooks")
class Webhooks(MethodView):
    @requires(PERMISSION)
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, paged(WebhookSchema))
    def get(self, args):
        """Webhook subscriptions, oldest first."""
        return page_or_cursor(services.subscriptions_query(), WebhookSubscription.id, args)

    @requires(PERMISSION)
    @bp.doc(**IDEMPOTENCY_DOC)
    @_secret_told
    @idempotent
    @bp.arguments(WebhookSchema)
    @bp.response(201, WebhookWithSecretSchema)
    def post(self, data):
        """Subscribe a URL to event types; the answer carries the signing secret, shown this once."""
        subscription, secret = services.create_subscription(
            data["url"], data["events"], description=data["description"], active=data["active"],
            user_id=current_user.id)
        return _with_secret(subscription, secret)


@bp.route("/webhooks/<int:webhook_id>")
class WebhookById(MethodView):
    @requires(PERMISSION)
    @bp.response(200, WebhookSchema)
    def get(self, webhook_id):
        """One subscription (its secret only as secret_set)."""
        return services.get_subscription(webhook_id)

    @requires(PERMISSION)
    @bp.arguments(WebhookPatchSchema)
    @bp.response(200, WebhookSchema)
    def patch(self, data, webhook_id):
        """Change the URL, event types, description or switch it on/off."""
        return services.update_subscription(webhook_id, **data)

    @requires(PERMISSION)
    @bp.response(204)
    def delete(self, webhook_id):
        """Delete the subscription with its delivery log."""
        services.delete_subscription(webhook_id)


@bp.route("/webhooks/<int:webhook_id>/rotate-secret")
class WebhookSecret(MethodView):
    @requires(PERMISSION)
    @bp.doc(**IDEMPOTENCY_DOC)
    @_secret_told
    @idempotent
    @bp.response(200, WebhookWithSecretSchema)
    def post(self, webhook_id):
        """A new signing secret, effective at once; shown this once."""
        return _with_secret(*services.rotate_secret(webhook_id))


@bp.route("/webhooks/<int:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @requires(PERMISSION)
    @bp.arguments(WebhookDeliveryQuery, location="query")
    @bp.response(200, paged(WebhookDeliverySchema))
    def get(self, args, webhook_id):
        """The delivery log, newest first, each with its attempts (time, status code, error, answer)."""
        services.get_subscription(webhook_id)
        return page_or_cursor(services.deliveries_query(webhook_id, args["status"]), WebhookDelivery.id, args,
                              newest_first=True)


@bp.route("/webhook-deliveries/<int:delivery_id>")
class DeliveryById(MethodView):
    @requires(PERMISSION)
    @bp.response(200, WebhookDeliverySchema)
    def get(self, delivery_id):
        """One delivery with its payload and attempts."""
        return services.get_delivery(delivery_id)


@bp.route("/webhook-deliveries/<int:delivery_id>/replay")
class DeliveryReplay(MethodView):
    @requires(PERMISSION)
    @bp.response(202, WebhookDeliverySchema)
    def post(self, delivery_id):
        """Send the delivery again (same id and payload, new timestamp and signature) at the sender's next
        round, with the full retry schedule."""
        return services.replay_delivery(delivery_id)
