"""Audit and allocation of a chunk of orders at once: the 'audit pending' job's fast path.

`plan_audit(ids)` reads a chunk in a handful of queries, with no lock held: the orders with their
shop, the lines and SKUs, the buyers' customer records, the open orders of the same buyers in the
duplicate window, and the free units of every quant of the chunk's SKUs. It then decides each order
in id order with the same pure rules as `audit_order` (audit.evaluate, warehouse_choice.choose_allocation)
and takes an approved order's units off the quants in memory, in the order `reserve_line` takes them,
so the next order sees what is left, exactly as if the orders had been audited one after another.

`apply_audit(plan)` then writes it in one transaction: the orders locked in id order and checked
unchanged since the plan read them, the reservations (one conditional UPDATE per quant, quant-id
order, through erp_core.inventory.reservations), the status changes as compare-and-sets, the same
history rows, webhook events and audit-log rows as the one-by-one path. When anything moved meanwhile
(an order changed, a quant no longer has the planned units: a scan, a second audit of the same
orders), the chunk's writes are rolled back and its orders are audited one by one by `audit_order`,
which reads everything again under its locks. So the plan is only ever a shortcut, never a second
set of rules.

The plan covers plain orders that one warehouse ships whole. The first order that needs more (a kit,
a lot-tracked SKU, a split or back-order) ends the plan; it is audited by `audit_order` after the
plan's orders, and the next plan starts after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Integer, bindparam, func, or_, select, update

from ..audit.log import acting_user_id, record
from ..catalog.models import Sku
from ..channels.models import Channel
from ..customers.models import Customer
from ..db import atomic
from ..errors import Conflict, DomainError, InsufficientStock, NotFound
from ..extensions import db
from ..inventory.alerts import check_low_stock_after
from ..inventory.models import ReorderRule, Warehouse
from ..inventory.reservations import FreeQuant, QuantTake, reservable_quants, reserve_quants
from ..models_base import utcnow
from ..webhooks.events import emit_many, wants
from .allocation import allocation_policy
from .audit import AuditContext, AuditLine, AuditOrder, RuleSettings, evaluate
from .models import Order, OrderEvent, OrderLine
from .states import OPEN_STATUSES
from .warehouse_choice import WarehouseStock, choose_allocation
from .workflow import AUDITABLE, audit_order, audit_settings

_ORDER_COLUMNS = (Order.id, Order.external_id, Order.status, Order.updated_at, Order.customer_id, Order.buyer_id,
                  Order.paid_at, Order.goods_total, Order.shipping_fee, Order.currency, Order.ship_name,
                  Order.ship_phone, Order.ship_country, Order.ship_province, Order.ship_city, Order.ship_district,
                  Order.ship_address, Order.ship_postcode, Order.buyer_note, Order.seller_note, Order.ordered_at)


@dataclass
class Decision:
    """What the plan decided for one order: its new status, why, and (approved) where and what it reserves."""

    order_id: int
    external_id: str
    channel: str
    read_status: str
    read_updated_at: object
    outcome: str  # approved | held | rejected
    reasons: str = ""  # the reason codes, as hold_reason keeps them
    message: str = ""
    warehouse_id: int | None = None
    allocated: str = ""  # the allocated event's message
    takes: list[QuantTake] = field(default_factory=list)


@dataclass
class AuditPlan:
    """A chunk's decisions; `consumed` ids of the input are covered (decided, refused or `one_by_one`)."""

    decisions: list[Decision] = field(default_factory=list)
    refused: dict[int, DomainError] = field(default_factory=dict)
    read: dict[int, tuple[str, object]] = field(default_factory=dict)  # id -> (status, updated_at) as read
    one_by_one: int | None = None
    consumed: int = 0

    @property
    def order_ids(self) -> list[int]:
        ids = [d.order_id for d in self.decisions] + list(self.refused)
        return sorted(ids + ([self.one_by_one] if self.one_by_one is not None else []))


@dataclass
class ChunkOutcome:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


# --- planning (reads only) ---------------------------------------------------------------------------


def plan_audit(order_ids: Sequence[int]) -> AuditPlan:
    """Decide a chunk of orders (in id order) from a few reads; see the module docstring."""
    ids = sorted(set(order_ids))
    plan = AuditPlan()
    if not ids:
        return plan
    orders = {row.id: row for row in db.session.execute(
        select(*_ORDER_COLUMNS, Channel.code.label("channel_code"), Channel.warehouse_id.label("shop_warehouse"))
        .outerjoin(Channel, Channel.id == Order.channel_id).where(Order.id.in_(ids)))}
    lines: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
            select(OrderLine.id, OrderLine.order_id, OrderLine.sku_id, OrderLine.quantity, OrderLine.parent_line_id,
                   Sku.code, Sku.is_kit, Sku.lot_tracked)
            .join(Sku, Sku.id == OrderLine.sku_id).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id)):
        lines[row.order_id].append(row)
    settings = audit_settings()
    policy = allocation_policy()
    warehouses = list(db.session.execute(select(Warehouse.id, Warehouse.code, Warehouse.province)
                                         .where(Warehouse.active.is_(True)).order_by(Warehouse.id)))
    stock = reservable_quants({line.sku_id for rows in lines.values() for line in rows})
    state = _Stock(stock, warehouses, policy)
    blacklisted = _blacklisted_customers({row.customer_id for row in orders.values() if row.customer_id})
    window = timedelta(hours=settings.duplicate.window_hours)
    neighbours = _Neighbours(list(orders.values()), window)
    status_now = {oid: row.status for oid, row in orders.items()}
    for position, order_id in enumerate(ids):
        plan.consumed = position + 1
        row = orders.get(order_id)
        if row is None:
            plan.refused[order_id] = NotFound("no such order", code="unknown_order", order_id=order_id)
            continue
        plan.read[order_id] = (row.status, row.updated_at)
        if row.status not in AUDITABLE:
            plan.refused[order_id] = Conflict(
                f"order {row.external_id} is {row.status}; only pending or held orders are audited",
                code="not_auditable", order=row.external_id, order_status=row.status)
            continue
        own = lines.get(order_id, [])
        if any(line.is_kit or line.lot_tracked or line.parent_line_id is not None for line in own):
            plan.one_by_one = order_id  # kits and lots: the one-by-one path (it explodes kits, keeps FEFO limits)
            return plan
        view = _view(row, own, state.best_per_code(own))
        rules = _with_blacklist(settings, row) if row.customer_id in blacklisted else settings
        context = _context(row, neighbours, status_now, window)
        verdict = evaluate(view, rules, context)
        decision = Decision(order_id, row.external_id, row.channel_code or "", row.status, row.updated_at,
                            verdict.outcome, ";".join(verdict.codes)[:255],
                            " ".join(reason.message_en for reason in verdict.reasons))
        if verdict.outcome == "approved":
            wanted: dict[str, int] = defaultdict(int)
            for line in own:
                wanted[str(line.sku_id)] += line.quantity
            choice = choose_allocation(dict(wanted), state.warehouse_stocks(wanted), province=row.ship_province,
                                       mode=policy["mode"], preferred=row.shop_warehouse)
            if len(choice.parts) != 1 or choice.backordered:
                plan.one_by_one = order_id  # a split or a back-order: the one-by-one path
                return plan
            warehouse_id = int(choice.parts[0][0])
            decision.warehouse_id = warehouse_id
            decision.allocated = f"{state.codes[warehouse_id]}: {choice.reason}"
            decision.takes = state.take(warehouse_id, own)
        status_now[order_id] = {"approved": "released"}.get(verdict.outcome, verdict.outcome)
        plan.decisions.append(decision)
    return plan


class _Stock:
    """The chunk's free units per quant, taken down in memory as the plan reserves."""

    def __init__(self, quants: dict[tuple[int, int], list[FreeQuant]], warehouses: list, policy: dict) -> None:
        self.quants = quants
        self.codes = {wh.id: wh.code for wh in warehouses}
        self._areas = []
        for wh in warehouses:
            serves = policy["serves"].get(wh.code, {})
            self._areas.append((wh.id, frozenset(serves.get("provinces", [wh.province] if wh.province else [])),
                                frozenset(serves.get("regions", [])), int(policy["priority"].get(wh.code, 100))))

    def available(self, warehouse_id: int, sku_id: int) -> int:
        return sum(quant.free for quant in self.quants.get((warehouse_id, sku_id), ()))

    def best_per_code(self, lines: list) -> dict[str, int]:
        """Audit's question: the most any one warehouse has of each SKU (by code)."""
        return {line.code: max((self.available(wh, line.sku_id) for wh in self.codes), default=0) for line in lines}

    def warehouse_stocks(self, wanted: dict[str, int]) -> list[WarehouseStock]:
        stocks = []
        for warehouse_id, provinces, regions, priority in self._areas:
            available = {sku: free for sku in wanted if (free := self.available(warehouse_id, int(sku))) > 0}
            stocks.append(WarehouseStock(warehouse_id=warehouse_id, available=available, provinces=provinces,
                                         regions=regions, priority=priority))
        return stocks

    def take(self, warehouse_id: int, lines: list) -> list[QuantTake]:
        """Each line's units off the warehouse's quants, line by line, quant by quant (as reserve_line)."""
        takes = []
        for line in lines:
            remaining = line.quantity
            for quant in self.quants.get((warehouse_id, line.sku_id), ()):
                if remaining == 0:
                    break
                units = min(remaining, quant.free)
                if units:
                    quant.free -= units
                    remaining -= units
                    takes.append(QuantTake(line.id, line.sku_id, quant.quant_id, quant.location_id, quant.lot_id,
                                           units))
        return takes


def _view(row, lines: list, stock: dict[str, int] | bool = True) -> AuditOrder:
    return AuditOrder(
        order_id=str(row.id), channel=getattr(row, "channel_code", "") or "", paid=row.paid_at is not None,
        cancelled=row.status == "cancelled",
        total=(row.goods_total or Decimal("0")) + (row.shipping_fee or Decimal("0")), currency=row.currency,
        buyer_id=row.buyer_id, name=row.ship_name, phone=row.ship_phone,
        country=row.ship_country, province=row.ship_province, city=row.ship_city, district=row.ship_district,
        address=row.ship_address, postcode=row.ship_postcode, buyer_note=row.buyer_note, seller_note=row.seller_note,
        lines=tuple(AuditLine(line.code, line.quantity) for line in lines), created_at=row.ordered_at,
        stock_available=stock)


def _blacklisted_customers(customer_ids: set[int]) -> set[int]:
    """The customers that count as blacklisted: flagged, or merged into a flagged survivor."""
    if not customer_ids:
        return set()
    from ..customers.lookup import survivor_of

    found = set()
    for customer in db.session.scalars(select(Customer).where(Customer.id.in_(sorted(customer_ids)))):
        if customer.blacklisted or (customer.merged_into_id is not None and survivor_of(customer).blacklisted):
            found.add(customer.id)
    return found


def _with_blacklist(settings: RuleSettings, row) -> RuleSettings:
    rule = settings.blacklist
    return replace(settings, blacklist=replace(rule, buyer_ids=rule.buyer_ids | {row.buyer_id or "-"},
                                               phones=rule.phones | {row.ship_phone or "-"}))


class _Neighbours:
    """Open, unmerged orders sharing a phone or a buyer id with the chunk's orders, in its time span,
    read in one query and found by phone and by buyer id."""

    def __init__(self, rows: list, window: timedelta) -> None:
        self.by_phone: dict[str, list] = defaultdict(list)
        self.by_buyer: dict[str, list] = defaultdict(list)
        phones = sorted({row.ship_phone for row in rows if row.ship_phone})
        buyers = sorted({row.buyer_id for row in rows if row.buyer_id})
        if not rows or not (phones or buyers):
            return
        same = [Order.ship_phone.in_(phones)] if phones else []
        if buyers:
            same.append(Order.buyer_id.in_(buyers))
        since = min(row.ordered_at for row in rows) - window
        until = max(row.ordered_at for row in rows) + window
        for other in db.session.execute(select(*_ORDER_COLUMNS).where(
                Order.status.in_(OPEN_STATUSES), or_(*same), Order.ordered_at.between(since, until),
                Order.merged_into_id.is_(None))):
            if other.ship_phone:
                self.by_phone[other.ship_phone].append(other)
            if other.buyer_id:
                self.by_buyer[other.buyer_id].append(other)

    def of(self, row) -> list:
        found = {other.id: other for other in self.by_phone.get(row.ship_phone, ()) if row.ship_phone}
        if row.buyer_id:
            found.update((other.id, other) for other in self.by_buyer.get(row.buyer_id, ()))
        return list(found.values())


def _context(row, neighbours: _Neighbours, status_now: dict[int, str], window: timedelta) -> AuditContext:
    """`workflow._context` over the rows read once: the same buyer (phone or buyer id), open now, in the window."""
    if not row.ship_phone and not row.buyer_id:
        return AuditContext()
    since, until = row.ordered_at - window, row.ordered_at + window
    others = [other for other in neighbours.of(row)
              if other.id != row.id and status_now.get(other.id, other.status) in OPEN_STATUSES
              and since <= other.ordered_at <= until]
    return AuditContext(open_orders=[_view(other, []) for other in others])


# --- writing -----------------------------------------------------------------------------------------


def apply_audit(plan: AuditPlan, *, user_id: int | None = None) -> ChunkOutcome:
    """Write the plan in one transaction (see the module docstring); returns what was done and refused.

    Locks: the plan's orders in id order (SELECT ... FOR UPDATE), then the quants it reserves, by
    conditional UPDATE in quant-id order. When the plan is stale, its orders are audited one by one.
    """
    outcome = ChunkOutcome()
    with atomic():
        # Outside the savepoint: when the plan turns out stale, the one-by-one audits below still
        # announce the crossings against the levels before this chunk.
        _watch_low_stock(plan)
        try:
            with atomic():
                _write(plan, user_id)
        except (Conflict, InsufficientStock):
            # something changed since the plan read it: each order again, read under its own locks
            for order_id in plan.order_ids:
                _audit_one(order_id, user_id, outcome)
            return outcome
        outcome.done.extend(d.order_id for d in plan.decisions)
        outcome.refused.update({order_id: error.message for order_id, error in plan.refused.items()})
        if plan.one_by_one is not None:
            _audit_one(plan.one_by_one, user_id, outcome)
    outcome.done.sort()
    return outcome


def _audit_one(order_id: int, user_id: int | None, outcome: ChunkOutcome) -> None:
    try:
        with atomic():
            audit_order(order_id, user_id=user_id)
    except DomainError as error:
        outcome.refused[order_id] = error.message
    else:
        outcome.done.append(order_id)


def _write(plan: AuditPlan, user_id: int | None) -> None:
    checked = sorted(plan.read)
    if not checked:
        return
    now_read = {row.id: (row.status, row.updated_at) for row in db.session.execute(
        select(Order.id, Order.status, Order.updated_at).where(Order.id.in_(checked)).order_by(Order.id)
        .with_for_update())}
    if any(now_read.get(order_id) != plan.read[order_id] for order_id in checked):
        raise Conflict("orders of the chunk changed meanwhile", code="changed_meanwhile")
    if not plan.decisions:
        return
    reserve_quants([take for decision in plan.decisions for take in decision.takes])
    now = utcnow()
    orders = Order.__table__
    moves = [(d, d.read_status, {"approved": "released"}.get(d.outcome, d.outcome)) for d in plan.decisions]
    changes = [{"oid": d.order_id, "read": read, "to": to, "hold": "" if d.outcome == "approved" else d.reasons,
                "warehouse": d.warehouse_id if d.outcome == "approved" else None, "now": now}
               for d, read, to in moves]
    moved = db.session.execute(
        update(orders).where(orders.c.id == bindparam("oid"), orders.c.status == bindparam("read"))
        .values(status=bindparam("to"), hold_reason=bindparam("hold"), updated_at=bindparam("now"),
                # held and rejected orders keep their warehouse (NULL: the column as it is)
                warehouse_id=func.coalesce(bindparam("warehouse", type_=Integer), orders.c.warehouse_id)), changes)
    if moved.rowcount != len(changes):
        raise Conflict("orders of the chunk changed meanwhile", code="changed_meanwhile")
    events, transitions = [], []
    for d, read, _to in moves:
        if d.outcome == "approved":
            events += [(d.order_id, "approved", "audit rules passed"), (d.order_id, "allocated", d.allocated)]
            transitions += [(d, read, "approved"), (d, "approved", "released")]
        else:
            events.append((d.order_id, d.outcome, d.message))
            if not (d.outcome == "held" and read == "held"):
                transitions.append((d, read, d.outcome))
    db.session.execute(OrderEvent.__table__.insert(), [
        {"order_id": oid, "kind": kind, "message": message[:500], "user_id": user_id, "created_at": now}
        for oid, kind, message in events])
    _announce(transitions, now)
    _forget_loaded({d.order_id for d in plan.decisions})


def _watch_low_stock(plan: AuditPlan) -> None:
    """check_low_stock_after for each (SKU, warehouse) the plan reserves that has a reorder rule, before
    the stock changes (one query finds the pairs with a rule)."""
    pairs = {(take.sku_id, d.warehouse_id) for d in plan.decisions for take in d.takes}
    if not pairs:
        return
    ruled = {(sku, wh) for sku, wh in db.session.execute(select(ReorderRule.sku_id, ReorderRule.warehouse_id).where(
        ReorderRule.sku_id.in_(sorted({sku for sku, _ in pairs}))))}
    for sku_id, warehouse_id in sorted(pairs & ruled):
        check_low_stock_after(sku_id, warehouse_id)


def _announce(transitions: list[tuple[Decision, str, str]], now) -> None:
    """What `states.transition` tells for each edge: the webhook event and, for a person, the audit log."""
    if wants("order.status_changed"):
        emit_many("order.status_changed", [
            ({"order_id": d.order_id, "order_number": d.external_id, "channel": d.channel, "from": previous,
              "to": to, "changed_at": now.isoformat()}, f"order:{d.order_id}:{previous}:{to}")
            for d, previous, to in transitions])
    if acting_user_id() is not None:
        for d, previous, to in transitions:
            record("order.status", "order", d.order_id, before={"status": previous}, after={"status": to},
                   summary=f"order {d.external_id}: {previous} → {to}")


def _forget_loaded(order_ids: set[int]) -> None:
    """Orders the session already holds are read afresh next time (the writes went around the ORM)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Order) and obj.id in order_ids:
            db.session.expire(obj)
        elif isinstance(obj, OrderLine) and obj.order_id in order_ids:
            db.session.expire(obj, ["reservations"])
