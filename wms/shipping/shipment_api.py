"""REST: shipments (发货单) with their packages, lines and tracking events (read), and the tracking
number of a manual carrier's pre-printed waybill. Thin: parse, call a service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.cursor import CursorArgs, cursor_page, cursor_paged, in_my_warehouses
from erp_core.api.idempotency import DOC as IDEMPOTENCY_DOC
from erp_core.api.idempotency import idempotent
from erp_core.api.schemas import ErrorSchema, Money, Schema
from erp_core.auth.guard import requires
from erp_core.auth.object_access import warehouse_of_arg
from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse

from .models import SHIPMENT_STATUSES, Shipment
from .services import set_tracking_number

bp = Blueprint("shipments_api", __name__, description="Shipments, their packages and tracking (发货)")


class ShipmentQuery(CursorArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(SHIPMENT_STATUSES))
    warehouse = fields.String(load_default=None, validate=validate.Length(max=20))
    order_id = fields.Integer(load_default=None)


class PackageSchema(Schema):
    sequence = fields.Integer(dump_only=True)
    box_type = fields.Function(lambda p: p.box_type.code if p.box_type else None, dump_only=True, allow_none=True)
    weight_g = fields.Integer(dump_only=True, allow_none=True)
    tracking_number = fields.String(dump_only=True, allow_none=True)


class ShipmentLineSchema(Schema):
    sku = fields.Function(lambda line: line.sku.code, dump_only=True)
    lot_number = fields.Function(lambda line: line.lot.lot_number if line.lot else None, dump_only=True,
                                 allow_none=True)
    package = fields.Function(lambda line: line.package.sequence if line.package else None, dump_only=True,
                              allow_none=True)
    quantity = fields.Integer(dump_only=True)


class TrackingEventSchema(Schema):
    occurred_at = fields.DateTime(dump_only=True)
    code = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    location = fields.String(dump_only=True)


class ShipmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    warehouse = fields.Function(lambda s: db.session.get(Warehouse, s.warehouse_id).code, dump_only=True)
    carrier = fields.Function(lambda s: s.carrier.code if s.carrier else None, dump_only=True, allow_none=True)
    tracking_number = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True)
    measured_weight_g = fields.Integer(dump_only=True, allow_none=True)
    shipping_cost = Money(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    shipped_at = fields.DateTime(dump_only=True, allow_none=True)


class ShipmentDetailSchema(ShipmentSchema):
    packages = fields.List(fields.Nested(PackageSchema), dump_only=True)
    lines = fields.List(fields.Nested(ShipmentLineSchema), dump_only=True)
    events = fields.List(fields.Nested(TrackingEventSchema), dump_only=True)


class TrackingNumberSchema(Schema):
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=40))


def _shipment(shipment_id: int) -> Shipment:
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or not current_user.may_access_warehouse(shipment.warehouse_id):
        raise NotFound("no such shipment", code="unknown_shipment")
    return shipment


@bp.route("/shipments")
class Shipments(MethodView):
    @requires("shipping.work")
    @bp.arguments(ShipmentQuery, location="query")
    @bp.response(200, cursor_paged(ShipmentSchema))
    def get(self, args):
        """Shipments, newest first, in this user's warehouses; by status, warehouse, order and `since`
        (created at or after)."""
        stmt = in_my_warehouses(select(Shipment), Shipment.warehouse_id, args["warehouse"])
        if args["status"]:
            stmt = stmt.where(Shipment.status == args["status"])
        if args["order_id"]:
            stmt = stmt.where(Shipment.order_id == args["order_id"])
        if args["since"]:
            stmt = stmt.where(Shipment.created_at >= args["since"])
        return cursor_page(stmt, Shipment.id, args, newest_first=True)


@bp.route("/shipments/<int:shipment_id>")
class ShipmentById(MethodView):
    @requires("shipping.work")
    @warehouse_of_arg("shipment", "shipment_id")
    @bp.response(200, ShipmentDetailSchema)
    def get(self, shipment_id):
        """One shipment with its packages, lines (SKU, lot, package) and tracking events."""
        return _shipment(shipment_id)


@bp.route("/shipments/<int:shipment_id>/tracking")
class ShipmentTracking(MethodView):
    @requires("shipping.work")
    @warehouse_of_arg("shipment", "shipment_id")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(TrackingNumberSchema)
    @bp.response(201, ShipmentDetailSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The shipment is not packed with a carrier (waybill_exists) "
                     "or the number is on another live shipment of the carrier (tracking_number_taken)")
    def post(self, data, shipment_id):
        """Give a packed shipment of a manual carrier the number of its pre-printed waybill."""
        return set_tracking_number(_shipment(shipment_id).id, data["tracking_number"], user_id=current_user.id)
