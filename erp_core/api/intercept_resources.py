"""REST: intercept an order (拦截). Thin: parse, call the service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from ..auth.guard import requires
from ..auth.object_access import warehouse_of_arg
from ..orders.intercept import intercept_order
from . import schemas as s
from .idempotency import DOC as IDEMPOTENCY_DOC
from .idempotency import idempotent
from .resources import bp


class InterceptInSchema(s.Schema):
    reason = s.fields.String(required=True, validate=s.validate.Length(min=1, max=255),
                             metadata={"description": "why the order is stopped (the buyer cancelled, ...)"})


@bp.route("/orders/<int:order_id>/intercept")
class OrderIntercept(MethodView):
    @requires("orders.audit")
    @warehouse_of_arg("order", "order_id")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(InterceptInSchema)
    @bp.response(200, s.OrderDetailSchema)
    @bp.alt_response(409, schema=s.ErrorSchema, description="The order is shipped (a return, not an interception) "
                     "or finished (not_interceptable), its parcel was handed over (shipment_handed_over), or it "
                     "changed meanwhile")
    def post(self, data, order_id):
        """Stop an order: cancelled (reservations released) before the floor starts; `intercepted` after it
        started (open picks cancelled, a packed parcel's waybill cancelled, picked units to put back)."""
        return intercept_order(order_id, data["reason"], user_id=current_user.id)
