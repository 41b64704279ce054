"""The board page's charts (ECharts through static/js/charts.js): orders by status and channel,
today's throughput by hour (picked, packed, shipped) and the open backlog against carrier cut-offs.
Each is a plain spec {kind, categories, series: [{name, data}], stacked}."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from erp_core.channels.models import Channel
from erp_core.code_labels import status_label
from erp_core.extensions import db
from erp_core.models_base import utcnow
from erp_core.orders.models import ORDER_STATUSES, Order
from wms.shipping.models import Carrier, Shipment

from .models import PickList, PickTask, Wave

BACKLOG_STAGES = (("to_pick", ("released", "picking")), ("to_pack", ("picked", "sorted")), ("to_ship", ("packed",)))


def orders_by_status_and_channel(warehouse_id: int) -> dict:
    rows = db.session.execute(
        select(Order.status, Channel.name, func.count(Order.id)).join(Channel, Channel.id == Order.channel_id)
        .where(Order.warehouse_id == warehouse_id).group_by(Order.status, Channel.name)).all()
    statuses = [s for s in ORDER_STATUSES if any(r[0] == s for r in rows)]
    by_channel: dict[str, Counter] = defaultdict(Counter)
    for status, channel, n in rows:
        by_channel[channel][status] += n
    return {"kind": "bar", "stacked": True, "categories": [status_label(s) for s in statuses],
            "series": [{"name": channel, "data": [counts[s] for s in statuses]}
                       for channel, counts in sorted(by_channel.items())]}


def _hours_today(now: datetime, zone: ZoneInfo) -> tuple[datetime, int]:
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return midnight, int((now - midnight).total_seconds() // 3600) + 1


def throughput_by_hour(warehouse_id: int, now: datetime | None = None) -> dict:
    """Lines picked, parcels packed and parcels shipped per local hour of today."""
    now, zone = now or utcnow(), ZoneInfo(current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai"))
    midnight, hours = _hours_today(now, zone)
    start = midnight.astimezone(now.tzinfo)
    moments = {
        _("Picked (lines)"): select(PickTask.done_at).join(PickList, PickList.id == PickTask.pick_list_id)
        .join(Wave, Wave.id == PickList.wave_id)
        .where(Wave.warehouse_id == warehouse_id, PickTask.status.in_(("done", "short")), PickTask.done_at >= start),
        _("Packed (parcels)"): select(Shipment.created_at).where(Shipment.warehouse_id == warehouse_id,
                                                                 Shipment.created_at >= start),
        _("Shipped (parcels)"): select(Shipment.shipped_at).where(Shipment.warehouse_id == warehouse_id,
                                                                  Shipment.shipped_at >= start),
    }
    series = []
    for name, stmt in moments.items():
        counts = Counter(int((m - midnight).total_seconds() // 3600) for m in db.session.scalars(stmt) if m)
        series.append({"name": name, "data": [counts[h] for h in range(hours)]})
    return {"kind": "bar", "stacked": False, "series": series,
            "categories": [(midnight + timedelta(hours=h)).strftime("%H:00") for h in range(hours)]}


def backlog_against_cutoffs(warehouse_id: int) -> dict:
    """Open orders per carrier (with its cut-off) and how far they are: to pick, to pack, to ship."""
    rows = db.session.execute(
        select(func.upper(Order.carrier), Order.status, func.count(Order.id))
        .where(Order.warehouse_id == warehouse_id, Order.status.in_([s for _stage, ss in BACKLOG_STAGES for s in ss]))
        .group_by(func.upper(Order.carrier), Order.status)).all()
    cutoffs = dict(db.session.execute(select(Carrier.code, Carrier.cutoff_time)).all())
    carriers = sorted({row[0] or "" for row in rows}, key=lambda c: (cutoffs.get(c) is None, cutoffs.get(c)
                                                                          or time(0), c))
    names = {"to_pick": _("To pick"), "to_pack": _("To pack"), "to_ship": _("To ship")}

    def label(code: str) -> str:
        cutoff = cutoffs.get(code)
        name = code or _("carrier not chosen yet")
        return f"{name} · {cutoff.strftime('%H:%M')}" if cutoff else name

    return {"kind": "bar", "stacked": True, "categories": [label(c) for c in carriers],
            "series": [{"name": names[stage], "data": [sum(n for code, status, n in rows
                                                           if (code or "") == c and status in statuses)
                                                       for c in carriers]}
                       for stage, statuses in BACKLOG_STAGES]}


def board_charts(warehouse_id: int) -> list[dict]:
    return [{"id": "chart-orders", "title": _("Orders by status and channel"),
             "spec": orders_by_status_and_channel(warehouse_id)},
            {"id": "chart-throughput", "title": _("Throughput today by hour"),
             "spec": throughput_by_hour(warehouse_id)},
            {"id": "chart-backlog", "title": _("Backlog against carrier cut-offs"),
             "spec": backlog_against_cutoffs(warehouse_id)}]
