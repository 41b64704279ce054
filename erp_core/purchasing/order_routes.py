"""Purchase order pages (采购单): list, new, detail, draft edits, send / confirm / cancel / close.
Thin: parse, call a service, render. A supplier's user reaches only its own POs (access.order_for)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..catalog.services import find_sku_by_scan
from ..errors import DomainError
from ..extensions import db
from ..inventory.stock_queries import warehouses_for
from ..messages import describe
from . import services
from .access import order_for, scope_orders
from .domain import order_total
from .forms import PurchaseOrderForm
from .io import import_po_lines
from .labels import PO_STATUS_LABELS
from .models import PO_STATUSES, PurchaseOrder, PurchaseReceipt
from .routes import bp
from .suppliers import active_suppliers

PER_PAGE = 50


@bp.route("/orders")
@requires("purchasing.orders")
def orders():
    status = request.args.get("status", "")
    stmt = scope_orders(select(PurchaseOrder))
    if status in PO_STATUSES:
        stmt = stmt.where(PurchaseOrder.status == status)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    stmt = stmt.order_by(PurchaseOrder.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    rows = list(db.session.scalars(stmt))
    return render_template("purchasing/orders.html", orders=rows, status=status, statuses=PO_STATUSES,
                           labels=PO_STATUS_LABELS, page=page)


def _form_lines(form: PurchaseOrderForm, supplier_id: int) -> tuple[list[services.NewPoLine], dict[int, str]]:
    lines, errors = [], {}
    for index, entry in enumerate(form.lines.entries):
        code, qty, price = (entry.form.sku.data or "").strip(), entry.form.quantity.data, entry.form.unit_price.data
        if not code and not qty:
            continue
        sku = find_sku_by_scan(code) if code else None
        if sku is None or not qty:
            errors[index] = (_("Nothing is known by this code: %(code)s", code=code) if code and not sku
                             else _("Enter a SKU and a quantity."))
            continue
        lines.append(services.NewPoLine(sku.id, qty, price))
    return lines, errors


def _choices(form: PurchaseOrderForm) -> None:
    locale = str(get_locale())
    form.supplier_id.choices = [(s.id, f"{s.code} · {s.display_name(locale)}") for s in active_suppliers()]
    form.warehouse_id.choices = [(w.id, f"{w.code} · {w.display_name(locale)}")
                                 for w in warehouses_for(current_user.warehouse_ids())]


@bp.route("/orders/new", methods=["GET", "POST"])
@requires("purchasing.edit")
def order_new():
    form = PurchaseOrderForm()
    _choices(form)
    line_errors: dict[int, str] = {}
    if form.validate_on_submit():
        if not current_user.may_access_warehouse(form.warehouse_id.data):
            abort(403)
        lines, line_errors = _form_lines(form, form.supplier_id.data)
        if not line_errors:
            try:
                po = services.create_po(services.NewPo(
                    form.supplier_id.data, form.warehouse_id.data, lines, expected_date=form.expected_date.data,
                    freight=form.freight.data or 0, notes=form.notes.data or "",
                    over_receipt_pct=form.over_receipt_pct.data), user_id=current_user.id)
            except DomainError as error:
                flash(describe(error), "error")
            else:
                flash(_("Purchase order %(number)s created.", number=po.number), "success")
                return redirect(url_for("purchasing.order_detail", po_id=po.id))
    return render_template("purchasing/order_new.html", form=form, line_errors=line_errors, po=None)


def mail_link(po: PurchaseOrder, pdf_url: str) -> str:
    """A mailto: link with the PO's subject and body in the supplier's language, for the purchaser's
    mail program (no SMTP here); the body lists the lines and links the PDF."""
    with force_locale(po.supplier.language):
        subject = _("Purchase order %(number)s", number=po.number)
        lines = "\n".join(f"- {line.sku.code} × {line.quantity} @ {line.unit_price} {po.currency}" for line in po.lines)
        body = _("Hello,\n\nplease find our purchase order %(number)s below and confirm the quantities and the "
                 "delivery date.\n\n%(lines)s\n\nPDF: %(url)s\n", number=po.number, lines=lines, url=pdf_url)
    return f"mailto:{quote(po.supplier.email)}?subject={quote(subject)}&body={quote(body)}"


@bp.route("/orders/<int:po_id>")
@requires("purchasing.orders")
def order_detail(po_id: int):
    po = order_for(po_id)
    receipts = list(db.session.scalars(select(PurchaseReceipt).filter_by(order_id=po.id).order_by(PurchaseReceipt.id)))
    pdf_url = url_for("po_documents.pdf", po_id=po.id, _external=True)
    return render_template("purchasing/order.html", po=po, labels=PO_STATUS_LABELS, receipts=receipts,
                           landed=services.landed_costs(po), total=order_total([(x.quantity, x.unit_price)
                                                                                for x in po.lines]),
                           mailto=mail_link(po, pdf_url) if po.status != "draft" else "")


@bp.route("/orders/<int:po_id>/edit", methods=["GET", "POST"])
@requires("purchasing.edit")
def order_edit(po_id: int):
    po = order_for(po_id)
    form = PurchaseOrderForm(obj=po) if request.method == "GET" else PurchaseOrderForm()
    _choices(form)
    if request.method == "GET":
        for entry, line in zip(form.lines.entries, po.lines, strict=False):
            entry.form.sku.data, entry.form.quantity.data = line.sku.code, line.quantity
            entry.form.unit_price.data = line.unit_price
    line_errors: dict[int, str] = {}
    if form.validate_on_submit():
        lines, line_errors = _form_lines(form, po.supplier_id)
        if not line_errors:
            try:
                services.update_draft(po.id, lines=lines, expected_date=form.expected_date.data,
                                      freight=form.freight.data or 0, notes=form.notes.data or "",
                                      over_receipt_pct=form.over_receipt_pct.data)
            except DomainError as error:
                flash(describe(error), "error")
            else:
                flash(_("Purchase order %(number)s saved.", number=po.number), "success")
                return redirect(url_for("purchasing.order_detail", po_id=po.id))
    return render_template("purchasing/order_new.html", form=form, line_errors=line_errors, po=po)


def _act(po_id: int, action, done: str, **kwargs):
    po = order_for(po_id)
    try:
        action(po.id, user_id=current_user.id, **kwargs)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(done % {"number": po.number}, "success")
    return redirect(url_for("purchasing.order_detail", po_id=po.id))


@bp.route("/orders/<int:po_id>/send", methods=["POST"])
@requires("purchasing.edit")
def order_send(po_id: int):
    return _act(po_id, services.send_po, _("Purchase order %(number)s sent: e-mail it with its PDF."))


@bp.route("/orders/<int:po_id>/cancel", methods=["POST"])
@requires("purchasing.edit")
def order_cancel(po_id: int):
    return _act(po_id, services.cancel_po, _("Purchase order %(number)s cancelled."))


@bp.route("/orders/<int:po_id>/close", methods=["POST"])
@requires("purchasing.edit")
def order_close(po_id: int):
    return _act(po_id, services.close_po, _("Purchase order %(number)s closed."))


@bp.route("/orders/<int:po_id>/confirm", methods=["POST"])
@requires("purchasing.confirm")
def order_confirm(po_id: int):
    """The supplier's confirmation: per line qty-<line id> (may only go down) and the promised date."""
    po = order_for(po_id)
    try:
        quantities = {line.id: int(request.form[f"qty-{line.id}"]) for line in po.lines
                      if request.form.get(f"qty-{line.id}", "").strip()}
        raw_date = request.form.get("promised_date", "").strip()
        promised = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        abort(400)
    return _act(po_id, services.confirm_po, _("Purchase order %(number)s confirmed."), quantities=quantities,
                promised_date=promised)


@bp.route("/orders/<int:po_id>/import", methods=["POST"])
@requires("purchasing.edit")
def order_import(po_id: int):
    """PO lines from CSV/XLSX into a draft; every bad row reported, nothing applied unless all good."""
    po = order_for(po_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400)
    try:
        result = import_po_lines(po.id, upload.filename, upload.read())
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("purchasing.order_detail", po_id=po.id))
    if result.errors:
        return render_template("purchasing/import_errors.html", errors=result.errors,
                               back=url_for("purchasing.order_detail", po_id=po.id)), 422
    flash(_("%(n)d lines imported.", n=result.applied), "success")
    return redirect(url_for("purchasing.order_detail", po_id=po.id))
