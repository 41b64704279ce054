"""Allocation (分配/预占): choose the warehouse and reserve stock for an approved order (the service;
the pure choice of warehouse is `warehouse_choice.py`).

Kits are exploded into component lines first (the kit line stays for the channel and finance; its
components are what is reserved and picked). Reservations go on quants, pick faces before reserve
bins, oldest quant first, through the reservation API (erp_core.inventory.reservations), so they can
never exceed what is on hand, also with many allocations at once. The order's row is locked first
and its status read under the lock: two allocations of one order give one effect and one refusal.
An order that cannot be shipped whole from one warehouse is split or back-ordered by the
`allocation.policy` setting.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from ..catalog.models import KitComponent
from ..db import atomic
from ..errors import Conflict, InsufficientStock
from ..extensions import db
from ..inventory.alerts import check_low_stock_after
from ..inventory.lots import order_shipping_limits
from ..inventory.models import Warehouse
from ..inventory.reservations import available_by_warehouse, lock_quants, reserve_line
from ..settings import get_setting
from .models import Order, OrderLine
from .services import record_event
from .states import lock_order, transition
from .warehouse_choice import SPLIT, AllocationPlan, WarehouseStock, choose_allocation

POLICY_KEY = "allocation.policy"
DEFAULT_POLICY = {"mode": SPLIT, "serves": {}, "priority": {}}
ALLOCATABLE = frozenset({"approved", "backordered"})


@dataclass(frozen=True)
class AllocationOutcome:
    order_id: int
    status: str
    warehouse_id: int | None
    split_order_ids: tuple[int, ...] = ()
    backordered: dict[str, int] | None = None


def allocation_policy() -> dict:
    policy = dict(DEFAULT_POLICY)
    policy.update(get_setting(POLICY_KEY, {}) or {})
    return policy


def explode_kits(order: Order) -> None:
    """Give each kit line its component lines (once); component prices are zero (the kit is billed)."""
    for line in list(order.lines):
        if line.parent_line_id is not None or not line.sku.is_kit:
            continue
        if any(child.parent_line_id == line.id for child in order.lines):
            continue
        components = db.session.scalars(select(KitComponent).filter_by(kit_sku_id=line.sku_id)).all()
        if not components:
            raise Conflict(f"kit {line.sku.code} has no components", code="kit_without_components")
        for component in components:
            order.lines.append(OrderLine(sku_id=component.component_sku_id, quantity=component.quantity * line.quantity,
                                         parent_line_id=line.id))
    db.session.flush()


def pick_lines(order: Order) -> list[OrderLine]:
    """The lines the floor picks: plain lines and kit components, not the kit lines themselves."""
    return [line for line in order.lines if not line.sku.is_kit]


def _warehouse_stocks(sku_ids: set[int], policy: dict, limits: dict | None = None) -> list[WarehouseStock]:
    available = available_by_warehouse(sku_ids, min_expiry=limits)
    stocks = []
    for wh in db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.id)):
        serves = policy["serves"].get(wh.code, {})
        provinces = frozenset(serves.get("provinces", [wh.province] if wh.province else []))
        stocks.append(WarehouseStock(
            warehouse_id=wh.id, available={str(k): v for k, v in available.get(wh.id, {}).items()},
            provinces=provinces, regions=frozenset(serves.get("regions", [])),
            priority=int(policy["priority"].get(wh.code, 100))))
    return stocks


def reserve_line_in_warehouse(line: OrderLine, warehouse_id: int, quantity: int, *,
                              limits: dict | None = None) -> None:
    """Reserve `quantity` units for a line on the warehouse's quants: FEFO among the lots that meet
    the line's shipping limit (`limits`, {sku_id: earliest expiry}), pick faces first, oldest first.

    Through the reservation API (conditional UPDATE per quant). Raises InsufficientStock when the
    warehouse no longer has enough; the caller's transaction then rolls back every reservation.
    """
    check_low_stock_after(line.sku_id, warehouse_id)  # reserving lowers what is available
    if limits is None:
        limits = order_shipping_limits(line.order)
    try:
        reserve_line(line.id, line.sku_id, warehouse_id, quantity, min_expiry=limits.get(line.sku_id))
    except InsufficientStock as error:
        raise InsufficientStock(f"only {error.details.get('available', 0)} of {quantity} {line.sku.code} could be "
                                f"reserved", sku=line.sku.code, requested=quantity,
                                available=error.details.get("available", 0)) from error
    finally:
        db.session.expire(line, ["reservations"])


def _reserve_order(order: Order, warehouse_id: int) -> None:
    """Reserve every pick line of the order in the warehouse, quants locked in id order first."""
    lines = pick_lines(order)
    lock_quants({line.sku_id for line in lines}, warehouse_id)
    limits = order_shipping_limits(order)
    for line in lines:
        reserve_line_in_warehouse(line, warehouse_id, line.quantity, limits=limits)


def allocate_order(order_id: int, *, user_id: int | None = None) -> AllocationOutcome:
    """Choose the warehouse(s) and reserve stock for an approved (or back-ordered) order.

    Whole order from one warehouse -> `released` to the WMS. Otherwise, by the policy: `split`
    ships what can be shipped now from each warehouse as separate orders and back-orders the rest;
    `backorder` keeps the whole order waiting. All reservations of one call are one transaction.
    """
    with atomic():
        order = lock_order(order_id)
        if order.status not in ALLOCATABLE:
            raise Conflict(f"order {order.external_id} is {order.status}, not approved", code="not_allocatable",
                           order=order.external_id, order_status=order.status)
        explode_kits(order)
        lines = pick_lines(order)
        wanted: dict[str, int] = defaultdict(int)
        for line in lines:
            wanted[str(line.sku_id)] += line.quantity
        policy = allocation_policy()
        plan = choose_allocation(dict(wanted), _warehouse_stocks({line.sku_id for line in lines}, policy,
                                                                 order_shipping_limits(order)),
                                 province=order.ship_province, mode=policy["mode"],
                                 preferred=order.channel.warehouse_id if order.channel else None)
        if not plan.parts:
            return _backorder(order, plan, user_id)
        first_wh, first_qty = plan.parts[0]
        split_ids = []
        for warehouse_id, quantities in plan.parts[1:]:
            split_ids.append(_split_off(order, quantities, warehouse_id, "allocated from another warehouse",
                                        user_id).id)
        if plan.backordered:
            child = _split_off(order, plan.backordered, None, "back-ordered: no stock now", user_id,
                               status="backordered")
            split_ids.append(child.id)
        _reserve_order(order, int(first_wh))
        transition(order, "released", code="not_allocatable", warehouse_id=int(first_wh), hold_reason="")
        wh = db.session.get(Warehouse, int(first_wh))
        record_event(order, "allocated", f"{wh.code}: {plan.reason}" + (
            f"; split into #{', #'.join(map(str, split_ids))}" if split_ids else ""), user_id)
        for child_id in split_ids:
            child = db.session.get(Order, child_id)
            if child.status == "approved":
                _allocate_child(child, user_id)
        return AllocationOutcome(order.id, order.status, order.warehouse_id, tuple(split_ids),
                                 dict(plan.backordered) or None)


def _allocate_child(child: Order, user_id: int | None) -> None:
    """A split-off part already knows its warehouse: reserve there and release it."""
    _reserve_order(child, child.warehouse_id)
    transition(child, "released", code="not_allocatable")
    record_event(child, "allocated", f"{child.warehouse.code}: split part", user_id)


def _backorder(order: Order, plan: AllocationPlan, user_id: int | None) -> AllocationOutcome:
    if order.status == "backordered":
        order.hold_reason = "out_of_stock"
    else:
        transition(order, "backordered", code="not_allocatable", hold_reason="out_of_stock")
    record_event(order, "backordered", f"waiting for stock ({plan.reason})", user_id)
    return AllocationOutcome(order.id, order.status, None, (), dict(plan.backordered))


def _split_off(order: Order, quantities: dict[str, int], warehouse_id: int | None, why: str,
               user_id: int | None, *, status: str = "approved") -> Order:
    """Move `quantities` ({sku_id: qty}) of the order's pick lines into a new order (拆单)."""
    child = Order(channel_id=order.channel_id, external_id=_child_external_id(order), status=status,
                  customer_id=order.customer_id, warehouse_id=warehouse_id, split_from_id=order.id,
                  buyer_id=order.buyer_id, currency=order.currency, ordered_at=order.ordered_at,
                  paid_at=order.paid_at, buyer_note=order.buyer_note, seller_note=order.seller_note,
                  **{f: getattr(order, f) for f in ("ship_name", "ship_phone", "ship_country", "ship_province",
                                                     "ship_city", "ship_district", "ship_address", "ship_postcode")})
    db.session.add(child)
    remaining = {int(k): v for k, v in quantities.items()}
    for line in pick_lines(order):
        take = min(line.quantity, remaining.get(line.sku_id, 0))
        if take <= 0:
            continue
        remaining[line.sku_id] -= take
        child.lines.append(OrderLine(sku_id=line.sku_id, quantity=take, unit_price=line.unit_price))
        line.quantity -= take
        if line.quantity == 0:
            order.lines.remove(line)
    db.session.flush()
    record_event(child, "split", f"split from #{order.id}: {why}", user_id)
    record_event(order, "split", f"part moved to #{child.id}: {why}", user_id)
    return child


def _child_external_id(order: Order) -> str:
    base = order.external_id[:56]
    n = db.session.scalar(select(func.count(Order.id)).where(Order.split_from_id == order.id)) or 0
    return f"{base}-S{n + 1}"

