"""Report pages: sales, customers, products. Each has filters, a chart and a table, and exports its
table as CSV or XLSX. Thin: the figures come from sales.py, customers.py and products.py."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from ..auth.guard import requires
from ..customers.labels import segment_label
from . import customers, products, sales
from .domain import AGING_BUCKETS
from .filters import today_local
from .views import Chart, Table, choice, current_filter, render_report

bp = Blueprint("reports", __name__)
TOP_N = (10, 20, 50)


def _sales_views():
    return [("period", _("By day or week")), ("shop", _("By shop")), ("sku", _("By SKU")), ("region", _("By region"))]


@bp.route("/sales", endpoint="sales")
@requires("reports.view")
def sales_report():
    f = current_filter()
    view = choice("view", ("period", "shop", "sku", "region"))
    grain = choice("grain", ("day", "week"))
    top = int(choice("top", [str(n) for n in TOP_N]))
    rows = {"period": lambda: sales.by_period(f, grain), "shop": lambda: sales.by_shop(f),
            "sku": lambda: sales.by_sku(f, top), "region": lambda: sales.by_region(f)}[view]()
    first = {"period": _("Week from") if grain == "week" else _("Day"), "shop": _("Shop"), "sku": _("SKU"),
             "region": _("Province")}[view]
    header = [first] + ([_("Name")] if view in ("shop", "sku") else []) + [_("Orders"), _("Units"), _("Revenue")]
    table = Table(header, [[r.key] + ([r.label] if view in ("shop", "sku") else []) + [r.orders, r.units, r.revenue]
                           for r in rows], numeric_from=len(header) - 3)
    chart = Chart("line" if view == "period" else "bar", [r.key or "—" for r in rows])
    chart.add(_("Revenue"), [r.revenue for r in rows])
    return render_report(endpoint="reports.sales", title=_("Sales"), f=f, views=_sales_views(), view=view, chart=chart,
                         table=table, filename=f"sales-{view}-{f.date_from}-{f.date_to}",
                         extra_args={"grain": grain} if view == "period" else {"top": top} if view == "sku" else {})


@bp.route("/customers", endpoint="customers")
@requires("reports.view")
def customers_report():
    f = current_filter()
    view = choice("view", ("buyers", "rfm"))
    views = [("buyers", _("New and returning")), ("rfm", _("RFM movement"))]
    if view == "buyers":
        grain = choice("grain", ("week", "day"))
        rows = customers.new_vs_returning(f, grain)
        table = Table([_("Week from") if grain == "week" else _("Day"), _("New customers"), _("Returning customers")],
                      [[r.period, r.new, r.returning] for r in rows])
        chart = Chart("bar", [r.period for r in rows], stacked=True)
        chart.add(_("New customers"), [r.new for r in rows]).add(_("Returning customers"), [r.returning for r in rows])
        extra = {"grain": grain}
    else:
        moves = customers.rfm_movement(f)
        table = Table([_("Segment"), _("At the start"), _("At the end"), _("Change")],
                      [[segment_label(m.segment), m.at_start, m.at_end, m.change] for m in moves])
        chart = Chart("bar", [segment_label(m.segment) for m in moves])
        chart.add(_("At the start"), [m.at_start for m in moves]).add(_("At the end"), [m.at_end for m in moves])
        extra = {}
    return render_report(endpoint="reports.customers", title=_("Customers"), f=f, views=views, view=view, chart=chart,
                         table=table, filename=f"customers-{view}-{f.date_from}-{f.date_to}", extra_args=extra)


@bp.route("/products", endpoint="products")
@requires("reports.view")
def products_report():
    f = current_filter()
    view = choice("view", ("abc", "aging", "risk"))
    views = [("abc", _("ABC and turnover")), ("aging", _("Stock aging")), ("risk", _("Stockout risk"))]
    rows = products.product_rows(f, today_local())
    if view == "aging":
        rows = [r for r in rows if r.on_hand]
        table = Table([_("SKU"), _("Name"), _("On hand")] + [_("%(range)s days", range=b) for b in AGING_BUCKETS],
                      [[r.code, r.name, r.on_hand] + [r.aging[b] for b in AGING_BUCKETS] for r in rows], numeric_from=2)
        totals = products.aging_totals(rows)
        chart = Chart("bar", [_("%(range)s days", range=b) for b in AGING_BUCKETS]).add(
            _("Units on hand"), [totals[b] for b in AGING_BUCKETS])
    else:
        if view == "risk":
            rows = [r for r in rows if r.at_risk]
        table = Table([_("SKU"), _("Name"), _("Class"), _("Revenue"), _("Units shipped"), _("On hand"), _("Available"),
                       _("Turnover"), _("Days of cover"), _("Lead time (days)"), _("Stockout risk")],
                      [[r.code, r.name, r.abc, r.revenue, r.units_shipped, r.on_hand, r.available,
                        "" if r.turnover is None else r.turnover, "" if r.cover_days is None else r.cover_days,
                        "" if r.lead_time_days is None else r.lead_time_days, _("Yes") if r.at_risk else ""]
                       for r in rows], numeric_from=3)
        classes = ("A", "B", "C")
        chart = Chart("bar", list(classes)).add(
            _("Revenue"), [sum((r.revenue for r in rows if r.abc == c), start=0) for c in classes]).add(
            _("SKUs"), [sum(1 for r in rows if r.abc == c) for c in classes])
    return render_report(endpoint="reports.products", title=_("Products"), f=f, views=views, view=view, chart=chart,
                         table=table, filename=f"products-{view}-{f.date_from}-{f.date_to}")
