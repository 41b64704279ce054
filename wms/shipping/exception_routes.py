"""The exceptions desk (异常): one queue for the office, filtered by kind, status and warehouse; each
row's actions call one service of wms/shipping/exception_desk.py. Also the order page's exceptions
section and the dashboard's count card."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from erp_core.auth.guard import requires
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.orders.models import Order
from erp_core.orders.panels import register_order_panel

from . import exception_desk as desk
from .interception import put_back_items
from .models import EXCEPTION_KINDS, EXCEPTION_STATUSES, ShippingException

bp = Blueprint("exceptions", __name__)
PER_PAGE = 100

KIND_LABELS = {"short_pick": _l("Short pick"), "intercept": _l("Interception"), "weight": _l("Weight"),
               "missing_item": _l("Missing item"), "damaged": _l("Damaged"), "tracking": _l("Tracking"),
               "other": _l("Other")}
EXCEPTION_STATUS_LABELS = {"open": _l("Open"), "resolved": _l("Resolved")}


@bp.app_template_global()
def exception_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def open_exceptions_count() -> int:
    """The dashboard card: open exceptions in the warehouses the user may see."""
    stmt = select(func.count(ShippingException.id)).where(ShippingException.status == "open")
    allowed = current_user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(ShippingException.warehouse_id.in_(allowed))
    return int(db.session.scalar(stmt))


def _warehouses() -> list[Warehouse]:
    allowed = current_user.warehouse_ids()
    rows = db.session.scalars(select(Warehouse).order_by(Warehouse.code)).all()
    return [w for w in rows if allowed is None or w.id in allowed]


def _row_of(exception_id: int) -> ShippingException:
    row = db.session.get(ShippingException, exception_id)
    if row is None:
        abort(404)
    if row.warehouse_id is not None and not current_user.may_access_warehouse(row.warehouse_id):
        abort(403)
    return row


def _context(rows: list[ShippingException]) -> dict:
    """What each open row's actions need: the places its order holds units, the damaged bins."""
    places, damaged_bins = {}, {}
    for row in rows:
        if row.status == "open" and row.kind == "damaged":
            places[row.id] = put_back_items(row.order_id)
            if row.warehouse_id not in damaged_bins:
                damaged_bins[row.warehouse_id] = db.session.scalars(select(Location).where(
                    Location.warehouse_id == row.warehouse_id, Location.bin_type == "damaged",
                    Location.active.is_(True)).order_by(Location.code)).all()
    return {"places": places, "damaged_bins": damaged_bins, "details_of": desk.details_of,
            "kind_label": exception_kind_label, "exception_status_label": lambda s: str(EXCEPTION_STATUS_LABELS[s])}


@bp.route("/")
@requires("exceptions.work")
def index():
    args = request.args
    status = args.get("status", "open")
    stmt = select(ShippingException).order_by(ShippingException.id.desc())
    if status in EXCEPTION_STATUSES:
        stmt = stmt.where(ShippingException.status == status)
    if args.get("kind") in EXCEPTION_KINDS:
        stmt = stmt.where(ShippingException.kind == args["kind"])
    warehouses = _warehouses()
    if args.get("warehouse", "").isdigit():
        stmt = stmt.where(ShippingException.warehouse_id == int(args["warehouse"]))
    allowed = current_user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(ShippingException.warehouse_id.in_(allowed))
    rows = db.session.scalars(stmt.limit(PER_PAGE)).all()
    return render_template("shipping/exception_desk.html", rows=rows, kinds=EXCEPTION_KINDS, status=status,
                           statuses=EXCEPTION_STATUSES, warehouses=warehouses, args=args, **_context(rows))


def _back():
    return redirect(request.form.get("next") or url_for("exceptions.index"))


@bp.route("/<int:exception_id>/short", methods=["POST"])
@requires("exceptions.work")
def short(exception_id: int):
    """Re-allocate, ship partial or cancel the line of a short pick."""
    _row_of(exception_id)
    action = request.form.get("action", "")
    desk.act_on_short(exception_id, action, user_id=current_user.id)
    flash({"reallocate": _("Re-allocated: the units are on a new pick list."),
           "ship_partial": _("The order ships what was picked."),
           "cancel_line": _("The line is cancelled.")}.get(action, _("Done.")), "success")
    return _back()


@bp.route("/<int:exception_id>/reweigh", methods=["POST"])
@requires("exceptions.work")
def reweigh(exception_id: int):
    _row_of(exception_id)
    weights = [request.form.get(k, type=int) or 0 for k in sorted(
        (k for k in request.form if k.startswith("weight-")), key=lambda k: int(k[7:]) if k[7:].isdigit() else 0)]
    row = desk.reweigh(exception_id, weights, override=request.form.get("override") == "on",
                       user_id=current_user.id)
    flash(_("Packed as %(reference)s.", reference=row.shipment.reference if row.shipment else ""), "success")
    return _back()


@bp.route("/<int:exception_id>/damaged", methods=["POST"])
@requires("exceptions.work")
def damaged(exception_id: int):
    """Set a damaged unit aside into a damaged bin, then re-allocate or ship partial."""
    _row_of(exception_id)
    place = request.form.get("place", "")  # "<order line id>:<location id>:<lot id or empty>"
    parts = place.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        abort(400)
    desk.set_aside_damaged(exception_id, order_line_id=int(parts[0]), from_location_id=int(parts[1]),
                           lot_id=int(parts[2]) if parts[2].isdigit() else None,
                           quantity=request.form.get("quantity", type=int) or 0,
                           damaged_bin_id=request.form.get("damaged_bin_id", type=int) or 0,
                           then=request.form.get("then", ""), user_id=current_user.id)
    flash(_("The damaged units are in the damaged bin."), "success")
    return _back()


@bp.route("/<int:exception_id>/resolve", methods=["POST"])
@requires("exceptions.work")
def resolve(exception_id: int):
    _row_of(exception_id)
    desk.resolve_with_note(exception_id, request.form.get("note", ""), user_id=current_user.id)
    flash(_("Exception resolved."), "success")
    return _back()


def order_exceptions_panel(order: Order) -> str:
    """The order page's exceptions section (empty when the order never had one)."""
    rows = db.session.scalars(select(ShippingException).where(ShippingException.order_id == order.id)
                              .order_by(ShippingException.id)).all()
    if not rows:
        return ""
    return render_template("shipping/_exception_order_panel.html", rows=rows, order=order, **_context([]))


def register_exception_panels() -> None:
    register_order_panel(order_exceptions_panel)
