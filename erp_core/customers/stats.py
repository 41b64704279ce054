"""What customers bought, as queries: lifetime and in-window totals per customer, their VIP tier (an SQL
CASE built from the same TierRules the pure `tier_for` reads, so a filter and the page agree), RFM
scores and segments, and the customer list with its search and filters.

Counted orders: paid (`paid_at` set) and neither cancelled nor rejected (an order merged into another
is cancelled; its money is in the order it joined). A split-off part adds its money but is not a
second order the buyer placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.sql import Select

from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order
from .domain import PurchaseSummary, RfmScore, RfmSettings, Tier, TierRules, rfm_score, tier_for
from .models import Customer, CustomerTag

NOT_COUNTED = ("cancelled", "rejected")
_CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT)


def stats_subquery(since: datetime, *, channel_id: int | None = None):
    """One row per customer with counted orders: last paid, lifetime and in-window orders and spend."""
    total = Order.goods_total + Order.shipping_fee
    placed = case((Order.split_from_id.is_(None), 1), else_=0)
    in_window = Order.paid_at >= since
    stmt = (select(Order.customer_id.label("customer_id"), func.max(Order.paid_at).label("last_paid_at"),
                   func.sum(placed).label("lifetime_orders"), func.sum(total).label("lifetime_spend"),
                   func.sum(case((in_window, placed), else_=0)).label("window_orders"),
                   func.sum(case((in_window, total), else_=0)).label("window_spend"))
            .where(Order.customer_id.is_not(None), Order.paid_at.is_not(None), Order.status.not_in(NOT_COUNTED))
            .group_by(Order.customer_id))
    if channel_id is not None:
        stmt = stmt.where(Order.customer_id.in_(select(Order.customer_id).where(Order.channel_id == channel_id)))
    return stmt.subquery("customer_stats")


def tier_case(stats, rules: TierRules):
    spend = func.coalesce(stats.c.lifetime_spend, 0)
    orders = func.coalesce(stats.c.lifetime_orders, 0)
    whens = [(or_(spend >= t.min_spend, orders >= t.min_orders), t.code) for t in rules.highest_first()]
    return case(*whens, else_="") if whens else literal("")


def _summary(row) -> PurchaseSummary:
    return PurchaseSummary(row.customer_id, row.last_paid_at, int(row.window_orders or 0), _money(row.window_spend),
                           int(row.lifetime_orders or 0), _money(row.lifetime_spend))


def summaries(settings: RfmSettings, *, today: datetime | None = None, customer_ids: list[int] | None = None,
              channel_id: int | None = None) -> dict[int, PurchaseSummary]:
    since = (today or utcnow()) - timedelta(days=settings.window_days)
    stats = stats_subquery(since, channel_id=channel_id)
    stmt = select(stats)
    if customer_ids is not None:
        stmt = stmt.where(stats.c.customer_id.in_(customer_ids))
    return {row.customer_id: _summary(row) for row in db.session.execute(stmt)}


def rfm_scores(settings: RfmSettings, *, today: datetime | None = None,
               channel_id: int | None = None) -> list[RfmScore]:
    """Every customer with a counted order, scored (best recency, then id, first)."""
    today = today or utcnow()
    scores = [rfm_score(s, today, settings) for s in summaries(settings, today=today, channel_id=channel_id).values()]
    return sorted((s for s in scores if s is not None), key=lambda s: (s.recency_days, s.customer_id))


@dataclass(frozen=True)
class Profile:
    """A customer's figures as the page and the API show them."""

    summary: PurchaseSummary
    tier: Tier | None
    rfm: RfmScore | None


def profile(customer_id: int, rules: TierRules, settings: RfmSettings) -> Profile:
    today = utcnow()
    summary = summaries(settings, today=today, customer_ids=[customer_id]).get(customer_id) or PurchaseSummary(
        customer_id, None, 0, Decimal("0"))
    return Profile(summary, tier_for(summary.lifetime_spend, summary.lifetime_orders, rules),
                   rfm_score(summary, today, settings))


def segment_members(segment: str, settings: RfmSettings, *, channel_id: int | None = None) -> list[int]:
    return [s.customer_id for s in rfm_scores(settings, channel_id=channel_id) if s.segment == segment]


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    tag: str = ""
    tier: str = ""  # a tier code, or "none"
    segment: str = ""
    blacklisted: bool | None = None
    channel_id: int | None = None
    include_merged: bool = False
    updated_since: datetime | None = None


def customer_query(filters: CustomerFilters, rules: TierRules, settings: RfmSettings) -> Select:
    """Customers with their lifetime figures and tier (columns: Customer, lifetime_orders, lifetime_spend,
    tier), filtered; ordered newest first."""
    stats = stats_subquery(utcnow() - timedelta(days=settings.window_days))
    tier = tier_case(stats, rules).label("tier")
    stmt = (select(Customer, func.coalesce(stats.c.lifetime_orders, 0).label("lifetime_orders"),
                   func.coalesce(stats.c.lifetime_spend, 0).label("lifetime_spend"), tier)
            .outerjoin(stats, stats.c.customer_id == Customer.id))
    if not filters.include_merged:
        stmt = stmt.where(Customer.merged_into_id.is_(None))
    if q := filters.q.strip():
        like = f"%{q}%"
        stmt = stmt.where(or_(Customer.name.ilike(like), Customer.phone.ilike(like), Customer.buyer_id.ilike(like)))
    if filters.tag:
        stmt = stmt.where(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == filters.tag))
    if filters.tier:
        stmt = stmt.where(tier == ("" if filters.tier == "none" else filters.tier))
    if filters.blacklisted is not None:
        stmt = stmt.where(Customer.blacklisted.is_(filters.blacklisted))
    if filters.channel_id is not None:
        stmt = stmt.where(or_(Customer.first_channel_id == filters.channel_id, exists().where(
            Order.customer_id == Customer.id, Order.channel_id == filters.channel_id)))
    if filters.segment:
        stmt = stmt.where(Customer.id.in_(segment_members(filters.segment, settings)))
    if filters.updated_since is not None:
        stmt = stmt.where(Customer.updated_at >= filters.updated_since)
    return stmt


def all_tags() -> list[str]:
    return list(db.session.scalars(select(CustomerTag.tag).distinct().order_by(CustomerTag.tag)))
