"""REST resources of carriers (快递公司), their number pools and carrier-choice rules, and the carriers'
tracking webhook. Thin: parse, call a service, serialise. The api_key is accepted, never returned."""

from __future__ import annotations

import json

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.idempotency import DOC as IDEMPOTENCY_DOC
from erp_core.api.idempotency import idempotent
from erp_core.api.schemas import Schema
from erp_core.auth.guard import requires, signed_webhook
from erp_core.extensions import db

from . import carrier_services as cs
from . import tracking
from .check_rules import RULES, NumberRange
from .models import CARRIER_KINDS, LABEL_FORMATS, Carrier, CarrierRule

bp = Blueprint("carriers_api", __name__, description="Carriers, number pools, carrier rules and tracking")


TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"  # a time of day, as fields.Time reads it


class PoolSchema(Schema):
    free = fields.Integer()
    used = fields.Integer()
    void = fields.Integer()
    low = fields.Boolean(metadata={"description": "fewer free numbers than WMS_POOL_LOW_THRESHOLD"})


class CarrierSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    kind = fields.String()
    adapter = fields.String()
    check_rule = fields.String()
    label_format = fields.String()
    api_url = fields.String()
    api_key_set = fields.Boolean(metadata={"description": "whether an API key is stored (the key is never shown)"})
    cost_table = fields.Dict()
    tracking_stale_hours = fields.Integer()
    cutoff_time = fields.Time(allow_none=True, metadata={"description": "daily cut-off, local time (HH:MM)",
                                                         "pattern": TIME_PATTERN})
    active = fields.Boolean()
    pool = fields.Nested(PoolSchema, allow_none=True)


class CarrierPatchSchema(Schema):
    class Meta:
        model = Carrier

    name = fields.String(validate=validate.Length(min=1, max=80))
    name_zh = fields.String(validate=validate.Length(max=80))
    kind = fields.String(validate=validate.OneOf(CARRIER_KINDS))
    adapter = fields.String(validate=validate.Length(max=30))
    check_rule = fields.String(validate=validate.OneOf(RULES))
    label_format = fields.String(validate=validate.OneOf(LABEL_FORMATS))
    api_url = fields.String(validate=validate.Length(max=300))
    api_key = fields.String(load_only=True, validate=validate.Length(max=300),
                            metadata={"description": "write-only; an empty string keeps the stored key"})
    cost_table = fields.Dict(metadata={"description": '{"default": [[max_g, "price"], ...], "<province>": [...]}'})
    tracking_stale_hours = fields.Integer(validate=validate.Range(min=1, max=1440))
    cutoff_time = fields.Time(allow_none=True,
                              metadata={"description": "daily cut-off, local time (HH:MM); null: none",
                                        "pattern": TIME_PATTERN})
    active = fields.Boolean()


class CarrierCreateSchema(CarrierPatchSchema):
    code = fields.String(required=True, validate=validate.Length(min=2, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


class RangeSchema(Schema):
    prefix = fields.String(load_default="", validate=validate.Length(max=20))
    start = fields.String(required=True, validate=validate.Length(min=1, max=20))
    end = fields.String(required=True, validate=validate.Length(min=1, max=20))
    suffix = fields.String(load_default="", validate=validate.Length(max=10))
    add_check_digit = fields.Boolean(load_default=False)


class PoolImportSchema(Schema):
    numbers = fields.List(fields.String(validate=validate.Length(max=60)), load_default=None)
    range = fields.Nested(RangeSchema, load_default=None)


class PoolImportedSchema(Schema):
    imported = fields.Integer()
    pool = fields.Nested(PoolSchema)


class RuleSchema(Schema):
    id = fields.Integer()
    priority = fields.Integer()
    carrier = fields.String()
    warehouse = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    provinces = fields.String()
    min_weight_g = fields.Integer(allow_none=True)
    max_weight_g = fields.Integer(allow_none=True)
    active = fields.Boolean()


class RulePatchSchema(Schema):
    class Meta:
        model = CarrierRule

    priority = fields.Integer(validate=validate.Range(min=0, max=100_000))
    carrier = fields.String()
    warehouse = fields.String(allow_none=True, metadata={"description": "warehouse code; empty or null = any"})
    channel = fields.String(allow_none=True, metadata={"description": "channel code; empty or null = any"})
    provinces = fields.String(metadata={"description": "comma list; empty = any"})
    min_weight_g = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    max_weight_g = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    active = fields.Boolean()


class RuleCreateSchema(RulePatchSchema):
    carrier = fields.String(required=True)


class WebhookResultSchema(Schema):
    accepted = fields.Integer()
    duplicates = fields.Integer()
    unknown = fields.List(fields.String(), metadata={"description": "tracking numbers of no live shipment"})
    exceptions = fields.Integer()


def carrier_out(carrier: Carrier) -> dict:
    counts = cs.pool_counts(carrier.id) if carrier.kind == "pool" else None
    return {"code": carrier.code, "name": carrier.name, "name_zh": carrier.name_zh, "kind": carrier.kind,
            "adapter": carrier.adapter, "check_rule": carrier.check_rule or "none",
            "label_format": carrier.label_format, "api_url": carrier.api_url, "api_key_set": bool(carrier.api_key),
            "cost_table": json.loads(carrier.cost_table or "{}"),
            "tracking_stale_hours": carrier.tracking_stale_hours, "cutoff_time": carrier.cutoff_time,
            "active": carrier.active,
            "pool": counts.__dict__ if counts else None}


def rule_out(rule: CarrierRule) -> dict:
    from erp_core.channels.models import Channel
    from erp_core.inventory.models import Warehouse

    warehouse = db.session.get(Warehouse, rule.warehouse_id) if rule.warehouse_id else None
    channel = db.session.get(Channel, rule.channel_id) if rule.channel_id else None
    return {"id": rule.id, "priority": rule.priority, "carrier": rule.carrier.code,
            "warehouse": warehouse.code if warehouse else None, "channel": channel.code if channel else None,
            "provinces": rule.provinces, "min_weight_g": rule.min_weight_g, "max_weight_g": rule.max_weight_g,
            "active": rule.active}


def _values(data: dict) -> dict:
    values = dict(data)
    if "cost_table" in values:
        values["cost_table"] = json.dumps(values["cost_table"], ensure_ascii=False)
    return values


@bp.route("/carriers")
class Carriers(MethodView):
    @requires("shipping.manage")
    @bp.response(200, CarrierSchema(many=True))
    def get(self):
        """Every carrier with its set-up and (pool carriers) its free, used and void numbers."""
        return [carrier_out(c) for c in db.session.scalars(select(Carrier).order_by(Carrier.code))]

    @requires("shipping.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(CarrierCreateSchema)
    @bp.response(201, CarrierSchema)
    def post(self, data):
        """Add a carrier."""
        code = data.pop("code")
        return carrier_out(cs.create_carrier(code, _values(data)))


@bp.route("/carriers/<code>")
class CarrierByCode(MethodView):
    @requires("shipping.manage")
    @bp.response(200, CarrierSchema)
    def get(self, code):
        """One carrier."""
        return carrier_out(cs.get_carrier(code))

    @requires("shipping.manage")
    @bp.arguments(CarrierPatchSchema)
    @bp.response(200, CarrierSchema)
    def patch(self, data, code):
        """Change a carrier's set-up; fields left out keep their value (the api_key too)."""
        return carrier_out(cs.update_carrier(code, _values(data)))


@bp.route("/carriers/<code>/numbers")
class CarrierNumbers(MethodView):
    @requires("shipping.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(PoolImportSchema)
    @bp.response(201, PoolImportedSchema)
    def post(self, data, code):
        """Import numbers the carrier issued: a list, or a range; all or nothing (422 `pool_import_refused`
        lists each bad line with its reason)."""
        carrier = cs.get_carrier(code)
        if data["range"] is not None:
            imported = cs.import_range(carrier.id, NumberRange(**data["range"]))
        else:
            imported = cs.import_numbers(carrier.id, [("api", i, n) for i, n in enumerate(data["numbers"] or [], 1)])
        return {"imported": imported, "pool": cs.pool_counts(carrier.id).__dict__}


@bp.route("/carrier-rules")
class CarrierRules(MethodView):
    @requires("shipping.manage")
    @bp.response(200, RuleSchema(many=True))
    def get(self):
        """The carrier-choice rules, lowest priority number (first tried) first."""
        rules = db.session.scalars(select(CarrierRule).order_by(CarrierRule.priority, CarrierRule.id))
        return [rule_out(r) for r in rules]

    @requires("shipping.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(RuleCreateSchema)
    @bp.response(201, RuleSchema)
    def post(self, data):
        """Add a carrier-choice rule."""
        return rule_out(cs.create_rule(data))


@bp.route("/carrier-rules/<int:rule_id>")
class CarrierRuleById(MethodView):
    @requires("shipping.manage")
    @bp.arguments(RulePatchSchema)
    @bp.response(200, RuleSchema)
    def patch(self, data, rule_id):
        """Change a rule; fields left out keep their value."""
        return rule_out(cs.update_rule(rule_id, data))

    @requires("shipping.manage")
    @bp.response(204)
    def delete(self, rule_id):
        """Remove a rule."""
        cs.delete_rule(rule_id)


@bp.route("/carriers/<code>/tracking", methods=["POST"])
@bp.doc(security=[], parameters=[{
    "in": "header", "name": tracking.SIGNATURE_HEADER, "required": True, "schema": {"type": "string"},
    "description": "sha256=<hex HMAC-SHA256 of the raw body with the carrier's API key>"}],
    requestBody={"content": {"application/json": {"schema": {"type": "object", "properties": {"events": {
        "type": "array", "items": {"type": "object", "properties": {k: {"type": "string", "maxLength": n} for k, n in (
            ("tracking_number", 60), ("external_id", 80), ("occurred_at", 40), ("code", 20), ("description", 300),
            ("location", 120))}}}}}}}})
@bp.response(200, WebhookResultSchema)
@signed_webhook
def tracking_webhook(code):
    """A carrier's tracking events (no login: authenticated by the signature). Replays are kept once."""
    result = tracking.receive_webhook(code, request.get_data(), request.headers.get(tracking.SIGNATURE_HEADER, ""))
    return result.__dict__
