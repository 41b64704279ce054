"""The office's lot screens (批次): the lots list, a lot's trace, recall, and the expiry list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guard import requires
from ..errors import DomainError
from ..exports import CSV_MIMETYPE, download
from ..extensions import db
from ..messages import describe
from . import expiry, lot_trace, recall
from .forms import bin_type_label, location_label, move_reason_label
from .models import Location, Lot
from .reservations import business_today
from .stock_queries import warehouses_for

bp = Blueprint("lots", __name__)

PER_PAGE = 50


@bp.context_processor
def _lot_helpers():
    return {"move_reason_label": move_reason_label, "location_label": location_label,
            "bin_type_label": bin_type_label, "page_url": _page_url}


@bp.app_template_global()
def expiring_lots_count(warehouse_ids=None) -> int:
    """The count card of the dashboard and the live board: due lots in these warehouses (None =
    every warehouse the user may see)."""
    allowed = current_user.warehouse_ids()
    scope = set(warehouse_ids) if warehouse_ids is not None else allowed
    if allowed is not None:
        scope = scope & allowed
    return expiry.expiring_count(scope)


def _page_url(arg: str, number: int) -> str:
    args = {**(request.view_args or {}), **request.args.to_dict(), arg: number}
    return url_for(request.endpoint, **args)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _lot(lot_id: int) -> Lot:
    return db.session.get(Lot, lot_id) or abort(404)


def _scope() -> set[int] | None:
    chosen = request.args.get("warehouse", type=int)
    if chosen:
        if not current_user.may_access_warehouse(chosen):
            abort(403)
        return {chosen}
    return current_user.warehouse_ids()


@bp.route("")
@requires("stock.view")
def index():
    query = request.args.get("q", "").strip()
    within = request.args.get("within", type=int)
    within = within if within is not None and within >= 0 else None
    on_hold, short_dated = request.args.get("on_hold") == "1", request.args.get("short_dated") == "1"
    page = lot_trace.lots_page(warehouse_ids=_scope(), query=query, expiring_within=within, on_hold=on_hold,
                               short_dated=short_dated, page=_page(), per_page=PER_PAGE,
                               alert_days=expiry.alert_window_days())
    return render_template("lots/index.html", page=page, query=query, within=within, on_hold=on_hold,
                           short_dated=short_dated, warehouses=warehouses_for(current_user.warehouse_ids()),
                           chosen=request.args.get("warehouse", type=int))


@bp.route("/<int:lot_id>")
@requires("stock.view")
def detail(lot_id: int):
    lot = _lot(lot_id)
    allowed = current_user.warehouse_ids()
    from .lot_rules import expiry_alert

    return render_template("lots/detail.html", lot=lot, bins=lot_trace.lot_bins(lot.id, allowed),
                           receipts=lot_trace.lot_receipts(lot.id, allowed),
                           moves=lot_trace.lot_moves(lot.id, allowed, page=_page(), per_page=PER_PAGE),
                           orders=lot_trace.lot_orders(lot.id, allowed),
                           alert=expiry_alert(business_today(), lot.expiry_date, lot.sku.min_ship_life_days,
                                              expiry.alert_window_days()))


@bp.route("/<int:lot_id>/recall")
@requires("stock.view")
def recall_page(lot_id: int):
    lot = _lot(lot_id)
    allowed = current_user.warehouse_ids()
    orders = lot_trace.lot_orders(lot.id, allowed)
    return render_template("lots/recall.html", lot=lot, orders=orders, bins=lot_trace.lot_bins(lot.id, allowed),
                           can_act=current_user.can("stock.adjust"),
                           holdable=[o for o in orders if o.holdable and o.reserved])


@bp.route("/<int:lot_id>/recall.csv")
@requires("stock.view")
def recall_export(lot_id: int):
    lot = _lot(lot_id)
    headers = (_("Order"), _("Shop"), _("Status"), _("Warehouse"), _("Customer"), _("Recipient"), _("Phone"),
               _("City"), _("Units taken"), _("Units reserved"), _("Locations"))
    body = recall.recall_csv(lot_trace.lot_orders(lot.id, current_user.warehouse_ids()), headers)
    name = f"recall-{lot.sku.code}-{lot.lot_number}.csv"
    return download(body, name, CSV_MIMETYPE)


def _done(message: str, target: str):
    flash(message, "success")
    return redirect(target)


@bp.route("/<int:lot_id>/hold", methods=["POST"])
@requires("stock.adjust")
def hold(lot_id: int):
    lot = _lot(lot_id)
    back = url_for(".recall_page", lot_id=lot.id)
    try:
        recall.hold_lot(lot.id, request.form.get("reason", ""))
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(back)
    return _done(_("Lot %(lot)s is on hold: it will not be allocated.", lot=lot.lot_number), back)


@bp.route("/<int:lot_id>/release", methods=["POST"])
@requires("stock.adjust")
def release(lot_id: int):
    lot = recall.release_lot(_lot(lot_id).id)
    return _done(_("The hold on lot %(lot)s is lifted.", lot=lot.lot_number), url_for(".recall_page", lot_id=lot.id))


@bp.route("/<int:lot_id>/hold-orders", methods=["POST"])
@requires("stock.adjust")
def hold_orders(lot_id: int):
    lot = _lot(lot_id)
    back = url_for(".recall_page", lot_id=lot.id)
    reason = request.form.get("reason", "").strip() or _("Recall of lot %(lot)s", lot=lot.lot_number)
    outcome = recall.hold_orders(lot.id, reason, warehouse_ids=current_user.warehouse_ids(), user_id=current_user.id)
    for external_id, error in outcome.refused:
        flash(f"{external_id}: {describe(error)}", "error")
    return _done(_("%(n)d orders held; their reservations were released.", n=len(outcome.held)), back)


# --- expiry ---------------------------------------------------------------------------------------

@bp.route("/expiring")
@requires("stock.view")
def expiring():
    scope = _scope()
    items = expiry.expiring_lots(scope)
    warehouses = {wh_id for item in items for wh_id in {b.warehouse_id for b in item.bins}}
    return render_template("lots/expiring.html", items=items, window=expiry.alert_window_days(),
                           clearance={wh: expiry.clearance_bins(wh) for wh in warehouses},
                           warehouses=warehouses_for(current_user.warehouse_ids()),
                           chosen=request.args.get("warehouse", type=int), can_act=current_user.can("stock.adjust"))


@bp.route("/expiring/window", methods=["POST"])
@requires("stock.adjust")
def save_window():
    raw = request.form.get("days", "").strip()
    if not raw.isdigit():
        flash(_("The alert window is a whole number of days."), "error")
    else:
        try:
            expiry.save_alert_window_days(int(raw), user_id=current_user.id)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Lots are now flagged %(n)d days before their expiry or shipping limit.", n=int(raw)), "success")
    return redirect(url_for(".expiring"))


def _bin_in_my_warehouses(location_id: int | None) -> Location:
    location = db.session.get(Location, location_id or 0) or abort(404)
    if location.warehouse_id is None or not current_user.may_access_warehouse(location.warehouse_id):
        abort(403)
    return location


def _quantity() -> int | None:
    raw = request.form.get("quantity", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


@bp.route("/<int:lot_id>/clearance", methods=["POST"])
@requires("stock.adjust")
def to_clearance(lot_id: int):
    lot = _lot(lot_id)
    source = _bin_in_my_warehouses(request.form.get("location_id", type=int))
    target_id = request.form.get("to_location_id", type=int)
    quantity = _quantity()
    if quantity is None or not target_id:
        flash(_("Enter a quantity and choose a clearance bin."), "error")
        return redirect(url_for(".expiring"))
    try:
        move = expiry.move_to_clearance(lot.id, source.id, _bin_in_my_warehouses(target_id).id, quantity,
                                        user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for(".expiring"))
    return _done(_("%(n)d of lot %(lot)s moved from %(src)s to %(dst)s.", n=move.quantity, lot=lot.lot_number,
                   src=source.code, dst=move.to_location.code), url_for(".expiring"))


@bp.route("/<int:lot_id>/scrap", methods=["POST"])
@requires("stock.adjust")
def scrap(lot_id: int):
    lot = _lot(lot_id)
    source = _bin_in_my_warehouses(request.form.get("location_id", type=int))
    quantity = _quantity()
    if quantity is None:
        flash(_("Enter a quantity."), "error")
        return redirect(url_for(".expiring"))
    try:
        expiry.scrap_lot_stock(lot.id, source.id, quantity, note=request.form.get("note", ""), user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for(".expiring"))
    return _done(_("%(n)d of lot %(lot)s in %(bin)s scrapped.", n=quantity, lot=lot.lot_number, bin=source.code),
                 url_for(".expiring"))


@bp.route("/<int:lot_id>/discount", methods=["POST"])
@requires("stock.adjust")
def discount(lot_id: int):
    lot = expiry.mark_for_discount(_lot(lot_id).id, request.form.get("note", ""))
    message = (_("Lot %(lot)s is marked for a discount sale.", lot=lot.lot_number) if lot.clearance_note
               else _("Lot %(lot)s is no longer marked for a discount sale.", lot=lot.lot_number))
    return _done(message, request.form.get("next") == "detail" and url_for(".detail", lot_id=lot.id)
                 or url_for(".expiring"))
