"""Shared plumbing of the report pages: one template (filters, a chart, a table) and the exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flask import abort, render_template, request
from flask_login import current_user

from ..exports import csv_response, xlsx_response
from .filters import ReportFilter, filter_choices, parse_filter


@dataclass
class Chart:
    kind: str  # "bar" | "line"
    categories: list[str]
    series: list[dict] = field(default_factory=list)
    stacked: bool = False

    def add(self, name: str, values: Sequence) -> Chart:
        self.series.append({"name": str(name), "data": [float(v) if isinstance(v, Decimal) else v for v in values]})
        return self

    def spec(self) -> dict:
        return {"kind": self.kind, "categories": self.categories, "series": self.series, "stacked": self.stacked}


@dataclass
class Table:
    header: list[str]
    rows: list[list]
    numeric_from: int = 1  # columns from this index on are figures (right-aligned)


def current_filter(default_days: int = 30) -> ReportFilter:
    return parse_filter(request.args, current_user.warehouse_ids(), default_days=default_days)


def choice(name: str, allowed: Sequence[str]) -> str:
    value = request.args.get(name, allowed[0])
    return value if value in allowed else allowed[0]


def render_report(*, endpoint: str, title: str, f: ReportFilter, views: list[tuple[str, str]], view: str,
                  chart: Chart | None, table: Table, filename: str, extra_args: dict | None = None, notes=()):
    """The page, or its table as a CSV or XLSX download (?format=csv|xlsx): the same rows either way."""
    fmt = request.args.get("format")
    if fmt == "csv":
        return csv_response(f"{filename}.csv", table.header, table.rows)
    if fmt == "xlsx":
        return xlsx_response(f"{filename}.xlsx", filename, table.header, table.rows)
    if fmt:
        abort(404)
    args = {**f.query_args(), **(extra_args or {}), "view": view}
    return render_template("reports/report.html", endpoint=endpoint, title=title, f=f, views=views, view=view,
                           chart=chart.spec() if chart else None, table=table, args=args, notes=notes,
                           extra_args=extra_args or {}, **filter_choices(current_user.warehouse_ids()))
