"""REST: ASNs (到货通知) with their lines, expected and received (read), and new ASNs. Thin."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.cursor import CursorArgs, cursor_page, cursor_paged, in_my_warehouses
from erp_core.api.idempotency import DOC as IDEMPOTENCY_DOC
from erp_core.api.idempotency import idempotent
from erp_core.api.schemas import ErrorSchema, Schema
from erp_core.auth.guard import requires
from erp_core.auth.object_access import warehouse_of_arg
from erp_core.catalog.models import Sku
from erp_core.catalog.services import sku_by_code
from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse

from .asn_services import MAX_ASN_QUANTITY, create_asn
from .models import ASN_STATUSES, Asn

bp = Blueprint("asns_api", __name__, description="ASNs and what was received against them (到货通知 / 入库)")


class AsnQuery(CursorArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(ASN_STATUSES))
    warehouse = fields.String(load_default=None, validate=validate.Length(max=20))


class AsnLineSchema(Schema):
    sku = fields.Function(lambda line: line.sku.code, dump_only=True)
    expected_quantity = fields.Integer(dump_only=True)
    received_quantity = fields.Integer(dump_only=True)
    damaged_quantity = fields.Integer(dump_only=True)


class AsnSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True)
    warehouse = fields.Function(lambda a: a.warehouse.code, dump_only=True)
    supplier = fields.String(dump_only=True)
    blind = fields.Boolean(dump_only=True)
    status = fields.String(dump_only=True)
    purchase_order_id = fields.Integer(dump_only=True, allow_none=True)
    expected_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    lines = fields.List(fields.Nested(AsnLineSchema), dump_only=True)


class AsnLineInSchema(Schema):
    class Meta:
        columns = {"sku": Sku.code}

    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ASN_QUANTITY))


class AsnInSchema(Schema):
    class Meta:
        model = Asn
        columns = {"warehouse": Warehouse.code}

    warehouse = fields.String(required=True)
    reference = fields.String(load_default="", metadata={"description": "default: ASN-000123"})
    supplier = fields.String(load_default="")
    expected_at = fields.AwareDateTime(load_default=None, default_timezone=None)
    lines = fields.List(fields.Nested(AsnLineInSchema), required=True, validate=validate.Length(min=1, max=500))


def _asn(asn_id: int) -> Asn:
    asn = db.session.get(Asn, asn_id)
    if asn is None or not current_user.may_access_warehouse(asn.warehouse_id):
        raise NotFound("no such ASN", code="unknown_asn")
    return asn


@bp.route("/asns")
class Asns(MethodView):
    @requires("inbound.work")
    @bp.arguments(AsnQuery, location="query")
    @bp.response(200, cursor_paged(AsnSchema))
    def get(self, args):
        """ASNs, newest first, in this user's warehouses, with expected, received and damaged units per
        line; by status, warehouse and `since` (created at or after)."""
        stmt = in_my_warehouses(select(Asn), Asn.warehouse_id, args["warehouse"])
        if args["status"]:
            stmt = stmt.where(Asn.status == args["status"])
        if args["since"]:
            stmt = stmt.where(Asn.created_at >= args["since"])
        return cursor_page(stmt, Asn.id, args, newest_first=True)

    @requires("inbound.asn_create")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(AsnInSchema)
    @bp.response(201, AsnSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The reference exists (asn_exists)")
    def post(self, data):
        """Announce a delivery: the SKUs and quantities expected at a warehouse."""
        warehouse = db.session.scalar(select(Warehouse).filter_by(code=data["warehouse"]))
        if warehouse is None or not current_user.may_access_warehouse(warehouse.id):
            raise NotFound("no such warehouse", code="unknown_warehouse")
        lines = [(sku_by_code(line["sku"]).id, line["quantity"]) for line in data["lines"]]
        return create_asn(warehouse.id, lines, reference=data["reference"], supplier=data["supplier"],
                          expected_at=data["expected_at"], user_id=current_user.id)


@bp.route("/asns/<int:asn_id>")
class AsnById(MethodView):
    @requires("inbound.work")
    @warehouse_of_arg("asn", "asn_id")
    @bp.response(200, AsnSchema)
    def get(self, asn_id):
        """One ASN with its lines: expected, received and damaged units."""
        return _asn(asn_id)
