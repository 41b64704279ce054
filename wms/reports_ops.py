"""The operations report (erp_core never reads the floor's tables, so it lives here): order cycle time
paid -> shipped, shipping on time against the order's cut-off, picker and packer productivity, and
error rates (short picks, shipping exceptions). Also the supervisor's "floor" home panel."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_babel import gettext as _
from sqlalchemy import func, literal, select

from erp_core.auth.guard import requires
from erp_core.auth.models import User
from erp_core.extensions import db
from erp_core.orders.models import Order
from erp_core.reports.domain import percentile, periods
from erp_core.reports.filters import ReportFilter
from erp_core.reports.home import register_home_panel
from erp_core.reports.views import Chart, Table, choice, current_filter, render_report

from .picking.models import PickList, PickTask, Wave
from .shipping.exception_routes import exception_kind_label
from .shipping.models import EXCEPTION_KINDS, Shipment, ShippingException

bp = Blueprint("reports_ops", __name__)
OPEN_WAVES = ("planned", "released", "picking")
PACK_QUEUE = ("picked", "sorted")


def _in_range(column, f: ReportFilter):
    start, end = f.utc_range()
    return (column >= start) & (column < end)


def _hours(seconds: float | None) -> float | str:
    return "" if seconds is None else round(seconds / 3600, 1)


@dataclass(frozen=True)
class CycleRow:
    day: str
    shipped: int
    median_s: float | None
    p90_s: float | None
    with_cutoff: int
    on_time: int


def cycle_times(f: ReportFilter) -> list[CycleRow]:
    """Per local day of shipping: paid -> shipped (median, p90) and shipped by the order's ship_by."""
    stmt = (select(Shipment.shipped_at, Order.paid_at, Order.ship_by).join(Order, Order.id == Shipment.order_id)
            .where(Shipment.shipped_at.is_not(None), Shipment.cancelled_at.is_(None),
                   _in_range(Shipment.shipped_at, f)))
    if f.warehouse_ids is not None:
        stmt = stmt.where(Shipment.warehouse_id.in_(f.warehouse_ids))
    if f.channel_id:
        stmt = stmt.where(Order.channel_id == f.channel_id)
    days: dict = defaultdict(lambda: {"n": 0, "cycle": [], "cut": 0, "on_time": 0})
    for shipped_at, paid_at, ship_by in db.session.execute(stmt):
        day = days[f.local_day(shipped_at)]
        day["n"] += 1
        if paid_at is not None:
            day["cycle"].append((shipped_at - paid_at).total_seconds())
        if ship_by is not None:
            day["cut"] += 1
            day["on_time"] += 1 if shipped_at <= ship_by else 0
    return [CycleRow(d.isoformat(), days[d]["n"], percentile(days[d]["cycle"], 50), percentile(days[d]["cycle"], 90),
                     days[d]["cut"], days[d]["on_time"]) for d in periods(f.date_from, f.date_to, "day")]


@dataclass(frozen=True)
class WorkerRow:
    user: str
    done: int
    units: int
    active_hours: int

    @property
    def per_hour(self) -> float:
        return round(self.done / self.active_hours, 1) if self.active_hours else 0.0


def _per_worker(rows, f: ReportFilter) -> list[WorkerRow]:
    """(user_id, done_at, units) -> per user: tasks, units, and the clock hours with any work done."""
    done: dict = defaultdict(lambda: [0, 0, set()])
    for user_id, at, units in rows:
        local = at.astimezone(f.tz)
        entry = done[user_id]
        entry[0] += 1
        entry[1] += int(units or 0)
        entry[2].add((local.date(), local.hour))
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(list(done)))).all())
    out = [WorkerRow(names.get(u, str(u)), d, n, len(h)) for u, (d, n, h) in done.items()]
    return sorted(out, key=lambda r: (-r.per_hour, r.user))


def picker_productivity(f: ReportFilter) -> list[WorkerRow]:
    stmt = (select(PickTask.done_by_id, PickTask.done_at, PickTask.picked_quantity)
            .join(PickList, PickList.id == PickTask.pick_list_id).join(Wave, Wave.id == PickList.wave_id)
            .where(PickTask.done_by_id.is_not(None), PickTask.status.in_(("done", "short")),
                   _in_range(PickTask.done_at, f)))
    if f.warehouse_ids is not None:
        stmt = stmt.where(Wave.warehouse_id.in_(f.warehouse_ids))
    return _per_worker(db.session.execute(stmt), f)


def packer_productivity(f: ReportFilter) -> list[WorkerRow]:
    """Shipments packed (one pack-out each) per packer, by the shipment's creation at the station."""
    stmt = (select(Shipment.packed_by_id, Shipment.created_at, literal(0))
            .where(Shipment.packed_by_id.is_not(None), Shipment.cancelled_at.is_(None),
                   _in_range(Shipment.created_at, f)))
    if f.warehouse_ids is not None:
        stmt = stmt.where(Shipment.warehouse_id.in_(f.warehouse_ids))
    return _per_worker(db.session.execute(stmt), f)


def error_counts(f: ReportFilter) -> dict[str, int]:
    """Short-picked tasks and shipping exceptions by kind, raised in the range."""
    shorts = select(func.count(PickTask.id)).join(PickList, PickList.id == PickTask.pick_list_id).join(
        Wave, Wave.id == PickList.wave_id).where(PickTask.short_quantity > 0, _in_range(PickTask.done_at, f))
    tasks = select(func.count(PickTask.id)).join(PickList, PickList.id == PickTask.pick_list_id).join(
        Wave, Wave.id == PickList.wave_id).where(PickTask.done_at.is_not(None), _in_range(PickTask.done_at, f))
    exc = (select(ShippingException.kind, func.count()).where(_in_range(ShippingException.created_at, f))
           .group_by(ShippingException.kind))
    if f.warehouse_ids is not None:
        shorts, tasks = (s.where(Wave.warehouse_id.in_(f.warehouse_ids)) for s in (shorts, tasks))
        exc = exc.where(ShippingException.warehouse_id.in_(f.warehouse_ids))
    counts = {"pick_tasks": db.session.scalar(tasks) or 0, "short_picks": db.session.scalar(shorts) or 0}
    counts.update({kind: 0 for kind in EXCEPTION_KINDS})
    counts.update(dict(db.session.execute(exc).all()))
    return counts


@bp.route("/operations", endpoint="operations")
@requires("reports.view")
def operations():
    f = current_filter(default_days=14)
    view = choice("view", ("cycle", "pickers", "packers", "errors"))
    views = [("cycle", _("Cycle time and on time")), ("pickers", _("Pickers")), ("packers", _("Packers")),
             ("errors", _("Errors"))]
    if view == "cycle":
        rows = cycle_times(f)
        table = Table([_("Day"), _("Shipped"), _("Median hours paid to shipped"), _("P90 hours"), _("With a cut-off"),
                       _("On time"), _("On time %")],
                      [[r.day, r.shipped, _hours(r.median_s), _hours(r.p90_s), r.with_cutoff, r.on_time,
                        round(100 * r.on_time / r.with_cutoff, 1) if r.with_cutoff else ""] for r in rows])
        chart = Chart("line", [r.day for r in rows]).add(_("Median hours paid to shipped"),
                                                         [_hours(r.median_s) or 0 for r in rows]).add(
            _("P90 hours"), [_hours(r.p90_s) or 0 for r in rows])
    elif view in ("pickers", "packers"):
        rows = picker_productivity(f) if view == "pickers" else packer_productivity(f)
        done = _("Pick tasks done") if view == "pickers" else _("Shipments packed")
        table = Table([_("User"), done] + ([_("Units picked")] if view == "pickers" else []) +
                      [_("Active hours"), _("Per active hour")],
                      [[r.user, r.done] + ([r.units] if view == "pickers" else []) + [r.active_hours, r.per_hour]
                       for r in rows])
        chart = Chart("bar", [r.user for r in rows]).add(_("Per active hour"), [r.per_hour for r in rows])
    else:
        counts = error_counts(f)
        keys = ["short_picks"] + list(EXCEPTION_KINDS)
        labels = [_("Short picks")] + [exception_kind_label(k) for k in EXCEPTION_KINDS]
        share = round(100 * counts["short_picks"] / counts["pick_tasks"], 1) if counts["pick_tasks"] else ""
        table = Table([_("Error"), _("Count"), _("Share of pick tasks %")],
                      [[label, counts[k], share if k == "short_picks" else ""]
                       for k, label in zip(keys, labels, strict=True)])
        chart = Chart("bar", labels).add(_("Count"), [counts[k] for k in keys])
    return render_report(endpoint="reports_ops.operations", title=_("Operations"), f=f, views=views, view=view,
                         chart=chart, table=table, filename=f"operations-{view}-{f.date_from}-{f.date_to}",
                         notes=[_("Wrong scans are refused at the scanner and not recorded, so they are not counted.")]
                         if view == "errors" else ())


def floor_panel(user) -> str:
    """The supervisor's floor: open waves, the pack queue and open exceptions, with links to the boards."""
    allowed = user.warehouse_ids()
    waves = select(Wave.status, func.count()).where(Wave.status.in_(OPEN_WAVES)).group_by(Wave.status)
    queue = select(func.count(Order.id)).where(Order.status.in_(PACK_QUEUE))
    exceptions = select(func.count(ShippingException.id)).where(ShippingException.status == "open")
    if allowed is not None:
        waves = waves.where(Wave.warehouse_id.in_(allowed))
        queue = queue.where(Order.warehouse_id.in_(allowed))
        exceptions = exceptions.where(ShippingException.warehouse_id.in_(allowed))
    by_status = dict(db.session.execute(waves).all())
    return render_template("home/_floor.html", waves=[(s, by_status.get(s, 0)) for s in OPEN_WAVES],
                           pack_queue=db.session.scalar(queue) or 0, open_exceptions=db.session.scalar(exceptions) or 0)


def register_floor_home_panels() -> None:
    for role in ("supervisor", "admin"):
        register_home_panel(role, floor_panel)
