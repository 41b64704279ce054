"""Customer figures: new against returning buyers per period, and how the RFM segments moved over the
range (scored by erp_core.customers' rules on the orders known at the start and at the end)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..customers.domain import SEGMENTS, PurchaseSummary, RfmSettings, rfm_score, segment_counts
from ..customers.services import rfm_settings
from ..extensions import db
from ..orders.models import Order
from .domain import new_or_returning, period_start, periods
from .filters import ReportFilter
from .sales import NOT_COUNTED, counted_orders


@dataclass(frozen=True)
class BuyerRow:
    period: str
    new: int
    returning: int


def _first_paid() -> dict[int, datetime]:
    stmt = (select(Order.customer_id, func.min(Order.paid_at))
            .where(Order.customer_id.is_not(None), Order.paid_at.is_not(None), Order.status.not_in(NOT_COUNTED),
                   Order.merged_into_id.is_(None))
            .group_by(Order.customer_id))
    return dict(db.session.execute(stmt).all())


def new_vs_returning(f: ReportFilter, grain: str) -> list[BuyerRow]:
    """Per period, the customers with a counted order in it: new when their first counted order ever
    was paid in that period, returning when they had bought before it."""
    first = _first_paid()
    seen: dict = defaultdict(set)
    stmt = counted_orders(f).where(Order.customer_id.is_not(None)).with_only_columns(Order.customer_id, Order.paid_at)
    for customer_id, paid_at in db.session.execute(stmt):
        seen[period_start(f.local_day(paid_at), grain)].add(customer_id)
    rows = []
    for p in periods(f.date_from, f.date_to, grain):
        kinds = [new_or_returning(period_start(f.local_day(first[c]), grain), p) for c in seen[p]]
        rows.append(BuyerRow(p.isoformat(), kinds.count("new"), kinds.count("returning")))
    return rows


def _summaries_at(moment: datetime, settings: RfmSettings, channel_id: int | None) -> list[PurchaseSummary]:
    """What each customer had bought before `moment` (the same counting as erp_core.customers.stats)."""
    since = moment - timedelta(days=settings.window_days)
    in_window = Order.paid_at >= since
    placed = db.case((Order.split_from_id.is_(None), 1), else_=0)
    total = Order.goods_total + Order.shipping_fee
    stmt = (select(Order.customer_id, func.max(Order.paid_at), func.sum(db.case((in_window, placed), else_=0)),
                   func.sum(db.case((in_window, total), else_=0)))
            .where(Order.customer_id.is_not(None), Order.paid_at.is_not(None), Order.paid_at < moment,
                   Order.status.not_in(NOT_COUNTED))
            .group_by(Order.customer_id))
    if channel_id:
        stmt = stmt.where(Order.customer_id.in_(select(Order.customer_id).where(Order.channel_id == channel_id)))
    return [PurchaseSummary(c, last, int(n or 0), Decimal(str(spend or 0)))
            for c, last, n, spend in db.session.execute(stmt)]


def segment_counts_at(moment: datetime, channel_id: int | None = None) -> dict[str, int]:
    settings = rfm_settings()
    scores = [rfm_score(s, moment, settings) for s in _summaries_at(moment, settings, channel_id)]
    return segment_counts([s for s in scores if s is not None])


@dataclass(frozen=True)
class SegmentMove:
    segment: str
    at_start: int
    at_end: int

    @property
    def change(self) -> int:
        return self.at_end - self.at_start


def rfm_movement(f: ReportFilter) -> list[SegmentMove]:
    """Segment counts at the start of the range's first day and at the end of its last day."""
    start, end = f.utc_range()
    before, after = segment_counts_at(start, f.channel_id), segment_counts_at(end, f.channel_id)
    return [SegmentMove(s, before.get(s, 0), after.get(s, 0)) for s in SEGMENTS]
