"""REST resources of box types (/api/v1/box-types): list, create (Idempotency-Key), read, change.
Thin: parse, call box_services, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.idempotency import DOC as IDEMPOTENCY_DOC
from erp_core.api.idempotency import idempotent
from erp_core.api.schemas import ErrorSchema, Money, Schema
from erp_core.auth.guard import requires
from erp_core.errors import NotFound
from erp_core.extensions import db

from .box_services import create_box_type, update_box_type
from .models import BoxType

bp = Blueprint("box_types_api", __name__, description="Box types the pack station packs into (纸箱)")

_SIZE = {"validate": validate.Range(min=1), "metadata": {"description": "inner size in mm"}}


class BoxTypeSchema(Schema):
    class Meta:
        model = BoxType

    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    name_zh = fields.String(load_default="", validate=validate.Length(max=80))
    inner_length_mm = fields.Integer(required=True, **_SIZE)
    inner_width_mm = fields.Integer(required=True, **_SIZE)
    inner_height_mm = fields.Integer(required=True, **_SIZE)
    tare_g = fields.Integer(load_default=0, validate=validate.Range(min=0))
    max_weight_g = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    cost = Money(load_default="0")
    active = fields.Boolean(load_default=True)


class BoxTypePatchSchema(BoxTypeSchema):
    """The fields to change (loaded partial: what is left out stays)."""


class BoxTypeQuery(Schema):
    active = fields.Boolean(load_default=None, allow_none=True,
                            metadata={"description": "only active (true) or inactive (false) box types"})


def _box(box_id: int) -> BoxType:
    box = db.session.get(BoxType, box_id)
    if box is None:
        raise NotFound("no such box type", code="unknown_box_type")
    return box


@bp.route("/box-types")
class BoxTypes(MethodView):
    @requires("packing.work")
    @bp.arguments(BoxTypeQuery, location="query")
    @bp.response(200, BoxTypeSchema(many=True))
    def get(self, args):
        """Box types by code."""
        stmt = select(BoxType).order_by(BoxType.code)
        if args["active"] is not None:
            stmt = stmt.where(BoxType.active.is_(args["active"]))
        return db.session.scalars(stmt)

    @requires("shipping.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(BoxTypeSchema)
    @bp.response(201, BoxTypeSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The code exists already (box_code_taken), or a request "
                     "with the same Idempotency-Key is still being processed (idempotency_in_progress: retry)")
    def post(self, data):
        """Create a box type: inner size in mm, tare and maximum weight in g, cost."""
        return create_box_type(data)


@bp.route("/box-types/<int:box_id>")
class BoxTypeById(MethodView):
    @requires("packing.work")
    @bp.response(200, BoxTypeSchema)
    def get(self, box_id):
        """One box type."""
        return _box(box_id)

    @requires("shipping.manage")
    @bp.arguments(BoxTypePatchSchema(partial=True))
    @bp.response(200, BoxTypeSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The new code exists already (box_code_taken)")
    def patch(self, data, box_id):
        """Change a box type's fields; `active: false` deactivates it (packed parcels keep it)."""
        _box(box_id)
        return update_box_type(box_id, data)
