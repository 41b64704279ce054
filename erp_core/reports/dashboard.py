"""The home page: what is waiting, per status and warehouse, and where stock runs low."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.guard import requires
from ..catalog.models import Sku
from ..channels.models import Channel
from ..extensions import db
from ..inventory.alerts import low_stock
from ..inventory.models import Warehouse
from ..inventory.reservations import stock_levels
from ..orders.models import ORDER_STATUSES, Order

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires("dashboard.view")
def index():
    allowed = current_user.warehouse_ids()
    warehouses = list(db.session.scalars(select(Warehouse).order_by(Warehouse.code)))
    if allowed is not None:
        warehouses = [w for w in warehouses if w.id in allowed]
    status_stmt = select(Order.status, func.count()).group_by(Order.status)
    if allowed is not None:
        status_stmt = status_stmt.where(Order.warehouse_id.in_(allowed))
    by_status = dict(db.session.execute(status_stmt).all())
    channel_stmt = (select(Channel.name, Channel.platform, func.count(Order.id))
                    .join(Order, Order.channel_id == Channel.id, isouter=True)
                    .group_by(Channel.id, Channel.name, Channel.platform).order_by(Channel.name))
    levels = stock_levels(warehouse_ids={w.id for w in warehouses})
    per_wh: dict[int, dict[str, int]] = {w.id: {"skus": 0, "on_hand": 0, "reserved": 0} for w in warehouses}
    for lv in levels:
        agg = per_wh[lv.warehouse_id]
        agg["skus"] += 1 if lv.on_hand else 0
        agg["on_hand"] += lv.on_hand
        agg["reserved"] += lv.reserved
    return render_template(
        "dashboard.html", warehouses=warehouses, per_wh=per_wh,
        by_status=[(s, by_status.get(s, 0)) for s in ORDER_STATUSES],
        channels=db.session.execute(channel_stmt).all(),
        sku_count=db.session.scalar(select(func.count(Sku.id)).where(Sku.active.is_(True))),
        low_items=low_stock({w.id for w in warehouses}, limit=10) if current_user.can("stock.view") else None)
