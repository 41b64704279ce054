"""Finance report pages on the finance blueprint: inventory valuation at a date, margins with CSV,
statements with XLSX (the PDF is wms/finance_documents.py: the documents renderer lives there)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..channels.models import Channel
from ..errors import DomainError, ValidationFailed
from ..exports import XLSX_MIMETYPE, csv_response, download, xlsx_sheets_bytes
from ..extensions import db
from ..inventory.reservations import business_today
from ..inventory.stock_queries import warehouses_for
from ..messages import describe
from . import costing, margins, statements
from .routes import bp, parse_day

MAX_DAYS = 800


def _rows_to_csv(filename: str, header: list[str], rows: list[list]) -> Response:
    return csv_response(filename, header, rows)


def _rows_to_xlsx(filename: str, sheets: list[tuple[str, list[str], list[list]]]) -> Response:
    return download(xlsx_sheets_bytes(sheets), filename, XLSX_MIMETYPE)


def period_args() -> tuple[date, date]:
    """?from=&to= (default: this month so far); at most MAX_DAYS long."""
    today = business_today()
    day_from = parse_day(request.args.get("from"), today.replace(day=1))
    day_to = parse_day(request.args.get("to"), today)
    if day_to < day_from or (day_to - day_from).days > MAX_DAYS:
        raise ValidationFailed("the period must end after it starts, within about two years", code="bad_period",
                               period=f"{day_from}..{day_to}")
    return day_from, day_to


@bp.route("/valuation")
@requires("finance.view")
def valuation_page():
    allowed = current_user.warehouse_ids()
    try:
        day = parse_day(request.args.get("date"))
    except DomainError as error:
        flash(describe(error), "error")
        day = business_today()
    wh = request.args.get("warehouse", type=int)
    if wh is not None and allowed is not None and wh not in allowed:
        wh = None
    rows = [r for r in costing.valuation(day, wh) if allowed is None or r["warehouse_id"] in allowed]
    if request.args.get("format") == "csv":
        return _rows_to_csv(f"valuation-{day}.csv", [_("Warehouse"), _("SKU"), _("Quantity"), _("Unit cost"),
                                                      _("Value")],
                            [[r["warehouse"], r["sku"], r["quantity"], str(r["unit_cost"]), str(r["value"])]
                             for r in rows])
    return render_template("finance/valuation.html", rows=rows, day=day, warehouse=wh,
                           warehouses=warehouses_for(allowed), total=sum(r["value"] for r in rows))


MARGIN_HEADER = (_l("Revenue"), _l("Discounts"), _l("Shipping charged"), _l("COGS"), _l("Shipping cost"),
                 _l("Platform fees"), _l("Gross margin"), _l("Margin rate"))


def _margin_cells(m) -> list:
    return [str(m.revenue), str(m.discount), str(m.shipping_charged), str(m.cogs), str(m.shipping_cost),
            str(m.fees), str(m.gross_margin), "" if m.margin_pct is None else str(m.margin_pct)]


@bp.route("/margin")
@requires("finance.view")
def margin_page():
    group = request.args.get("group", "order")
    group = group if group in margins.GROUPS else "order"
    try:
        day_from, day_to = period_args()
    except DomainError as error:
        flash(describe(error), "error")
        day_from, day_to = business_today().replace(day=1), business_today()
    channel = request.args.get("channel", type=int)
    rows = margins.margins(group, day_from, day_to, channel_id=channel)
    if request.args.get("format") == "csv":
        return _rows_to_csv(f"margin-{group}-{day_from}-{day_to}.csv",
                            [_("Key"), _("Units")] + [str(h) for h in MARGIN_HEADER],
                            [[r.key, r.units] + _margin_cells(r) for r in rows])
    channels = db.session.scalars(select(Channel).order_by(Channel.code))
    return render_template("finance/margin.html", rows=rows, total=margins.margin_total(rows), group=group,
                           day_from=day_from, day_to=day_to, channel=channel, channels=list(channels))


@bp.route("/statements")
@requires("finance.view")
def statements_page():
    try:
        day_from, day_to = period_args()
    except DomainError as error:
        flash(describe(error), "error")
        day_from, day_to = business_today().replace(day=1), business_today()
    report = statements.statements(day_from, day_to, str(get_locale()))
    if request.args.get("format") == "xlsx":
        return _rows_to_xlsx(f"statements-{day_from}-{day_to}.xlsx", statement_sheets(report))
    return render_template("finance/statements.html", report=report, day_from=day_from, day_to=day_to,
                           previous=(day_from - timedelta(days=1)))


def statement_sheets(report: dict) -> list[tuple[str, list[str], list[list]]]:
    """The three statements as (sheet title, header, rows) for the XLSX export."""
    pnl, sheet, flow = report["pnl"], report["balance_sheet"], report["cash_flow"]
    header = [_("Account"), _("Name"), _("Amount")]

    def section(title, part):
        return [[title, "", ""]] + [[c, n, float(a)] for c, n, a in part.rows] + [["", _("Total"), float(part.total)]]

    return [
        (_("Profit and loss"), header, section(_("Income"), pnl["income"]) + section(_("Expenses"), pnl["expenses"])
         + [["", _("Net income"), float(pnl["net_income"])]]),
        (_("Balance sheet"), header, section(_("Assets"), sheet["assets"]) + section(_("Liabilities"),
                                                                                       sheet["liabilities"])
         + section(_("Equity"), sheet["equity"]) + [["", _("Current profit"), float(sheet["profit"])]]),
        (_("Cash flow"), header, [["", _("Opening cash"), float(flow["opening"])]]
         + [["", name, float(amount)] for name, amount in flow["flows"]]
         + [["", _("Closing cash"), float(flow["closing"])]]),
    ]
