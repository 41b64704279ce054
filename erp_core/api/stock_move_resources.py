"""REST: the stock ledger (stock moves, read only), newest first, with a cursor."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ..auth.guard import requires
from ..catalog.models import Sku
from ..catalog.services import sku_by_code
from ..extensions import db
from ..inventory.models import Location, StockMove, Warehouse
from .cursor import CursorArgs, cursor_page, cursor_paged
from .fields import Schema
from .resources import bp


class StockMoveQuery(CursorArgs):
    class Meta:
        model = StockMove
        columns = {"sku": Sku.code, "warehouse": Warehouse.code}

    sku = fields.String(load_default=None)
    warehouse = fields.String(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=20))


class StockMoveSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.Function(lambda m: m.sku.code, dump_only=True)
    quantity = fields.Integer(dump_only=True)
    from_location = fields.Function(lambda m: m.from_location.code, dump_only=True)
    to_location = fields.Function(lambda m: m.to_location.code, dump_only=True)
    lot_number = fields.Function(lambda m: m.lot.lot_number if m.lot else None, dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True)
    reference = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


@bp.route("/stock-moves")
class StockMoves(MethodView):
    @requires("stock.view")
    @bp.arguments(StockMoveQuery, location="query")
    @bp.response(200, cursor_paged(StockMoveSchema))
    def get(self, args):
        """The stock ledger: every move (from, to, quantity, reason, reference), newest first, in this
        user's warehouses; by SKU, warehouse, reason and `since`."""
        stmt = select(StockMove)
        source, target = aliased(Location), aliased(Location)
        allowed = current_user.warehouse_ids()
        if args["warehouse"]:
            wanted = set(db.session.scalars(select(Warehouse.id).where(Warehouse.code == args["warehouse"])))
            allowed = wanted if allowed is None else allowed & wanted
        if allowed is not None:
            stmt = (stmt.join(source, StockMove.from_location_id == source.id)
                    .join(target, StockMove.to_location_id == target.id)
                    .where(or_(source.warehouse_id.in_(allowed), target.warehouse_id.in_(allowed))))
        if args["sku"]:
            stmt = stmt.where(StockMove.sku_id == sku_by_code(args["sku"]).id)
        if args["reason"]:
            stmt = stmt.where(StockMove.reason == args["reason"])
        if args["since"]:
            stmt = stmt.where(StockMove.created_at >= args["since"])
        return cursor_page(stmt, StockMove.id, args, newest_first=True)
