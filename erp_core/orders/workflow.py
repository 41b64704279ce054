"""Order audit (审核) and the office's actions: approve, hold, reject, cancel, split (拆单), merge (合单).

Audit runs the configured rules (erp_core/orders/audit.py) over the order; approved orders are
allocated at once. Every action is one transaction per order, leaves an OrderEvent, and the bulk
versions report per order what happened instead of stopping at the first refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from ..catalog.models import KitComponent, Sku
from ..customers.models import Customer
from ..db import atomic
from ..errors import Conflict, DomainError, ValidationFailed
from ..extensions import db
from ..inventory.lots import shipping_limits
from ..settings import get_setting, put_setting
from .allocation import allocate_order, available_by_warehouse, explode_kits, pick_lines
from .audit import AuditContext, AuditLine, AuditOrder, RuleSettings, evaluate
from .models import Order, OrderLine
from .services import cancel_order, record_event, release_reservations
from .states import EDITABLE_STATUSES, OPEN_STATUSES, lock_order, lock_orders, transition

RULES_KEY = "audit.rules"
AUDITABLE = frozenset({"pending", "held"})


def audit_settings() -> RuleSettings:
    return RuleSettings.from_dict(get_setting(RULES_KEY, {}) or {})


def save_audit_settings(settings: RuleSettings, *, user_id: int | None = None) -> None:
    put_setting(RULES_KEY, settings.to_dict(), user_id=user_id)


def _audit_view(order: Order, stock: dict[str, int] | bool = True) -> AuditOrder:
    lines = []
    for line in order.lines:
        if line.parent_line_id is not None:
            continue
        if line.sku.is_kit:
            for comp in db.session.scalars(select(KitComponent).filter_by(kit_sku_id=line.sku_id)):
                lines.append(AuditLine(comp.component.code, comp.quantity * line.quantity))
        else:
            lines.append(AuditLine(line.sku.code, line.quantity))
    return AuditOrder(
        order_id=str(order.id), channel=order.channel.code if order.channel else "", paid=order.paid_at is not None,
        cancelled=order.status == "cancelled", total=order.total, currency=order.currency,
        buyer_id=order.buyer_id, name=order.ship_name, phone=order.ship_phone, country=order.ship_country,
        province=order.ship_province, city=order.ship_city, district=order.ship_district,
        address=order.ship_address, postcode=order.ship_postcode, buyer_note=order.buyer_note,
        seller_note=order.seller_note, lines=tuple(lines), created_at=order.ordered_at, stock_available=stock)


def _stock_for(view: AuditOrder) -> dict[str, int]:
    codes = {line.sku for line in view.lines}
    skus = dict(db.session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(codes))).all())
    best: dict[str, int] = {}
    # Audit asks "can some warehouse ship it?": the largest availability of any one warehouse.
    for per_sku in available_by_warehouse(set(skus.values()),
                                          min_expiry=shipping_limits(skus.values())).values():
        for code, sku_id in skus.items():
            best[code] = max(best.get(code, 0), per_sku.get(sku_id, 0))
    return best


def _context(order: Order, window_hours: int) -> AuditContext:
    since = order.ordered_at - timedelta(hours=window_hours)
    until = order.ordered_at + timedelta(hours=window_hours)
    same_buyer = [Order.ship_phone == order.ship_phone] if order.ship_phone else []
    if order.buyer_id:
        same_buyer.append(Order.buyer_id == order.buyer_id)
    if not same_buyer:
        return AuditContext()
    others = db.session.scalars(select(Order).where(
        Order.id != order.id, Order.status.in_(OPEN_STATUSES), or_(*same_buyer),
        Order.ordered_at.between(since, until), Order.merged_into_id.is_(None)))
    return AuditContext(open_orders=[_audit_view(o) for o in others])


def _with_customer_blacklist(settings: RuleSettings, order: Order) -> RuleSettings:
    """A customer flagged as blacklisted counts as listed, whatever the rule's own lists say; so does one
    merged into (or out of) a blacklisted record: the order's record or the survivor it is merged into."""
    from ..customers.lookup import survivor_of

    customer = db.session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is None or not (customer.blacklisted or survivor_of(customer).blacklisted):
        return settings
    from dataclasses import replace

    rule = settings.blacklist
    return replace(settings, blacklist=replace(rule, buyer_ids=rule.buyer_ids | {order.buyer_id or "-"},
                                               phones=rule.phones | {order.ship_phone or "-"}))


def audit_order(order_id: int, *, user_id: int | None = None) -> Order:
    """Run the audit rules on a pending (or held) order: approve and allocate, hold, or reject."""
    with atomic():
        order = lock_order(order_id)
        if order.status not in AUDITABLE:
            raise Conflict(f"order {order.external_id} is {order.status}; only pending or held orders are audited",
                           code="not_auditable", order=order.external_id, order_status=order.status)
        settings = _with_customer_blacklist(audit_settings(), order)
        view = _audit_view(order)
        view = _audit_view(order, _stock_for(view))
        decision = evaluate(view, settings, _context(order, settings.duplicate.window_hours))
        reasons = ";".join(decision.codes)[:255]
        if decision.outcome == "approved":
            transition(order, "approved", code="not_auditable", hold_reason="")
            record_event(order, "approved", "audit rules passed", user_id)
            allocate_order(order.id, user_id=user_id)
        elif decision.outcome == "held":
            if order.status == "held":
                order.hold_reason = reasons
            else:
                transition(order, "held", code="not_auditable", hold_reason=reasons)
            record_event(order, "held", " ".join(r.message_en for r in decision.reasons), user_id)
        else:
            transition(order, "rejected", code="not_auditable", hold_reason=reasons)
            record_event(order, "rejected", " ".join(r.message_en for r in decision.reasons), user_id)
    return order


def approve_order(order_id: int, *, user_id: int | None = None, note: str = "") -> Order:
    """A person approves a pending, held or back-ordered order; it is allocated at once."""
    with atomic():
        order = lock_order(order_id)
        if order.status not in {"pending", "held", "backordered"}:
            raise Conflict(f"order {order.external_id} is {order.status} and cannot be approved", code="not_approvable",
                           order=order.external_id, order_status=order.status)
        if order.status != "backordered":
            transition(order, "approved", code="not_approvable")
            record_event(order, "approved", note or "approved by hand", user_id)
        order.hold_reason = ""
        allocate_order(order.id, user_id=user_id)
    return order


def hold_order(order_id: int, reason: str, *, user_id: int | None = None) -> Order:
    """Put an order on hold with a reason people can read; reservations are kept until released."""
    if not reason.strip():
        raise ValidationFailed("a hold needs a reason", code="reason_required")
    with atomic():
        order = lock_order(order_id)
        if order.status not in {"pending", "approved", "backordered", "released", "held"}:
            raise Conflict(f"order {order.external_id} is {order.status} and cannot be held", code="not_holdable",
                           order=order.external_id, order_status=order.status)
        if order.status == "released":
            release_reservations(order)
        if order.status == "held":
            order.hold_reason = reason.strip()[:255]
        else:
            transition(order, "held", code="not_holdable", hold_reason=reason.strip()[:255])
        record_event(order, "held", reason, user_id)
    return order


def reject_order(order_id: int, reason: str, *, user_id: int | None = None) -> Order:
    if not reason.strip():
        raise ValidationFailed("a rejection needs a reason", code="reason_required")
    with atomic():
        order = lock_order(order_id)
        if order.status not in {"pending", "held"}:
            raise Conflict(f"order {order.external_id} is {order.status} and cannot be rejected",
                           code="not_rejectable", order=order.external_id, order_status=order.status)
        transition(order, "rejected", code="not_rejectable", hold_reason=reason.strip()[:255])
        record_event(order, "rejected", reason, user_id)
    return order


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def bulk(action: Callable[..., object], order_ids: Iterable[int], **kwargs) -> BulkResult:
    """Apply one action to many orders, each in its own transaction; refusals are collected."""
    result = BulkResult()
    for order_id in order_ids:
        try:
            action(order_id, **kwargs)
        except DomainError as error:
            result.refused[order_id] = error.message
        else:
            result.done.append(order_id)
    return result


ACTIONS: dict[str, Callable[..., object]] = {
    "audit": audit_order, "approve": approve_order, "hold": hold_order, "reject": reject_order,
    "cancel": cancel_order,
}


def split_order(order_id: int, quantities: dict[int, int], *, user_id: int | None = None) -> Order:
    """Move some quantities ({line_id: qty}) of an order into a new order (拆单); both keep the trail.

    Only orders the floor has not started; a released order gives back its reservations and both
    parts go back to approval.
    """
    moving = {int(k): int(v) for k, v in quantities.items() if int(v) > 0}
    if not moving:
        raise ValidationFailed("choose at least one quantity to split off", code="nothing_to_split")
    with atomic():
        order = lock_order(order_id)
        if order.status not in EDITABLE_STATUSES:
            raise Conflict(f"order {order.external_id} is {order.status} and cannot be split", code="not_splittable",
                           order=order.external_id, order_status=order.status)
        lines = {line.id: line for line in order.lines if line.parent_line_id is None}
        for line_id, qty in moving.items():
            if line_id not in lines or qty > lines[line_id].quantity:
                raise ValidationFailed("a split quantity is more than the line has", code="bad_split")
        total_left = sum(line.quantity for line in lines.values()) - sum(moving.values())
        if total_left <= 0:
            raise ValidationFailed("a split must leave something in the original order", code="bad_split")
        if order.status == "released":
            release_reservations(order)
            transition(order, "approved", code="not_splittable", warehouse_id=None)
        child = Order(channel_id=order.channel_id, external_id=f"{order.external_id[:56]}-S{_next_split(order)}",
                      status=order.status, split_from_id=order.id, customer_id=order.customer_id,
                      buyer_id=order.buyer_id, currency=order.currency, ordered_at=order.ordered_at,
                      paid_at=order.paid_at, hold_reason=order.hold_reason,
                      **{f: getattr(order, f) for f in ("ship_name", "ship_phone", "ship_country", "ship_province",
                                                         "ship_city", "ship_district", "ship_address",
                                                         "ship_postcode")})
        db.session.add(child)
        for line_id, qty in moving.items():
            line = lines[line_id]
            child.lines.append(OrderLine(sku_id=line.sku_id, quantity=qty, unit_price=line.unit_price))
            _shrink(order, line, qty)
        _recompute_total(order)
        _recompute_total(child)
        db.session.flush()
        record_event(child, "split", f"split from #{order.id} by hand", user_id)
        record_event(order, "split", f"lines moved to #{child.id} by hand", user_id)
    return child


def _shrink(order: Order, line: OrderLine, qty: int) -> None:
    for child in [c for c in order.lines if c.parent_line_id == line.id]:
        order.lines.remove(child)  # kit components are exploded again at allocation
    line.quantity -= qty
    if line.quantity == 0:
        order.lines.remove(line)


def _next_split(order: Order) -> int:
    return db.session.scalar(select(db.func.count(Order.id)).where(Order.split_from_id == order.id)) + 1


def _recompute_total(order: Order) -> None:
    order.goods_total = sum((line.unit_price * line.quantity for line in order.lines
                             if line.parent_line_id is None), start=Decimal("0"))


def merge_orders(order_ids: list[int], *, user_id: int | None = None) -> Order:
    """Merge open orders of the same buyer to the same address into the oldest one (合单).

    Refused unless every order is pending, held or approved (not yet released to the floor), and all
    share the shipping name, phone and address. The merged orders are closed with a link to the
    order that now carries their lines.
    """
    ids = sorted(set(order_ids))
    if len(ids) < 2:
        raise ValidationFailed("choose at least two orders to merge", code="nothing_to_merge")
    with atomic():
        orders = lock_orders(ids)
        key = lambda o: (o.ship_name, o.ship_phone, o.ship_province, o.ship_city, o.ship_address)  # noqa: E731
        if len({key(o) for o in orders}) != 1:
            raise Conflict("only orders of the same buyer to the same address can be merged", code="not_mergeable")
        if any(o.status not in {"pending", "held", "approved"} for o in orders):
            raise Conflict("only orders not yet released to the warehouse can be merged", code="not_mergeable")
        target, others = orders[0], orders[1:]
        for other in others:
            for line in [ln for ln in other.lines if ln.parent_line_id is None]:
                target.lines.append(OrderLine(sku_id=line.sku_id, quantity=line.quantity, unit_price=line.unit_price))
            target.shipping_fee += other.shipping_fee
            notes = [n for n in (target.buyer_note, other.buyer_note) if n]
            target.buyer_note = " / ".join(dict.fromkeys(notes))
            transition(other, "cancelled", code="not_mergeable", merged_into_id=target.id, hold_reason="")
            record_event(other, "merged", f"merged into #{target.id}", user_id)
        _recompute_total(target)
        if target.status != "pending":
            transition(target, "pending", code="not_mergeable")
        record_event(target, "merged", "merged with " + ", ".join(f"#{o.id}" for o in others), user_id)
    return target


def audit_pending(*, user_id: int | None = None, limit: int = 500) -> BulkResult:
    """Audit the oldest pending orders (the 'run audit' button and the scheduler)."""
    ids = list(db.session.scalars(select(Order.id).where(Order.status == "pending").order_by(Order.id).limit(limit)))
    return bulk(audit_order, ids, user_id=user_id)


__all__ = [
    "ACTIONS", "BulkResult", "approve_order", "audit_order", "audit_pending", "audit_settings", "bulk",
    "explode_kits", "hold_order", "merge_orders", "pick_lines", "reject_order", "save_audit_settings", "split_order",
]
