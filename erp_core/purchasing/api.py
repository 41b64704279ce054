"""REST resources of purchasing under /api/v1: suppliers, their SKUs, purchase orders and their
actions, purchase suggestions. Thin: parse, call a service, serialise. A supplier's token sees only
its own purchase orders (others answer 404)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from ..api.cursor import page_or_cursor, paged
from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import ErrorSchema
from ..auth.guard import requires
from ..auth.object_access import warehouse_of_arg
from ..catalog.services import sku_by_code
from ..errors import NotFound
from ..extensions import db
from ..inventory.models import Warehouse
from . import schemas as ps
from . import services, suggestions
from . import suppliers as supplying
from .access import order_for, scope_orders
from .models import PurchaseOrder, Supplier, SupplierSku

bp = Blueprint("purchasing_api", __name__, description="Suppliers and purchase orders (供应商 / 采购单)")


def _supplier_by_code(code: str) -> Supplier:
    supplier = db.session.scalar(select(Supplier).filter_by(code=code.strip().upper()))
    if supplier is None:
        raise NotFound("no such supplier", code="unknown_supplier")
    return supplier


def _warehouse_by_code(code: str) -> Warehouse:
    warehouse = db.session.scalar(select(Warehouse).filter_by(code=code.strip()))
    if warehouse is None or not current_user.may_access_warehouse(warehouse.id):
        raise NotFound("no such warehouse", code="unknown_warehouse")
    return warehouse


@bp.route("/suppliers")
class Suppliers(MethodView):
    @requires("purchasing.view")
    @bp.response(200, ps.SupplierSchema(many=True))
    def get(self):
        """Suppliers by code."""
        return db.session.scalars(select(Supplier).order_by(Supplier.code))

    @requires("purchasing.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ps.SupplierSchema)
    @bp.response(201, ps.SupplierSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The code exists already (supplier_code_taken)")
    def post(self, data):
        """Create a supplier."""
        return supplying.create_supplier(data)


@bp.route("/suppliers/<int:supplier_id>")
class SupplierById(MethodView):
    @requires("purchasing.view")
    @bp.response(200, ps.SupplierSchema)
    def get(self, supplier_id):
        return supplying.get_supplier(supplier_id)

    @requires("purchasing.edit")
    @bp.arguments(ps.SupplierPatchSchema(partial=True))
    @bp.response(200, ps.SupplierSchema)
    def patch(self, data, supplier_id):
        """Change a supplier (active=false deactivates it)."""
        return supplying.update_supplier(supplier_id, data)


@bp.route("/suppliers/<int:supplier_id>/contacts")
class SupplierContacts(MethodView):
    @requires("purchasing.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ps.SupplierContactSchema)
    @bp.response(201, ps.SupplierContactSchema)
    def post(self, data, supplier_id):
        """Add a contact person at the supplier."""
        return supplying.add_contact(supplier_id, data)


@bp.route("/suppliers/<int:supplier_id>/contacts/<int:contact_id>")
class SupplierContactById(MethodView):
    @requires("purchasing.edit")
    @bp.response(204)
    def delete(self, supplier_id, contact_id):
        """Remove a contact person."""
        supplying.remove_contact(supplier_id, contact_id)


@bp.route("/suppliers/<int:supplier_id>/skus")
class SupplierSkus(MethodView):
    @requires("purchasing.view")
    @bp.response(200, ps.SupplierSkuSchema(many=True))
    def get(self, supplier_id):
        """The supplier's price list."""
        supplying.get_supplier(supplier_id)
        return db.session.scalars(select(SupplierSku).filter_by(supplier_id=supplier_id).order_by(SupplierSku.id))

    @requires("purchasing.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ps.SupplierSkuSchema)
    @bp.response(201, ps.SupplierSkuSchema)
    def post(self, data, supplier_id):
        """Add a SKU to the price list or change it (a price change is kept in the history)."""
        sku = sku_by_code(data["sku"])
        return supplying.set_supplier_sku(supplier_id, supplying.SupplierSkuValues(
            sku.id, data["price"], data["supplier_code"], data["pack_size"], data["moq"], data["currency"],
            data["preferred"]), user_id=current_user.id)


@bp.route("/purchase-orders")
class PurchaseOrders(MethodView):
    @requires("purchasing.orders")
    @bp.arguments(ps.PurchaseOrderQuery, location="query")
    @bp.response(200, paged(ps.PurchaseOrderSchema))
    def get(self, args):
        """Purchase orders, newest first; `updated_since` for syncing (a supplier sees only its own)."""
        stmt = scope_orders(select(PurchaseOrder))
        if args["status"]:
            stmt = stmt.where(PurchaseOrder.status == args["status"])
        if args["supplier"]:
            stmt = stmt.where(PurchaseOrder.supplier_id == _supplier_by_code(args["supplier"]).id)
        if args["updated_since"]:
            stmt = stmt.where(PurchaseOrder.updated_at >= args["updated_since"])
        return page_or_cursor(stmt, PurchaseOrder.id, args, newest_first=True)

    @requires("purchasing.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ps.PurchaseOrderSchema)
    @bp.response(201, ps.PurchaseOrderSchema)
    def post(self, data):
        """Create a draft purchase order with its lines (unit price empty: the supplier's)."""
        lines = [services.NewPoLine(sku_by_code(x["sku"]).id, x["quantity"], x["unit_price"]) for x in data["lines"]]
        return services.create_po(services.NewPo(
            _supplier_by_code(data["supplier"]).id, _warehouse_by_code(data["warehouse"]).id, lines,
            expected_date=data["expected_date"], freight=data["freight"], notes=data["notes"],
            over_receipt_pct=data["over_receipt_pct"], currency=data["currency"]), user_id=current_user.id)


@bp.route("/purchase-orders/<int:po_id>")
class PurchaseOrderById(MethodView):
    @requires("purchasing.orders")
    @bp.response(200, ps.PurchaseOrderSchema)
    def get(self, po_id):
        return order_for(po_id)


def _action(name: str, permission: str, run, doc: str):
    class Action(MethodView):
        @requires(permission)
        @bp.doc(**IDEMPOTENCY_DOC)
        @idempotent
        @bp.response(200, ps.PurchaseOrderSchema)
        @bp.alt_response(409, schema=ErrorSchema, description="Not allowed from the PO's status (po_status_conflict) "
                                                             "or changed meanwhile (changed_meanwhile)")
        def post(self, po_id):
            return run(order_for(po_id).id, user_id=current_user.id)

    Action.post.__doc__ = doc
    Action.__name__ = f"PurchaseOrder{name.title()}"
    bp.route(f"/purchase-orders/<int:po_id>/{name}")(Action)


_action("send", "purchasing.edit", services.send_po, "draft -> sent.")
_action("cancel", "purchasing.edit", services.cancel_po, "draft, sent or confirmed -> cancelled.")
_action("close", "purchasing.edit", services.close_po, "partially received (short-close) or received -> closed.")


@bp.route("/purchase-orders/<int:po_id>/confirm")
class PurchaseOrderConfirm(MethodView):
    @requires("purchasing.confirm")
    @warehouse_of_arg("purchase_order", "po_id")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ps.ConfirmSchema)
    @bp.response(200, ps.PurchaseOrderSchema)
    def post(self, data, po_id):
        """sent -> confirmed: the supplier may lower line quantities and give a promised date."""
        po = order_for(po_id)
        return services.confirm_po(po.id, quantities={x["line_id"]: x["quantity"] for x in data["lines"]},
                                   promised_date=data["promised_date"], user_id=current_user.id)


@bp.route("/purchase-suggestions")
class PurchaseSuggestions(MethodView):
    @requires("purchasing.view")
    @bp.arguments(ps.SuggestionQuerySchema, location="query")
    @bp.response(200, ps.SuggestionSchema(many=True))
    def get(self, args):
        """What to buy for a warehouse: need = velocity x (lead + safety + cover) - (on hand - reserved +
        in transit + on order), in whole packs, at least the MOQ."""
        warehouse = _warehouse_by_code(args["warehouse"])
        rows = suggestions.suggestions(suggestions.SuggestionParams(
            warehouse.id, args["window_days"], args["safety_days"], args["cover_days"]))
        return [{"sku": r.sku.code, "supplier": r.supplier_sku.supplier.code if r.supplier_sku else None,
                 "shipped": r.given.shipped, "velocity": r.result.velocity, "days": r.result.days,
                 "on_hand": r.given.on_hand, "reserved": r.given.reserved, "in_transit": r.given.in_transit,
                 "on_order": r.given.on_order, "need": r.result.need, "pack_size": r.given.pack_size,
                 "moq": r.given.moq, "quantity": r.result.quantity} for r in rows]
