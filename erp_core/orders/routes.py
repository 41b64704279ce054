"""Order list, order page, audit and allocation actions (office screens)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..auth.guard import requires
from ..auth.object_access import require_warehouse_of, warehouse_of_arg
from ..catalog.models import Sku
from ..channels.models import Channel
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from ..messages import describe
from .allocation import allocation_policy
from .bulk_jobs import start_audit_pending_job, start_bulk_job
from .intercept import intercept_order
from .models import ORDER_STATUSES, Order, OrderLine
from .panels import order_panels
from .services import cancel_order, get_order
from .workflow import ACTIONS, approve_order, audit_settings, merge_orders, save_audit_settings
from .workflow import split_order as split_order_service

bp = Blueprint("orders", __name__)
PER_PAGE = 50


def _visible(stmt):
    allowed = current_user.warehouse_ids()
    return stmt if allowed is None else stmt.where(Order.warehouse_id.in_(allowed))


def _date(value: str | None, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=UTC)


def _filtered(args) -> tuple:
    stmt = select(Order)
    if args.get("status") in ORDER_STATUSES:
        stmt = stmt.where(Order.status == args["status"])
    if args.get("channel", "").isdigit():
        stmt = stmt.where(Order.channel_id == int(args["channel"]))
    if args.get("warehouse", "").isdigit():
        stmt = stmt.where(Order.warehouse_id == int(args["warehouse"]))
    if start := _date(args.get("date_from")):
        stmt = stmt.where(Order.ordered_at >= start)
    if end := _date(args.get("date_to"), end=True):
        stmt = stmt.where(Order.ordered_at < end)
    if sku := args.get("sku", "").strip():
        stmt = stmt.where(Order.id.in_(select(OrderLine.order_id).join(Sku).where(Sku.code == sku)))
    if q := args.get("q", "").strip():
        like = f"%{q}%"
        stmt = stmt.where(or_(Order.external_id.ilike(like), Order.ship_name.ilike(like),
                              Order.ship_phone.ilike(like), Order.buyer_id.ilike(like)))
    return _visible(stmt)


@bp.route("/")
@requires("orders.view")
def index():
    stmt = _filtered(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    orders = db.session.scalars(stmt.order_by(Order.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    counts = dict(db.session.execute(_visible(select(Order.status, func.count()).group_by(Order.status))).all())
    return render_template(
        "orders/index.html", orders=orders, total=total, page=page, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        counts=counts, statuses=ORDER_STATUSES, args=request.args,
        channels=db.session.scalars(select(Channel).order_by(Channel.name)).all(),
        warehouses=db.session.scalars(select(Warehouse).order_by(Warehouse.code)).all())


@bp.route("/<int:order_id>")
@requires("orders.view")
def show(order_id: int):
    order = get_order(order_id)
    require_warehouse_of("order", order_id)  # not allocated yet (no warehouse): visible
    related = db.session.scalars(select(Order).where(or_(
        Order.split_from_id == order.id, Order.id == order.split_from_id, Order.merged_into_id == order.id,
        Order.id == order.merged_into_id))).all()
    return render_template("orders/show.html", order=order, related=related, panels=order_panels(order))


def _reason() -> str:
    return request.form.get("reason", "").strip()


@bp.route("/<int:order_id>/action", methods=["POST"])
@requires("orders.audit")
@warehouse_of_arg("order", "order_id")
def act(order_id: int):
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    kwargs = {"user_id": current_user.id}
    if action in {"hold", "reject"}:
        kwargs["reason"] = _reason()
    elif action == "cancel":
        return _cancel(order_id)
    ACTIONS[action](order_id, **kwargs)
    flash(_("Done: %(action)s.", action=_action_label(action)), "success")
    return redirect(url_for("orders.show", order_id=order_id))


def _cancel(order_id: int):
    reason = _reason()
    if not reason:
        raise ValidationFailed(_("A cancellation needs a reason."), code="reason_required")
    cancel_order(order_id, reason, user_id=current_user.id)
    flash(_("Done: %(action)s.", action=_action_label("cancel")), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.route("/<int:order_id>/intercept", methods=["POST"])
@requires("orders.audit")
@warehouse_of_arg("order", "order_id")
def intercept(order_id: int):
    """Stop the order (拦截): cancelled before the floor starts, intercepted (put back, then cancelled) after."""
    order = intercept_order(order_id, _reason(), user_id=current_user.id)
    if order.status == "cancelled":
        flash(_("Intercepted: the order is cancelled and its stock released."), "success")
    else:
        flash(_("Intercepted: the floor is stopped; put the picked units back to cancel the order."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


def _action_label(action: str) -> str:
    return {"audit": _("audit"), "approve": _("approve"), "hold": _("hold"), "reject": _("reject"),
            "cancel": _("cancel"), "merge": _("merge")}.get(action, action)


@bp.route("/bulk", methods=["POST"])
@requires("orders.audit")
def bulk_action():
    ids = [int(i) for i in request.form.getlist("order_id") if i.isdigit()]
    action = request.form.get("action", "")
    back = request.form.get("next") or url_for("orders.index")
    if not ids:
        flash(_("Select at least one order."), "error")
        return redirect(back)
    if action == "merge":
        try:
            target = merge_orders(ids, user_id=current_user.id)
        except DomainError as error:
            flash(describe(error), "error")
            return redirect(back)
        flash(_("Merged into order #%(id)d.", id=target.id), "success")
        return redirect(url_for("orders.show", order_id=target.id))
    if action not in ACTIONS:
        abort(400)
    if action in {"hold", "reject", "cancel"} and not _reason():
        flash(_("This action needs a reason."), "error")
        return redirect(back)
    # In the background, in short chunks: a bulk action never holds the write lock for long.
    job = start_bulk_job(action, ids, user_id=current_user.id, reason=_reason())
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/audit-pending", methods=["POST"])
@requires("orders.audit")
def run_audit():
    job = start_audit_pending_job(user_id=current_user.id)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:order_id>/split", methods=["POST"])
@requires("orders.audit")
def split(order_id: int):
    quantities = {}
    for key, value in request.form.items():
        if key.startswith("qty-") and value.strip():
            if not value.strip().isdigit():
                raise ValidationFailed(_("Quantities must be whole numbers."), code="bad_quantity",
                                       value=value.strip())
            quantities[int(key[4:])] = int(value)
    require_warehouse_of("order", order_id)  # after the form's own refusals, which read nothing
    child = split_order_service(order_id, quantities, user_id=current_user.id)
    flash(_("Split off as order #%(id)d.", id=child.id), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.route("/<int:order_id>/allocate", methods=["POST"])
@requires("orders.audit")
@warehouse_of_arg("order", "order_id")
def allocate(order_id: int):
    approve_order(order_id, user_id=current_user.id)
    flash(_("Done: %(action)s.", action=_action_label("approve")), "success")
    return redirect(url_for("orders.show", order_id=order_id))


def _words(form, name: str) -> frozenset[str]:
    return frozenset(w.strip() for w in form.get(name, "").replace(",", "\n").splitlines() if w.strip())


def _rules_from_form(rules, form):
    """The audit settings as the form says; raises ValueError/InvalidOperation on a bad number."""
    def on(name: str) -> bool:
        return form.get(name) == "on"

    return replace(
        rules,
        auto_approve=replace(rules.auto_approve, enabled=on("auto_approve")),
        buyer_note=replace(rules.buyer_note, enabled=on("buyer_note")),
        seller_note=replace(rules.seller_note, enabled=on("seller_note")),
        amount=replace(rules.amount, enabled=on("amount"), threshold=Decimal(form.get("amount_threshold", "0"))),
        blacklist=replace(rules.blacklist, enabled=on("blacklist"), buyer_ids=_words(form, "blacklist_buyers"),
                          phones=_words(form, "blacklist_phones"),
                          action="reject" if form.get("blacklist_action") == "reject" else "hold"),
        duplicate=replace(rules.duplicate, enabled=on("duplicate"),
                          window_hours=int(form.get("duplicate_window_hours", "24"))),
        address=replace(rules.address, enabled=on("address"),
                        min_detail_length=int(form.get("address_min_detail_length", "5")),
                        check_po_box=on("address_po_box"), check_mobile=on("address_mobile")))


@bp.route("/settings", methods=["GET", "POST"])
@requires("orders.audit")
def settings():
    """Audit rules (each on/off with its parameters) and the allocation policy."""
    from ..settings import put_setting

    rules = audit_settings()
    policy = allocation_policy()
    if request.method == "POST":
        try:
            rules = _rules_from_form(rules, request.form)
        except (InvalidOperation, ValueError):
            flash(_("Numbers only, please."), "error")
            return redirect(url_for("orders.settings"))
        save_audit_settings(rules, user_id=current_user.id)
        policy["mode"] = "backorder" if request.form.get("allocation_mode") == "backorder" else "split"
        policy["serves"], policy["priority"] = _service_areas(request.form)
        put_setting("allocation.policy", policy, user_id=current_user.id)
        flash(_("Settings saved."), "success")
        return redirect(url_for("orders.settings"))
    warehouses = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)).all()
    return render_template("orders/settings.html", rules=rules, policy=policy, warehouses=warehouses)


def _service_areas(form) -> tuple[dict, dict]:
    """Per warehouse: the provinces and regions it serves, and its priority (lower ships first)."""
    serves, priority = {}, {}
    for wh in db.session.scalars(select(Warehouse)):
        def words(name: str, code: str = wh.code) -> list[str]:
            raw = form.get(f"{name}-{code}", "").replace("，", ",")
            return [w.strip() for w in raw.split(",") if w.strip()]

        provinces, regions = words("provinces"), words("regions")
        if provinces or regions:
            serves[wh.code] = {"provinces": provinces, "regions": regions}
        value = form.get(f"priority-{wh.code}", "").strip()
        if value.isdigit():
            priority[wh.code] = int(value)
    return serves, priority
