"""After-sales office screens (售后): the case list with filters, a new case from an order, the case
page with its decisions. Thin: parse the form, call a service, redirect or render."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..auth.guard import in_my_warehouses, requires
from ..customers.models import Customer
from ..customers.panels import register_history_panel
from ..errors import ValidationFailed
from ..extensions import db
from ..orders.models import Order
from ..orders.panels import register_order_panel
from ..orders.services import get_order
from . import domain
from . import services as cases
from .labels import template_labels
from .models import AfterSalesCase

bp = Blueprint("aftersales", __name__)
bp.app_context_processor(template_labels)
PER_PAGE = 50


def _visible(stmt):
    allowed = current_user.warehouse_ids()
    return stmt if allowed is None else stmt.where(AfterSalesCase.warehouse_id.in_(allowed))


def _my_case(case_id: int) -> AfterSalesCase:
    return in_my_warehouses(AfterSalesCase, case_id)


def _my_order(order_id: int) -> Order:
    order = get_order(order_id)
    if order.warehouse_id is not None and not current_user.may_access_warehouse(order.warehouse_id):
        abort(403)
    return order


def _money(text: str) -> Decimal:
    try:
        value = Decimal((text or "0").strip() or "0").quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationFailed(f"{text} is not an amount", code="bad_refund_amount", amount=text) from None
    return value


@bp.route("/")
@requires("aftersales.view")
def index():
    args = request.args
    stmt = select(AfterSalesCase).join(Order, Order.id == AfterSalesCase.order_id)
    if args.get("status") in domain.CASE_STATUSES:
        stmt = stmt.where(AfterSalesCase.status == args["status"])
    if args.get("kind") in domain.KINDS:
        stmt = stmt.where(AfterSalesCase.kind == args["kind"])
    if args.get("open") == "1":
        stmt = stmt.where(AfterSalesCase.status.in_(domain.OPEN_STATUSES))
    if q := args.get("q", "").strip():
        like = f"%{q}%"
        stmt = stmt.where(or_(AfterSalesCase.number.ilike(like), Order.external_id.ilike(like),
                              AfterSalesCase.return_tracking_number.ilike(like), Order.ship_name.ilike(like),
                              AfterSalesCase.platform_case_id.ilike(like)))
    stmt = _visible(stmt)
    page = max(args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(AfterSalesCase.id.desc()).limit(PER_PAGE)
                              .offset((page - 1) * PER_PAGE)).all()
    counts = dict(db.session.execute(_visible(select(AfterSalesCase.status, func.count())
                                              .group_by(AfterSalesCase.status))).all())
    return render_template("aftersales/index.html", cases=rows, total=total, page=page, counts=counts,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), args=args,
                           statuses=domain.CASE_STATUSES, kinds=domain.KINDS)


@bp.route("/new")
@requires("aftersales.manage")
def new():
    order = _my_order(request.args.get("order_id", type=int) or 0)
    kind = request.args.get("kind") if request.args.get("kind") in domain.KINDS else "return_refund"
    return render_template("aftersales/new.html", order=order, kind=kind, kinds=domain.KINDS,
                           reasons=domain.REASON_CODES, lines=cases.returnable_lines(order, kind),
                           refundable=cases.refundable_for(order))


def _form_lines(order: Order) -> list[cases.NewCaseLine]:
    lines = []
    for line in order.lines:
        text = request.form.get(f"qty-{line.id}", "").strip()
        if not text or text == "0":
            continue
        if not text.isdigit():
            raise ValidationFailed(f"{text} is not a quantity", code="bad_quantity")
        lines.append(cases.NewCaseLine(line.id, int(text), request.form.get(f"reason-{line.id}") or
                                       request.form.get("reason_code") or "other",
                                       request.form.get(f"note-{line.id}", "")))
    return lines


@bp.route("/new", methods=["POST"])
@requires("aftersales.manage")
def create():
    order = _my_order(request.form.get("order_id", type=int) or 0)
    case = cases.create_case(cases.NewCase(
        order_id=order.id, kind=request.form.get("kind", ""), lines=_form_lines(order),
        refund_amount=_money(request.form.get("refund_amount", "0")),
        reason_code=request.form.get("reason_code") or "other", note=request.form.get("note", "").strip(),
        return_tracking_number=request.form.get("return_tracking_number", "")), user_id=current_user.id)
    flash(_("After-sales case %(number)s opened.", number=case.number), "success")
    return redirect(url_for("aftersales.show", case_id=case.id))


@bp.route("/<int:case_id>")
@requires("aftersales.view")
def show(case_id: int):
    case = _my_case(case_id)
    return render_template("aftersales/show.html", case=case, may_refund=domain.may_refund(case.kind, case.status),
                           may_complete=domain.may_complete(case.kind, case.status),
                           refundable=cases.refundable_for(case.order, except_case_id=case.id))


ACTIONS = {"approve": lambda case_id, user_id: cases.approve_case(case_id, user_id=user_id),
           "cancel": lambda case_id, user_id: cases.cancel_case(case_id, user_id=user_id),
           "complete": lambda case_id, user_id: cases.complete_case(case_id, user_id=user_id),
           "finish_receiving": lambda case_id, user_id: cases.finish_receiving(case_id, user_id=user_id)}


@bp.route("/<int:case_id>/action", methods=["POST"])
@requires("aftersales.manage")
def act(case_id: int):
    _my_case(case_id)
    action = request.form.get("action", "")
    if action == "reject":
        cases.reject_case(case_id, request.form.get("reason", "").strip(), user_id=current_user.id)
    elif action == "refund":
        cases.refund_case(case_id, _money(request.form.get("amount", "")) if request.form.get("amount") else None,
                          user_id=current_user.id)
    elif action == "tracking":
        cases.set_return_tracking(case_id, request.form.get("return_tracking_number", ""), user_id=current_user.id)
    elif action in ACTIONS:
        ACTIONS[action](case_id, current_user.id)
    else:
        abort(400)
    flash(_("Done."), "success")
    return redirect(url_for("aftersales.show", case_id=case_id))


def _order_section(order: Order) -> str:
    """The order page's after-sales section: its cases and the button that opens a new one."""
    if not current_user.can("aftersales.view"):
        return ""
    found = cases.cases_for_order(order.id)
    if not found and not (current_user.can("aftersales.manage") and order.status == "shipped"
                          or current_user.can("aftersales.manage") and order.status in _INTERCEPTABLE):
        return ""
    return render_template("aftersales/_order_cases.html", order=order, cases=found,
                           interceptable=order.status in _INTERCEPTABLE)


_INTERCEPTABLE = frozenset({"released", "picking", "picked", "sorted", "packed"})


def _customer_section(customer: Customer) -> str:
    """The customer page's after-sales history (its "After-sales cases" section)."""
    if not current_user.can("aftersales.view"):
        return ""
    return render_template("aftersales/_customer_cases.html", cases=cases.cases_for_customer(customer.id))


def register_order_section() -> None:
    """The after-sales sections of the order page and of the customer page."""
    register_order_panel(_order_section)
    register_history_panel(_customer_section)
