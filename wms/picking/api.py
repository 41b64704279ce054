"""REST: waves (波次) and their pick lists with the tasks' progress (read). Thin: query, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.cursor import CursorArgs, cursor_page, cursor_paged, in_my_warehouses
from erp_core.api.schemas import Schema
from erp_core.auth.guard import requires
from erp_core.auth.object_access import warehouse_of_arg
from erp_core.errors import NotFound
from erp_core.extensions import db

from .models import WAVE_STATUSES, Wave

bp = Blueprint("waves_api", __name__, description="Waves and pick lists (波次 / 拣货单)")


class WaveQuery(CursorArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(WAVE_STATUSES))
    warehouse = fields.String(load_default=None, validate=validate.Length(max=20))


def _progress(tasks) -> dict:
    live = [t for t in tasks if t.status != "cancelled"]
    return {"tasks": len(live), "done": sum(t.status in ("done", "short") for t in live),
            "units": sum(t.quantity for t in live), "units_picked": sum(t.picked_quantity for t in live),
            "units_short": sum(t.short_quantity for t in live)}


PROGRESS_DOC = {"type": "object", "description": "tasks, done (done or short), units, units_picked, units_short",
                "properties": {name: {"type": "integer"} for name in
                               ("tasks", "done", "units", "units_picked", "units_short")}}


class PickTaskSchema(Schema):
    sequence = fields.Integer(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    sku = fields.Function(lambda t: t.sku.code, dump_only=True)
    bin = fields.Function(lambda t: t.location.code, dump_only=True)
    lot_number = fields.Function(lambda t: t.lot.lot_number if t.lot else None, dump_only=True, allow_none=True)
    quantity = fields.Integer(dump_only=True)
    picked_quantity = fields.Integer(dump_only=True)
    short_quantity = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)


class PickListSchema(Schema):
    id = fields.Integer(dump_only=True)
    sequence = fields.Integer(dump_only=True)
    zone = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True)
    picker = fields.Function(lambda pl: pl.picker.username if pl.picker else None, dump_only=True, allow_none=True)
    progress = fields.Function(lambda pl: _progress(pl.tasks), dump_only=True, metadata=PROGRESS_DOC)
    tasks = fields.List(fields.Nested(PickTaskSchema), dump_only=True)


class WaveSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True)
    warehouse = fields.Function(lambda w: w.warehouse.code, dump_only=True)
    kind = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    orders = fields.Function(lambda w: len(w.orders), dump_only=True)
    progress = fields.Function(lambda w: _progress([t for pl in w.pick_lists for t in pl.tasks]), dump_only=True,
                               metadata=PROGRESS_DOC)
    created_at = fields.DateTime(dump_only=True)
    released_at = fields.DateTime(dump_only=True, allow_none=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)


class WaveDetailSchema(WaveSchema):
    pick_lists = fields.List(fields.Nested(PickListSchema), dump_only=True)


@bp.route("/waves")
class Waves(MethodView):
    @requires("picking.manage")
    @bp.arguments(WaveQuery, location="query")
    @bp.response(200, cursor_paged(WaveSchema))
    def get(self, args):
        """Waves, newest first, in this user's warehouses, with their pick progress; by status, warehouse
        and `since` (created at or after)."""
        stmt = in_my_warehouses(select(Wave), Wave.warehouse_id, args["warehouse"])
        if args["status"]:
            stmt = stmt.where(Wave.status == args["status"])
        if args["since"]:
            stmt = stmt.where(Wave.created_at >= args["since"])
        return cursor_page(stmt, Wave.id, args, newest_first=True)


@bp.route("/waves/<int:wave_id>")
class WaveById(MethodView):
    @requires("picking.manage")
    @warehouse_of_arg("wave", "wave_id")
    @bp.response(200, WaveDetailSchema)
    def get(self, wave_id):
        """One wave with its pick lists and their tasks (bin, SKU, lot, picked and short)."""
        wave = db.session.get(Wave, wave_id)
        if wave is None or not current_user.may_access_warehouse(wave.warehouse_id):
            raise NotFound("no such wave", code="unknown_wave")
        return wave
