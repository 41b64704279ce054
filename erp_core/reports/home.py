"""Role home pages: after login each office role lands on what it works on.

A panel is a function of the signed-in user returning rendered HTML ("" leaves it out); areas add
theirs for a role at app start with `register_home_panel(role, fn)` (the finance margin and the
unreconciled items come from the finance packages, the floor from wms). Roles without a panel
land on the generic dashboard, pickers and packers on the handheld (/m/) as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from ..auth.guard import requires
from ..auth.permissions import ROLES
from ..channels.models import Channel
from ..extensions import db
from ..orders.models import Order
from ..panels import PanelRegistry
from .filters import display_tz, today_local
from .sales import NOT_COUNTED

bp = Blueprint("home", __name__)
_PANELS: dict[str, PanelRegistry] = {}


def register_home_panel(role: str, fn: Callable[[object], str]) -> None:
    """Show `fn(user)` on the home page of `role` (registering the same function twice keeps one)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    _PANELS.setdefault(role, PanelRegistry()).register(fn)


def has_home(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and len(_PANELS.get(user.role) or ()))


def home_panels(user) -> list[Markup]:
    registry = _PANELS.get(user.role)
    return registry.render(user) if registry else []


def revenue_today(user) -> str:
    """Orders paid today (local day), not cancelled or rejected, per shop: count and goods + shipping fee."""
    if not user.can("finance.view"):
        return ""
    tz = display_tz()
    start = datetime.combine(today_local(), time.min, tz)
    placed = func.sum(db.case((Order.split_from_id.is_(None), 1), else_=0))  # a split-off part is no new order
    stmt = (select(Channel.name, Order.currency, placed, func.sum(Order.goods_total + Order.shipping_fee))
            .join(Channel, Channel.id == Order.channel_id)
            .where(Order.paid_at >= start, Order.paid_at < start + timedelta(days=1),
                   Order.status.not_in(NOT_COUNTED), Order.merged_into_id.is_(None))
            .group_by(Channel.name, Order.currency).order_by(Channel.name))
    allowed = user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(Order.warehouse_id.in_(allowed))
    rows = db.session.execute(stmt).all()
    return render_template("home/_revenue_today.html", rows=rows, day=today_local())


ACTION_STATUSES = ("pending", "held", "backordered")


def orders_needing_action(user) -> str:
    """Orders waiting for the office: pending audit, held, backordered (counts linking to the lists)."""
    if not user.can("orders.view"):
        return ""
    stmt = select(Order.status, func.count()).where(Order.status.in_(ACTION_STATUSES)).group_by(Order.status)
    allowed = user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(Order.warehouse_id.in_(allowed) | Order.warehouse_id.is_(None))
    counts = dict(db.session.execute(stmt).all())
    return render_template("home/_orders_needing_action.html",
                           counts=[(s, counts.get(s, 0)) for s in ACTION_STATUSES])


def register_builtin_home_panels() -> None:
    for role in ("finance", "admin"):
        register_home_panel(role, revenue_today)
    for role in ("admin", "supervisor", "purchaser"):
        register_home_panel(role, orders_needing_action)


@bp.route("/home")
@requires("dashboard.view")
def index():
    panels = home_panels(current_user)
    if not panels and not has_home(current_user):
        return redirect(url_for("dashboard.index"))
    return render_template("home/index.html", panels=panels)
