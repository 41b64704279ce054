"""Put-back (还库) by scan, on the handheld or a desktop with a scanner: the intercepted orders with
units to put back, then per order: scan an item (and type how many), then scan the bin it goes
into. Each scan is one POST with its own Idempotency-Key (the handheld's scan protocol)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import in_my_warehouses, requires
from erp_core.errors import Conflict, DomainError
from erp_core.orders.models import Order
from wms.handheld import HandheldTask, handheld_commands, register_task, scan_refused, scan_result
from wms.scanning import ScanRefused, is_typed_quantity

from .interception import PutBackItem, put_back, put_back_items, put_back_orders

bp = Blueprint("put_back", __name__)
register_task(HandheldTask("put_back.orders", _l("Put back"), "picking.work", "undo"))


@bp.route("/")
@requires("picking.work")
def orders():
    return render_template("shipping/exception_put_back_list.html",
                           rows=put_back_orders(current_user.warehouse_ids()))


def _panel(order: Order, *, step: str = "item", item: PutBackItem | None = None, quantity: int = 1) -> dict:
    return dict(order=order, items=put_back_items(order.id), step=step, item=item, quantity=quantity)


@bp.route("/<int:order_id>")
@requires("picking.work")
def screen(order_id: int):
    order = in_my_warehouses(Order, order_id)
    return render_template("shipping/exception_put_back.html", ok=True, message="", **_panel(order))


def _chosen(order: Order, form) -> PutBackItem | None:
    """The place chosen by the item scan (carried in hidden fields to the bin scan)."""
    key = (form.get("line", type=int), form.get("from", type=int), form.get("lot", type=int))
    return next((i for i in put_back_items(order.id) if (i.order_line_id, i.location_id, i.lot_id) == key), None)


def _matching(order: Order, code: str) -> PutBackItem:
    code = code.strip()
    for item in put_back_items(order.id):
        if code in item.barcodes or code.upper() == item.sku_code.upper():
            return item
    held = sorted({i.sku_code for i in put_back_items(order.id)})
    raise ScanRefused(f"{code or '–'} is not held by this order", code="put_back_wrong_item", scanned=code or "–",
                      expected=", ".join(held))


@bp.route("/<int:order_id>/scan", methods=["POST"])
@requires("picking.work")
@idempotent
@handheld_commands("put_back")
def scan(order_id: int):
    """Step "item": the item scanned (quantity typed, default 1); step "bin": the bin it goes into."""
    order = in_my_warehouses(Order, order_id)
    code, step = request.form.get("code", ""), request.form.get("step", "item")
    typed = request.form.get("qty", "1").strip()
    quantity = int(typed) if is_typed_quantity(typed) else 1
    try:
        if order.status != "intercepted":
            raise Conflict(f"order {order.external_id} is {order.status}", code="not_intercepted",
                           order=order.external_id, order_status=order.status)
        if step == "bin":
            item = _chosen(order, request.form)
            if item is None:
                return scan_result("shipping/_exception_put_back_panel.html", ok=False,
                                   message=_("Scan the item first."), **_panel(order))
            put_back(order.id, order_line_id=item.order_line_id, from_location_id=item.location_id, lot_id=item.lot_id,
                     quantity=quantity, bin_scan=code, user_id=current_user.id)
            done = order.status == "cancelled"
            message = (_("All put back: the order is cancelled.") if done else
                       _("%(n)d x %(sku)s put back into %(bin)s.", n=quantity, sku=item.sku_code, bin=code.strip()))
            return scan_result("shipping/_exception_put_back_panel.html", ok=True, message=message, **_panel(order))
        item = _matching(order, code)
        if quantity > item.quantity:
            quantity = item.quantity
        return scan_result("shipping/_exception_put_back_panel.html", ok=True,
                           message=_("Put %(n)d x %(sku)s from %(place)s into a bin: scan the bin.", n=quantity,
                                     sku=item.sku_code, place=item.location_code),
                           **_panel(order, step="bin", item=item, quantity=quantity))
    except DomainError as error:
        item = _chosen(order, request.form) if step == "bin" else None
        return scan_refused("shipping/_exception_put_back_panel.html", error,
                            **_panel(order, step="bin" if item else "item", item=item, quantity=quantity))
