"""Stock views, adjustments, transfers and low-stock alerts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..auth.object_access import require_warehouse_of
from ..catalog.models import Sku
from ..catalog.services import find_sku_by_scan
from ..errors import DomainError
from ..exports import CSV_MIMETYPE, XLSX_MIMETYPE, download
from ..extensions import db
from ..messages import describe
from . import alerts, stock_export, stock_queries, transfers
from .forms import (
    ReceiveForm,
    ReorderRuleForm,
    TransferForm,
    adjustment_reason_label,
    bin_type_label,
    location_label,
    move_reason_label,
    transfer_status_label,
)
from .models import TRANSFER_STATUSES, ReorderRule, StockTransfer, Warehouse

bp = Blueprint("stock", __name__)

PER_PAGE = 50


@bp.context_processor
def _stock_helpers():
    return {"adjustment_reason_label": adjustment_reason_label, "move_reason_label": move_reason_label,
            "transfer_status_label": transfer_status_label, "location_label": location_label,
            "bin_type_label": bin_type_label, "page_url": _page_url}


def _page_url(arg: str, number: int) -> str:
    """This page's URL with the same filters, at another page number."""
    args = {**(request.view_args or {}), **request.args.to_dict(), arg: number}
    return url_for(request.endpoint, **args)


def _allowed() -> set[int] | None:
    return current_user.warehouse_ids()


def _require_warehouse(warehouse_id: int) -> None:
    if not current_user.may_access_warehouse(warehouse_id):
        abort(403)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _warehouse_choices(warehouses: list[Warehouse]) -> list[tuple[int, str]]:
    locale = str(get_locale())
    return [(w.id, f"{w.code} · {w.display_name(locale)}") for w in warehouses]


# --- Stock levels ---------------------------------------------------------------------------------

@bp.route("")
@requires("stock.view")
def index():
    allowed = _allowed()
    warehouses = stock_queries.warehouses_for(allowed)
    chosen = request.args.get("warehouse", type=int)
    if chosen:
        _require_warehouse(chosen)
    query = request.args.get("q", "").strip()
    only_available = request.args.get("available") == "1"
    page = stock_queries.stock_overview(warehouse_ids={chosen} if chosen else allowed, query=query,
                                        only_available=only_available, page=_page(), per_page=PER_PAGE)
    return render_template("stock/index.html", page=page, warehouses=warehouses, chosen=chosen, query=query,
                           only_available=only_available)




def _export_rows():
    chosen = request.args.get("warehouse", type=int)
    if chosen:
        _require_warehouse(chosen)
    stmt = stock_queries.bin_stock(warehouse_ids={chosen} if chosen else _allowed(),
                                   query=request.args.get("q", "").strip())
    return stock_queries.bin_stock_rows(stmt)


def _export_headers() -> tuple[str, ...]:
    return (_("SKU"), _("Name"), _("Chinese name"), _("Warehouse"), _("Bin"), _("Type"), _("Lot"), _("Expiry date"),
            _("Lot on hold"), _("Quantity"), _("Reserved"), _("Available"))


@bp.route("/export.csv")
@requires("stock.view")
def export_csv():
    """Stock per SKU, bin and lot with the expiry date, under the screen's filters."""
    return download(stock_export.stock_csv(_export_rows(), _export_headers()), "stock-by-bin.csv", CSV_MIMETYPE)


@bp.route("/export.xlsx")
@requires("stock.view")
def export_xlsx():
    return download(stock_export.stock_xlsx(_export_rows(), _export_headers()), "stock-by-bin.xlsx", XLSX_MIMETYPE)


@bp.route("/sku/<code>")
@requires("stock.view")
def sku(code: str):
    item = db.session.scalar(select(Sku).filter_by(code=code)) or find_sku_by_scan(code)
    if item is None:
        abort(404)
    allowed = _allowed()
    return render_template("stock/sku.html", sku=item, figures=stock_queries.sku_figures(item.id, allowed),
                           quants=stock_queries.sku_quants(item.id, allowed),
                           ledger=stock_queries.sku_ledger(item.id, allowed, page=_page(), per_page=PER_PAGE))


# --- Transfers ------------------------------------------------------------------------------------

@bp.route("/transfers")
@requires("stock.view")
def transfer_list():
    status = request.args.get("status", "")
    if status not in TRANSFER_STATUSES:
        status = ""
    page = stock_queries.transfers_page(_allowed(), status=status, page=_page(), per_page=PER_PAGE)
    return render_template("stock/transfers.html", page=page, status=status, statuses=TRANSFER_STATUSES,
                           totals=stock_queries.transfer_totals(t.id for t in page.items))


@bp.route("/transfers/new", methods=["GET", "POST"])
@requires("stock.transfer")
def new_transfer():
    form = TransferForm()
    form.from_warehouse_id.choices = _warehouse_choices(stock_queries.warehouses_for(_allowed()))
    form.to_warehouse_id.choices = _warehouse_choices(stock_queries.warehouses_for(None))
    line_errors: dict[int, str] = {}
    if form.validate_on_submit():
        lines = []
        for i, entry in enumerate(form.lines.entries):
            code, qty, bin_code = (entry.form.sku.data or "").strip(), entry.form.quantity.data, \
                (entry.form.bin_code.data or "").strip()
            if not code and not qty and not bin_code:
                continue
            item = find_sku_by_scan(code) if code else None
            location = stock_queries.find_bin(form.from_warehouse_id.data, bin_code) if bin_code else None
            if item is None:
                line_errors[i] = _("No SKU with this code or barcode.")
            elif not qty:
                line_errors[i] = _("Enter a quantity.")
            elif bin_code and location is None:
                line_errors[i] = _("No bin with this code or barcode in the warehouse.")
            else:
                lines.append((item.id, qty, location.id if location else None))
        if not lines and not line_errors:
            flash(_("Add at least one line."), "error")
        elif not line_errors:
            transfer = transfers.create_transfer(form.from_warehouse_id.data, form.to_warehouse_id.data, lines,
                                                 note=form.note.data or "", user_id=current_user.id)
            flash(_("Transfer %(ref)s created.", ref=transfer.reference), "success")
            return redirect(url_for(".transfer_detail", transfer_id=transfer.id))
    status = 422 if request.method == "POST" else 200
    return render_template("stock/transfer_new.html", form=form, line_errors=line_errors), status


def _visible_transfer(transfer_id: int):
    require_warehouse_of("stock_transfer", transfer_id)  # either end of the transfer may see it
    return db.session.get(StockTransfer, transfer_id)


@bp.route("/transfers/<int:transfer_id>")
@requires("stock.view")
def transfer_detail(transfer_id: int):
    transfer = _visible_transfer(transfer_id)
    lines = list(transfer.lines)
    return render_template("stock/transfer.html", transfer=transfer, lines=lines, receive_form=ReceiveForm(),
                           skus=stock_queries.skus_by_id(x.sku_id for x in lines),
                           bins=stock_queries.locations_by_id(x.from_location_id for x in lines),
                           lots=stock_queries.lots_by_id(x.lot_id for x in lines),
                           totals=transfers.lines_summary(lines))


def _back(transfer_id: int):
    return redirect(url_for(".transfer_detail", transfer_id=transfer_id))


@bp.route("/transfers/<int:transfer_id>/ship", methods=["POST"])
@requires("stock.transfer")
def ship_transfer(transfer_id: int):
    transfer = _visible_transfer(transfer_id)
    _require_warehouse(transfer.from_warehouse_id)
    try:
        transfers.ship_transfer(transfer.id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Transfer %(ref)s shipped: the goods are in transit.", ref=transfer.reference), "success")
    return _back(transfer_id)


@bp.route("/transfers/<int:transfer_id>/receive", methods=["POST"])
@requires("stock.transfer")
def receive_transfer(transfer_id: int):
    transfer = _visible_transfer(transfer_id)
    _require_warehouse(transfer.to_warehouse_id)
    form = ReceiveForm()
    location = stock_queries.find_bin(transfer.to_warehouse_id, form.bin_code.data or "")
    receipts: dict[int, int] = {}
    for line in transfer.lines:
        raw = request.form.get(f"qty-{line.id}", "").strip()
        if raw:
            if not raw.isdigit():
                flash(_("Quantities are whole numbers."), "error")
                return _back(transfer_id)
            receipts[line.id] = int(raw)
    if location is None:
        flash(_("No bin with this code or barcode in the warehouse."), "error")
        return _back(transfer_id)
    try:
        done = transfers.receive_transfer(transfer.id, receipts, location.id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Transfer %(ref)s fully received.", ref=done.reference) if done.status == "received" else
              _("Receipt of %(ref)s recorded.", ref=done.reference), "success")
    return _back(transfer_id)


@bp.route("/transfers/<int:transfer_id>/cancel", methods=["POST"])
@requires("stock.transfer")
def cancel_transfer(transfer_id: int):
    transfer = _visible_transfer(transfer_id)
    _require_warehouse(transfer.from_warehouse_id)
    try:
        transfers.cancel_transfer(transfer.id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Transfer %(ref)s cancelled.", ref=transfer.reference), "success")
    return _back(transfer_id)


# --- Low stock ------------------------------------------------------------------------------------

def _render_low(form: ReorderRuleForm, status: int = 200):
    allowed = _allowed()
    chosen = request.args.get("warehouse", type=int)
    if chosen:
        _require_warehouse(chosen)
    scope = {chosen} if chosen else allowed
    items = alerts.low_stock(scope)
    page = _page()
    low_page = stock_queries.Page(items[(page - 1) * PER_PAGE: page * PER_PAGE], page, PER_PAGE, len(items))
    rules = alerts.reorder_rules(scope, query=request.args.get("q", ""),
                                 page=max(1, request.args.get("rules_page", 1, type=int) or 1), per_page=PER_PAGE)
    return render_template("stock/low.html", low=low_page, rules=rules, form=form, chosen=chosen,
                           warehouses=stock_queries.warehouses_for(allowed),
                           can_edit=current_user.can("stock.adjust")), status


def _rule_form() -> ReorderRuleForm:
    form = ReorderRuleForm()
    form.warehouse_id.choices = _warehouse_choices(stock_queries.warehouses_for(_allowed()))
    return form


@bp.route("/low")
@requires("stock.view")
def low():
    form = _rule_form()
    editing = request.args.get("edit", type=int)
    rule = db.session.get(ReorderRule, editing) if editing else None
    if rule is not None and current_user.may_access_warehouse(rule.warehouse_id):
        form.warehouse_id.data, form.sku.data = rule.warehouse_id, rule.sku.code
        form.min_quantity.data, form.max_quantity.data = rule.min_quantity, rule.max_quantity
    return _render_low(form)


@bp.route("/low/rules", methods=["POST"])
@requires("stock.adjust")
def save_rule():
    form = _rule_form()
    if form.validate_on_submit():
        item = find_sku_by_scan(form.sku.data)
        if item is None:
            form.sku.errors = [_("No SKU with this code or barcode.")]
        else:
            alerts.set_reorder_rule(item.id, form.warehouse_id.data, form.min_quantity.data, form.max_quantity.data)
            flash(_("Reorder rule for %(sku)s saved.", sku=item.code), "success")
            return redirect(url_for(".low"))
    return _render_low(form, 422)


@bp.route("/low/rules/<int:rule_id>/delete", methods=["POST"])
@requires("stock.adjust")
def delete_rule(rule_id: int):
    rule = db.session.get(ReorderRule, rule_id) or abort(404)
    _require_warehouse(rule.warehouse_id)
    code = rule.sku.code
    alerts.delete_reorder_rule(rule.id)
    flash(_("Reorder rule for %(sku)s deleted.", sku=code), "success")
    return redirect(url_for(".low"))


from . import adjust_routes  # noqa: E402,F401  (registers the adjustment screens on this blueprint)
