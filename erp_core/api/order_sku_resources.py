"""REST: cancel an order; add and remove a SKU's barcodes. Thin: parse, call the service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from ..auth.guard import requires
from ..auth.object_access import warehouse_of_arg
from ..catalog.models import SkuBarcode
from ..catalog.services import attach_barcode, remove_barcode, sku_by_code
from ..orders.services import cancel_order
from . import schemas as s
from .idempotency import DOC as IDEMPOTENCY_DOC
from .idempotency import idempotent
from .resources import bp


class CancelInSchema(s.Schema):
    reason = s.fields.String(required=True, validate=s.validate.Length(min=1, max=255),
                             metadata={"description": "why the order is cancelled (unpaid, the buyer asked, ...)"})


class BarcodeSchema(s.Schema):
    class Meta:
        model = SkuBarcode

    code = s.fields.String(required=True, metadata={"description": "EAN-13/8, UPC-A or GTIN-14 (check digit "
                                                                    "verified) or an internal code"})
    symbology = s.fields.String(dump_only=True)


@bp.route("/orders/<int:order_id>/cancel")
class OrderCancel(MethodView):
    @requires("orders.audit")
    @warehouse_of_arg("order", "order_id")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(CancelInSchema)
    @bp.response(200, s.OrderDetailSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="The floor has started the order (not_cancellable: "
                     "intercept it instead) or it changed meanwhile")
    def post(self, data, order_id):
        """Cancel an order the floor has not started: its reservations are released. Cancelling a
        cancelled order changes nothing."""
        return cancel_order(order_id, data["reason"], user_id=current_user.id)


@bp.route("/skus/<code>/barcodes")
class SkuBarcodes(MethodView):
    @requires("catalog.edit")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(BarcodeSchema)
    @bp.response(201, BarcodeSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="Another SKU has this barcode (barcode_taken)")
    def post(self, data, code):
        """Give the SKU one more barcode."""
        return attach_barcode(sku_by_code(code).id, data["code"])


@bp.route("/skus/<code>/barcodes/<barcode>")
class SkuBarcodeByCode(MethodView):
    @requires("catalog.edit")
    @bp.response(204)
    def delete(self, code, barcode):
        """Take a barcode off the SKU (unknown_barcode when it has no such barcode)."""
        remove_barcode(sku_by_code(code).id, barcode)
