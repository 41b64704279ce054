"""REST resources. Thin: parse, call a service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from ..auth.guard import requires
from ..auth.object_access import require_warehouse_of, warehouse_of_arg
from ..catalog.models import Sku
from ..catalog.services import create_sku, sku_by_code, update_sku
from ..channels.models import Channel
from ..extensions import db
from ..inventory.models import Warehouse
from ..inventory.reservations import stock_levels
from ..inventory.warehouse_settings import set_weight_tolerance
from ..orders.models import Order
from ..orders.services import NewOrder, NewOrderLine, create_order, get_order
from . import schemas as s
from .cursor import page_or_cursor, paged
from .idempotency import DOC as IDEMPOTENCY_DOC
from .idempotency import idempotent

bp = Blueprint("api", __name__, description="Catalog, orders and stock of the ERP core")




@bp.route("/me")
class Me(MethodView):
    @requires("account.self")
    @bp.response(200, s.UserSchema)
    def get(self):
        """The authenticated user (or the user an API token acts as)."""
        return current_user


@bp.route("/warehouses")
class Warehouses(MethodView):
    @requires("stock.view")
    @bp.response(200, s.WarehouseSchema(many=True))
    def get(self):
        """Warehouses this user may work in."""
        stmt = select(Warehouse).order_by(Warehouse.code)
        allowed = current_user.warehouse_ids()
        if allowed is not None:
            stmt = stmt.where(Warehouse.id.in_(allowed))
        return db.session.scalars(stmt)


@bp.route("/warehouses/<int:warehouse_id>")
class WarehouseById(MethodView):
    @requires("admin.warehouses")
    @warehouse_of_arg("warehouse", "warehouse_id")
    @bp.arguments(s.WarehousePatchSchema)
    @bp.response(200, s.WarehouseSchema)
    @bp.alt_response(422, schema=s.ErrorSchema, description="A tolerance out of range (bad_weight_tolerance)")
    def patch(self, data, warehouse_id):
        """Change a warehouse's pack-out weight tolerance (percent of the expected weight, and grams)."""
        return set_weight_tolerance(warehouse_id, pct=data.get("weight_tolerance_pct"),
                                    grams=data.get("weight_tolerance_g"))


@bp.route("/skus")
class Skus(MethodView):
    @requires("catalog.view")
    @bp.arguments(s.SkuQuery, location="query")
    @bp.response(200, paged(s.SkuSchema))
    def get(self, args):
        """SKUs in id order, searchable by code or name; page/per_page or cursor."""
        stmt = select(Sku)
        if args["q"]:
            like = f"%{args['q']}%"
            stmt = stmt.where(or_(Sku.code.ilike(like), Sku.name.ilike(like), Sku.name_zh.ilike(like)))
        if args["updated_since"]:
            stmt = stmt.where(Sku.updated_at >= args["updated_since"])
        return page_or_cursor(stmt, Sku.id, args)

    @requires("catalog.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(s.SkuSchema)
    @bp.response(201, s.SkuSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="The SKU code or a barcode exists (sku_exists, "
                     "barcode_taken), or a request with the same Idempotency-Key is still being processed "
                     "(idempotency_in_progress: retry)")
    def post(self, data):
        """Create a SKU with its barcodes (EAN-13/UPC/GTIN check digits are validated)."""
        return create_sku(data["code"], data["name"], name_zh=data["name_zh"], unit=data["unit"],
                          weight_g=data["weight_g"], cost=data["cost"], price=data["price"],
                          barcodes=data.get("barcodes", []), lot_tracked=data["lot_tracked"],
                          shelf_life_days=data["shelf_life_days"], min_receipt_life_days=data["min_receipt_life_days"],
                          min_ship_life_days=data["min_ship_life_days"])


@bp.route("/skus/<code>")
class SkuByCode(MethodView):
    @requires("catalog.view")
    @bp.response(200, s.SkuSchema)
    def get(self, code):
        """One SKU by its code."""
        return sku_by_code(code)

    @requires("catalog.edit")
    @bp.arguments(s.SkuLotSetupSchema)
    @bp.response(200, s.SkuSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="Lot tracking cannot be switched while stock that "
                     "would be left without (or with) a lot is on hand (lot_tracking_stock_on_hand)")
    @bp.alt_response(422, schema=s.ErrorSchema, description="A shelf life below 1 day, a negative minimum, or a "
                     "minimum longer than the shelf life (bad_life_days, min_life_over_shelf_life)")
    def patch(self, data, code):
        """Change a SKU's lot set-up: lot tracking, shelf life and the minimum days left at receipt and shipment."""
        sku = sku_by_code(code)
        update_sku(sku, **data)
        return sku


@bp.route("/orders")
class Orders(MethodView):
    @requires("orders.view")
    @bp.arguments(s.OrderQuery, location="query")
    @bp.response(200, paged(s.OrderSchema))
    def get(self, args):
        """Orders, newest first, filtered by status and channel; page/per_page or cursor (with
        updated_since, a client keeps a copy in sync)."""
        stmt = select(Order)
        if args["status"]:
            stmt = stmt.where(Order.status == args["status"])
        if args["channel"]:
            stmt = stmt.join(Channel).where(Channel.code == args["channel"])
        if args["updated_since"]:
            stmt = stmt.where(Order.updated_at >= args["updated_since"])
        allowed = current_user.warehouse_ids()
        if allowed is not None:
            stmt = stmt.where(Order.warehouse_id.in_(allowed))
        return page_or_cursor(stmt, Order.id, args, newest_first=True)

    @requires("orders.create")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(s.OrderInSchema)
    @bp.response(201, s.OrderDetailSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="The channel already has this order id (order_exists), "
                     "or a request with the same Idempotency-Key is still being processed "
                     "(idempotency_in_progress: retry)")
    def post(self, data):
        """Push one order from a channel. It enters as `pending` and goes to audit."""
        lines = [NewOrderLine(line["sku"], line["quantity"], line["unit_price"]) for line in data.pop("lines")]
        channel = data.pop("channel")
        return create_order(NewOrder(channel_code=channel, lines=lines, **data), user_id=current_user.id)


@bp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @requires("orders.view")
    @bp.response(200, s.OrderDetailSchema)
    def get(self, order_id):
        """One order with its lines and history."""
        order = get_order(order_id)
        require_warehouse_of("order", order_id)  # not allocated yet (no warehouse): visible
        return order


@bp.route("/stock")
class Stock(MethodView):
    @requires("stock.view")
    @bp.arguments(s.StockQuery, location="query")
    @bp.response(200, s.StockLevelSchema(many=True))
    def get(self, args):
        """On hand, reserved and available per SKU and warehouse."""
        allowed = current_user.warehouse_ids()
        warehouses = {w.id: w for w in db.session.scalars(select(Warehouse))}
        if args["warehouse"]:
            wanted = {w.id for w in warehouses.values() if w.code == args["warehouse"]}
            allowed = wanted if allowed is None else allowed & wanted
        sku_ids = [sku_by_code(args["sku"]).id] if args["sku"] else None
        levels = stock_levels(warehouse_ids=allowed, sku_ids=sku_ids)
        codes = dict(db.session.execute(select(Sku.id, Sku.code).where(
            Sku.id.in_({lv.sku_id for lv in levels}))).all()) if levels else {}
        return [{"sku": codes[lv.sku_id], "warehouse": warehouses[lv.warehouse_id].code,
                 "on_hand": lv.on_hand, "reserved": lv.reserved, "available": lv.available}
                for lv in sorted(levels, key=lambda lv: (codes[lv.sku_id], lv.warehouse_id))]
