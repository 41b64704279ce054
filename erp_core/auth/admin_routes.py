"""Admin pages: users and roles, warehouses, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..inventory.models import Warehouse
from ..inventory.services import create_warehouse
from ..inventory.warehouse_settings import set_weight_tolerance
from ..messages import describe
from ..models_base import utcnow
from .forms import TokenForm, UserForm, WarehouseForm
from .guard import requires
from .models import ApiToken, User
from .object_access import warehouse_of_arg
from .routes import current_session_id
from .services import create_api_token, create_user, revoke_api_token, update_user
from .session_routes import sessions_of

bp = Blueprint("admin", __name__)


def _supplier_choices() -> list[tuple[int, str]]:
    from ..purchasing.suppliers import active_suppliers

    return [(0, "–")] + [(s.id, f"{s.code} · {s.name}") for s in active_suppliers()]


def _warehouse_choices() -> list[tuple[int, str]]:
    return [(w.id, f"{w.code} {w.name}") for w in db.session.scalars(select(Warehouse).order_by(Warehouse.code))]


@bp.route("/users")
@requires("admin.users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.username))
    return render_template("admin/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user():
    form = UserForm()
    form.warehouses.choices = _warehouse_choices()
    form.supplier_id.choices = _supplier_choices()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("A new user needs a password."))
        else:
            try:
                user = create_user(form.username.data, form.password.data, form.role.data,
                                   full_name=form.full_name.data or "", warehouse_ids=form.warehouses.data,
                                   badge=form.badge.data or None, supplier_id=form.supplier_id.data or None)
            except DomainError as error:
                flash(describe(error), "error")
            else:
                flash(_("User %(name)s created.", name=user.username), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None, sessions=[])


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.users")
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    form.warehouses.choices = _warehouse_choices()
    form.supplier_id.choices = _supplier_choices()
    if not form.is_submitted():
        form.warehouses.data = [w.id for w in user.warehouses]
        form.supplier_id.data = user.supplier_id or 0
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            flash(_("You cannot remove your own admin role or deactivate yourself."), "error")
        else:
            try:
                update_user(user.id, full_name=form.full_name.data or "", role=form.role.data,
                            active=form.active.data, warehouse_ids=form.warehouses.data,
                            password=form.password.data or None, badge=form.badge.data or None,
                            clear_badge=form.clear_badge.data, supplier_id=form.supplier_id.data or None,
                            by_user_id=current_user.id,
                            keep_session=current_session_id() if user.id == current_user.id else None)
            except DomainError as error:
                flash(describe(error), "error")
            else:
                flash(_("User %(name)s saved.", name=user.username), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, sessions=sessions_of(user.id),
                           current_sid=current_session_id())


@bp.route("/tokens", methods=["GET", "POST"])
@requires("admin.tokens")
def tokens():
    form = TokenForm()
    form.user_id.choices = [(u.id, f"{u.username} ({u.role})")
                            for u in db.session.scalars(select(User).where(User.active.is_(True))
                                                        .order_by(User.username))]
    new_secret = None
    if form.validate_on_submit():
        expires_at = (datetime.combine(form.expires_on.data, time(23, 59, 59), tzinfo=UTC)
                      if form.expires_on.data else None)
        try:
            _token, new_secret = create_api_token(form.user_id.data, form.name.data, current_user.id,
                                                  scopes=form.scopes.data or None, expires_at=expires_at)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Token created. Copy it now: it is not shown again."), "success")
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
    return render_template("admin/tokens.html", form=form, tokens=list(rows), new_secret=new_secret, now=utcnow())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin.tokens")
def revoke_token(token_id: int):
    token = revoke_api_token(token_id)
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("admin.tokens"))


@bp.route("/warehouses", methods=["GET", "POST"])
@requires("admin.warehouses")
def warehouses():
    form = WarehouseForm()
    if form.validate_on_submit():
        try:
            wh = create_warehouse(form.code.data, form.name.data, name_zh=form.name_zh.data or "",
                                  province=form.province.data or "", city=form.city.data or "",
                                  address=form.address.data or "")
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Warehouse %(code)s created.", code=wh.code), "success")
            return redirect(url_for("admin.warehouses"))
    rows = db.session.scalars(select(Warehouse).order_by(Warehouse.code))
    return render_template("admin/warehouses.html", form=form, warehouses=list(rows))


@bp.route("/warehouses/<int:warehouse_id>/weight-tolerance", methods=["POST"])
@requires("admin.warehouses")
@warehouse_of_arg("warehouse", "warehouse_id")
def weight_tolerance(warehouse_id: int):
    """The pack-out weight check's tolerance of one warehouse (percent of the expected weight, grams)."""
    def whole(name: str) -> int | None:
        value = request.form.get(name, "").strip()
        return int(value) if value.isdigit() else (None if not value else -1)

    try:
        wh = set_weight_tolerance(warehouse_id, pct=whole("weight_tolerance_pct"), grams=whole("weight_tolerance_g"))
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Weight tolerance of %(code)s saved: ± %(pct)d %% or ± %(g)d g.", code=wh.code,
                pct=wh.weight_tolerance_pct, g=wh.weight_tolerance_g), "success")
    return redirect(url_for("admin.warehouses"))
