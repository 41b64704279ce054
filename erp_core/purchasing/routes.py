"""Purchasing pages: suppliers and their price lists, purchase suggestions, supplier performance.
(Purchase orders: order_routes.py, on the same blueprint.) Thin: parse, call a service, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..auth.object_access import require_warehouse_of
from ..catalog.services import find_sku_by_scan
from ..errors import DomainError
from ..extensions import db
from ..inventory.stock_queries import warehouses_for
from ..messages import describe
from . import suggestions as suggesting
from . import suppliers as supplying
from .forms import LANGUAGE_LABELS, FileForm, SuggestionQuery, SupplierForm, SupplierSkuForm
from .io import import_price_list
from .labels import PO_STATUS_LABELS
from .models import PurchaseOrder, Supplier
from .performance import supplier_performance

bp = Blueprint("purchasing", __name__)


@bp.context_processor
def _helpers():
    return {"po_status_label": lambda s: str(PO_STATUS_LABELS.get(s, s)), "language_labels": LANGUAGE_LABELS}


# --- Suppliers ------------------------------------------------------------------------------------

@bp.route("/suppliers")
@requires("purchasing.view")
def suppliers():
    rows = db.session.scalars(select(Supplier).order_by(Supplier.active.desc(), Supplier.code))
    return render_template("purchasing/suppliers.html", suppliers=list(rows))


@bp.route("/suppliers/new", methods=["GET", "POST"])
@requires("purchasing.edit")
def supplier_new():
    form = SupplierForm()
    if form.validate_on_submit():
        try:
            supplier = supplying.create_supplier(form.values())
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Supplier %(code)s created.", code=supplier.code), "success")
            return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))
    return render_template("purchasing/supplier_form.html", form=form, supplier=None)


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@requires("purchasing.edit")
def supplier_edit(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    form = SupplierForm(obj=supplier)
    if form.validate_on_submit():
        try:
            supplying.update_supplier(supplier.id, form.values())
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Supplier %(code)s saved.", code=supplier.code), "success")
            return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))
    return render_template("purchasing/supplier_form.html", form=form, supplier=supplier)


@bp.route("/suppliers/<int:supplier_id>")
@requires("purchasing.view")
def supplier_detail(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    return render_template("purchasing/supplier.html", supplier=supplier, sku_form=SupplierSkuForm(),
                           history=supplying.price_history(supplier.id), performance=supplier_performance(supplier.id),
                           import_form=FileForm())


@bp.route("/suppliers/<int:supplier_id>/active", methods=["POST"])
@requires("purchasing.edit")
def supplier_active(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    supplying.update_supplier(supplier.id, {"active": request.form.get("active") == "1"})
    return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>/contacts", methods=["POST"])
@requires("purchasing.edit")
def supplier_contact_add(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    try:
        contact = supplying.add_contact(supplier.id, request.form)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Contact %(name)s added.", name=contact.name), "success")
    return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@requires("purchasing.edit")
def supplier_contact_remove(supplier_id: int, contact_id: int):
    supplying.remove_contact(supplier_id, contact_id)
    flash(_("Contact removed."), "success")
    return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier_id))


@bp.route("/suppliers/<int:supplier_id>/skus", methods=["POST"])
@requires("purchasing.edit")
def supplier_sku_save(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    form = SupplierSkuForm()
    if not form.validate_on_submit():
        flash(" ".join(f"{form[name].label.text}: {', '.join(errs)}" for name, errs in form.errors.items()), "error")
        return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))
    sku = find_sku_by_scan(form.sku.data.strip())
    if sku is None:
        flash(_("Nothing is known by this code: %(code)s", code=form.sku.data), "error")
        return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))
    try:
        supplying.set_supplier_sku(supplier.id, supplying.SupplierSkuValues(
            sku.id, form.price.data, form.supplier_code.data or "", form.pack_size.data, form.moq.data,
            (form.currency.data or "").upper(), form.preferred.data), user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("%(sku)s saved on the price list.", sku=sku.code), "success")
    return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>/import", methods=["POST"])
@requires("purchasing.edit")
def supplier_import(supplier_id: int):
    supplier = supplying.get_supplier(supplier_id)
    form = FileForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data
    result = import_price_list(supplier.id, upload.filename or "prices.csv", upload.read(), user_id=current_user.id)
    if not result.errors:
        flash(_("%(n)d price list rows imported.", n=result.applied), "success")
        return redirect(url_for("purchasing.supplier_detail", supplier_id=supplier.id))
    return render_template("purchasing/import_errors.html", errors=result.errors, supplier=supplier,
                           back=url_for("purchasing.supplier_detail", supplier_id=supplier.id)), 422


# --- Suggestions ----------------------------------------------------------------------------------

@bp.route("/suggestions")
@requires("purchasing.view")
def suggestions_page():
    query = SuggestionQuery(request.args)
    locale = str(get_locale())
    query.warehouse_id.choices = [(w.id, f"{w.code} · {w.display_name(locale)}")
                                  for w in warehouses_for(current_user.warehouse_ids())]
    rows = []
    if request.args.get("warehouse_id") and query.validate():
        if not current_user.may_access_warehouse(query.warehouse_id.data):
            abort(403)
        rows = suggesting.suggestions(suggesting.SuggestionParams(
            query.warehouse_id.data, query.window_days.data, query.safety_days.data, query.cover_days.data))
    return render_template("purchasing/suggestions.html", query=query, rows=rows)


@bp.route("/suggestions", methods=["POST"])
@requires("purchasing.edit")
def suggestions_to_drafts():
    warehouse_id = request.form.get("warehouse_id", type=int)
    require_warehouse_of("warehouse", warehouse_id)
    try:
        picks = [(int(s), int(request.form.get(f"qty-{s}") or 0)) for s in request.form.getlist("sku")]
    except ValueError:
        abort(400)
    try:
        made = suggesting.draft_pos_from_suggestions(warehouse_id, picks, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(request.referrer or url_for("purchasing.suggestions_page"))
    flash(_("%(n)d draft purchase orders created: %(numbers)s", n=len(made),
            numbers=", ".join(po.number for po in made)), "success")
    if len(made) == 1:
        return redirect(url_for("purchasing.order_detail", po_id=made[0].id))
    return redirect(url_for("purchasing.orders", status="draft"))


# --- Performance ----------------------------------------------------------------------------------

@bp.route("/performance")
@requires("purchasing.view")
def performance():
    rows = [supplier_performance(s.id) for s in db.session.scalars(select(Supplier).order_by(Supplier.code))]
    open_orders = {s: n for s, n in db.session.execute(
        select(PurchaseOrder.supplier_id, db.func.count()).where(PurchaseOrder.status.in_(
            ("sent", "confirmed", "partially_received"))).group_by(PurchaseOrder.supplier_id))}
    return render_template("purchasing/performance.html", rows=rows, open_orders=open_orders)


from . import order_routes  # noqa: E402, F401  (the PO pages join this blueprint)
