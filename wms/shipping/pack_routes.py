"""The pack station (复核 / 打包): desktop with a USB scanner, or the 360-px handheld, one scan form.

Thin: the station (a packing bin of the user's warehouses) is remembered in the session; each scan
goes to `pack_services` and the answer is the panel fragment, with the ok or error sound
(`wms.handheld.scan_result` / `scan_refused`). Scans carry an Idempotency-Key (static/js/scanner.js),
so a replayed one gets the stored answer and is applied once.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import requires
from erp_core.auth.object_access import warehouse_of_arg
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Location
from erp_core.orders.models import Order
from wms.handheld import HandheldTask, handheld_commands, register_task, scan_refused, scan_result
from wms.scanning import ScanRefused

from . import pack_services as pack
from . import pack_steps as steps
from .models import BoxType, Carrier, Shipment
from .pack_lookup import CartAtStation, cart_by_id
from .services import PACKABLE

bp = Blueprint("pack", __name__)
register_task(HandheldTask("pack.station", _l("Pack"), "packing.work", "box"))

PANEL = "shipping/_pack_panel.html"
# Product images come from the catalogue's image URLs (a shop's CDN): the pack page alone may show them.
PAGE_CSP = ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'")


def waybill_path(shipment_id: int) -> str:
    """The shipment's waybill PDF (the labels blueprint)."""
    return url_for("labels.waybill_pdf", shipment_id=shipment_id)


def may_override() -> bool:
    return current_user.can("picking.manage") or current_user.can("shipping.manage")


def stations() -> list[Location]:
    allowed = current_user.warehouse_ids()
    stmt = select(Location).where(Location.bin_type == "packing", Location.active.is_(True),
                                  Location.kind == "bin").order_by(Location.warehouse_id, Location.code)
    if allowed is not None:
        stmt = stmt.where(Location.warehouse_id.in_(allowed))
    return list(db.session.scalars(stmt))


def my_station() -> Location | None:
    """The station chosen in this session, while it is an active packing bin the user may work at."""
    station = db.session.get(Location, session.get("pack_station") or 0)
    if station is None or station.bin_type != "packing" or not station.active \
            or not current_user.may_access_warehouse(station.warehouse_id):
        return None
    return station


def _station_or_refuse() -> Location:
    station = my_station()
    if station is None:
        raise ScanRefused("Choose your pack station first.", code="pack_station_required")
    return station


# --- what the panel shows ------------------------------------------------------------------------

def _lines(order: Order, state: steps.PackState) -> list[dict]:
    todo = {line.line_id: line.units for line in pack.lines_to_pack(order)}
    counted = state.counted()
    return [{"line": line, "sku": line.sku, "ordered": line.quantity, "units": todo.get(line.id, 0),
             "counted": counted.get(line.id, 0)}
            for line in sorted(order.lines, key=lambda item: item.id) if not line.sku.is_kit]


def _weight_exception(order: Order) -> dict | None:
    found = pack.open_weight_exception(order.id)
    if found is None:
        return None
    details = json.loads(found.details or "{}")
    return {"id": found.id, "expected": details.get("expected_g"), "measured": details.get("measured_g"),
            "allowed": details.get("allowed_g")}


def _panel(station: Location, *, order: Order | None = None, state: steps.PackState | None = None,
           cart: CartAtStation | None = None, shipment: Shipment | None = None) -> dict:
    """Everything the panel shows: the station, the cart kept for the next scan, the order with its
    lines (images, ordered, to pack, counted) and packages, the weighing step, the shipment packed."""
    view: dict = {"station": station, "cart": cart, "order": None, "shipment": shipment, "step": "idle",
                  "may_override": may_override(), "waybill_path": waybill_path}
    if cart is not None:
        orders = {o.id: o for o in db.session.scalars(select(Order).where(
            Order.id.in_([w.order_id for w in cart.waiting])))}
        view.update(step="cart", cart_orders=[(orders[w.order_id], sum(w.skus_left.values())) for w in cart.waiting])
    if shipment is not None:
        view.update(step="packed", carriers=db.session.scalars(select(Carrier).where(Carrier.active.is_(True))
                                                                .order_by(Carrier.code)).all())
    if order is not None and order.status in PACKABLE and shipment is None:
        state = state or pack.progress_of(order.id)
        lines = pack.lines_to_pack(order)
        complete = steps.is_complete(state, lines)
        index = steps.next_to_weigh(state) if complete else None
        boxes = db.session.scalars(select(BoxType).where(BoxType.active.is_(True)).order_by(BoxType.code)).all()
        packages = [{"number": i + 1, "units": p.units, "box": db.session.get(BoxType, p.box_type_id)
                     if p.box_type_id else None, "weight_g": p.weight_g,
                     "skus": ", ".join(f"{line.sku_code} ×{p.lines[line.line_id]}" for line in lines
                                       if p.lines.get(line.line_id))} for i, p in enumerate(state.packages)]
        suggested = None
        if index is not None:
            suggested = pack.suggested_box(order, dict(state.packages[index].lines))
        view.update(order=order, state=state, lines=_lines(order, state), packages=packages, boxes=boxes,
                    step="weigh" if complete else "scan", weigh_index=index, suggested=suggested,
                    left=steps.left_summary(state, lines), weight_exception=_weight_exception(order))
    return view


def _panel_from_form(station: Location) -> dict:
    """The panel as it was before a refused scan: the order and cart the form carried."""
    order = db.session.get(Order, request.form.get("order_id", type=int) or 0)
    if order is not None and order.warehouse_id != station.warehouse_id:
        order = None
    return _panel(station, order=order, cart=cart_by_id(request.form.get("cart_id", type=int),
                                                        station.warehouse_id))


def _says(answer: pack.PackAnswer) -> str:
    p = answer.params
    says = {
        "order_open": lambda: _("Order %(order)s: scan every item.", order=p["order"]),
        "counted": lambda: _("%(sku)s: %(n)d of %(of)d counted.", sku=p["sku"], n=p["n"], of=p["of"]),
        "complete": lambda: _("Every unit is counted. Check the box and weigh the parcel."),
        "package_opened": lambda: _("Package %(n)d opened: the next units go into it.", n=p["n"]),
        "restarted": lambda: _("Counting order %(order)s again from the start.", order=p["order"]),
        "weigh_next": lambda: _("Weighed. Now weigh package %(n)d.", n=p["n"]),
        "weight_exception": lambda: _("Weight outside the tolerance: expected %(expected)d g, measured %(measured)d "
                                      "g, allowed ± %(allowed)d g. The order went to the exceptions desk: put it "
                                      "aside.", expected=p["expected"], measured=p["measured"],
                                      allowed=p["allowed"]),
        "packed": lambda: _("Packed: %(ref)s.", ref=p["ref"]),
        "shipment_found": lambda: _("Shipment %(ref)s is packed already.", ref=p["ref"]),
        "cart_orders": lambda: _("Cart %(cart)s: %(n)d orders wait. Scan an item to pack its order.",
                                 cart=p["cart"], n=p["n"]),
        "cart_single": lambda: _("Cart %(cart)s: %(n)d one-item orders wait. Each item scanned packs the next "
                                 "order.", cart=p["cart"], n=p["n"]),
    }
    return says[answer.say]()


def _answer(station: Location, answer: pack.PackAnswer):
    return scan_result(PANEL, ok=answer.say != "weight_exception", message=_says(answer),
                       **_panel(station, order=answer.order, state=answer.state, cart=answer.cart,
                                shipment=answer.shipment))


# --- routes --------------------------------------------------------------------------------------

@bp.route("/pack")
@requires("packing.work")
def station():
    current = my_station()
    if current is None or request.args.get("choose"):
        return render_template("shipping/pack_choose_station.html", stations=stations(), current=current)
    order = pack.order_at_station(current)
    response = make_response(render_template("shipping/pack_station.html", ok=True, message="",
                                             **_panel(current, order=order)))
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@bp.route("/pack/station", methods=["POST"])
@requires("packing.work")
def choose_station():
    chosen = request.form.get("station_id", type=int) or 0
    if chosen not in {s.id for s in stations()}:
        abort(404)
    session["pack_station"] = chosen
    return redirect(url_for("pack.station"))


@bp.route("/pack/scan", methods=["POST"])
@requires("packing.work")
@idempotent
@handheld_commands("pack")
def scan():
    """One scan: a cart, slot, order number or waybill opens its order; an item is counted into it."""
    station = _station_or_refuse()
    typed = request.form.get("qty", "").strip()
    try:
        answer = pack.scan(station, request.form.get("code", ""), order_id=request.form.get("order_id", type=int),
                           cart_id=request.form.get("cart_id", type=int),
                           quantity=int(typed) if typed.isdigit() else (0 if typed else 1),
                           weight_text=request.form.get("weight", ""), user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel_from_form(station))
    return _answer(station, answer)


@bp.route("/pack/package", methods=["POST"])
@requires("packing.work")
@idempotent
def new_package():
    station = _station_or_refuse()
    try:
        answer = pack.open_package(station, request.form.get("order_id", type=int) or 0, user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel_from_form(station))
    return _answer(station, answer)


@bp.route("/pack/restart", methods=["POST"])
@requires("packing.work")
@idempotent
def restart():
    station = _station_or_refuse()
    try:
        answer = pack.restart(station, request.form.get("order_id", type=int) or 0, user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel_from_form(station))
    return _answer(station, answer)


@bp.route("/pack/weigh", methods=["POST"])
@requires("packing.work")
@idempotent
def weigh():
    """The weight of the next package (typed, scanned, or typed by the scale) and its box; the last packs."""
    station = _station_or_refuse()
    try:
        answer = pack.weigh(station, request.form.get("order_id", type=int) or 0,
                            package=request.form.get("package", type=int) or 0,
                            box_type_id=request.form.get("box_type_id", type=int),
                            weight_text=request.form.get("weight", ""), override=bool(request.form.get("override")),
                            may_override=may_override(), user_id=current_user.id,
                            cart_id=request.form.get("cart_id", type=int))
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel_from_form(station))
    return _answer(station, answer)


def _shipment_panel(station: Location, shipment: Shipment, message: str):
    cart = cart_by_id(request.form.get("cart_id", type=int), station.warehouse_id)
    return scan_result(PANEL, ok=True, message=message, **_panel(station, shipment=shipment, cart=cart))


@bp.route("/pack/shipments/<int:shipment_id>/tracking", methods=["POST"])
@requires("packing.work")
@warehouse_of_arg("shipment", "shipment_id")
@idempotent
def tracking_number(shipment_id: int):
    """A manual carrier's pre-printed waybill: its number scanned onto the shipment."""
    station = _station_or_refuse()
    try:
        shipment = pack.scan_tracking_number(station, shipment_id, request.form.get("code", ""),
                                             user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel(station, shipment=db.session.get(Shipment, shipment_id)))
    return _shipment_panel(station, shipment, _("Tracking number %(number)s saved.",
                                                number=shipment.tracking_number))


@bp.route("/pack/shipments/<int:shipment_id>/carrier", methods=["POST"])
@requires("packing.work")
@warehouse_of_arg("shipment", "shipment_id")
@idempotent
def carrier(shipment_id: int):
    """The desk's carrier override: assigned, or the waybill cancelled and the parcels re-labelled."""
    station = _station_or_refuse()
    try:
        shipment = pack.change_carrier(station, shipment_id, request.form.get("carrier", ""), user_id=current_user.id)
    except DomainError as error:
        return scan_refused(PANEL, error, **_panel(station, shipment=db.session.get(Shipment, shipment_id)))
    return _shipment_panel(station, shipment, _("Carrier changed to %(carrier)s.", carrier=shipment.carrier.code))
