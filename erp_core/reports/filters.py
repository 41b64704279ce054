"""The filters every report page shares: a local date range, a shop (channel), a warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import select

from ..channels.models import Channel
from ..extensions import db
from ..inventory.models import Warehouse

MAX_DAYS = 366


@dataclass(frozen=True)
class ReportFilter:
    date_from: date  # local days, both inclusive
    date_to: date
    channel_id: int | None
    warehouse_ids: set[int] | None  # None: every warehouse
    warehouse_id: int | None  # the one chosen on the page (within warehouse_ids)
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def utc_range(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the local days."""
        start = datetime.combine(self.date_from, time.min, self.tz)
        return start, datetime.combine(self.date_to + timedelta(days=1), time.min, self.tz)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def query_args(self) -> dict:
        args = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        if self.channel_id:
            args["channel_id"] = self.channel_id
        if self.warehouse_id:
            args["warehouse_id"] = self.warehouse_id
        return args


def display_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"])


def today_local() -> date:
    return datetime.now(display_tz()).date()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_filter(args, allowed_warehouses: set[int] | None, *, default_days: int = 30) -> ReportFilter:
    """The page's filters from the query string; a bad date falls back to the default range, a warehouse
    the user may not see is a 404 (as for any object of another warehouse)."""
    tz = display_tz()
    date_to = _date(args.get("date_to")) or datetime.now(tz).date()
    date_from = _date(args.get("date_from")) or date_to - timedelta(days=default_days - 1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    date_from = max(date_from, date_to - timedelta(days=MAX_DAYS - 1))
    warehouse_id = args.get("warehouse_id", type=int) or None
    if warehouse_id is not None and allowed_warehouses is not None and warehouse_id not in allowed_warehouses:
        abort(404)
    ids = {warehouse_id} if warehouse_id else allowed_warehouses
    return ReportFilter(date_from, date_to, args.get("channel_id", type=int) or None, ids, warehouse_id, tz)


def filter_choices(allowed_warehouses: set[int] | None) -> dict:
    warehouses = list(db.session.scalars(select(Warehouse).order_by(Warehouse.code)))
    if allowed_warehouses is not None:
        warehouses = [w for w in warehouses if w.id in allowed_warehouses]
    return {"channels": list(db.session.scalars(select(Channel).order_by(Channel.name))), "warehouses": warehouses}
