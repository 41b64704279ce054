"""Low-stock alerts (库存预警): reorder rules per SKU and warehouse, the list of SKUs below their
reorder point, and a notification when a stock change takes a SKU below it.

A SKU is low in a warehouse when available (on hand - reserved) plus in transit towards it is
below the rule's min_quantity (the reorder point); the suggested reorder quantity tops it up to
max_quantity: max - available - in transit.

erp_core knows nothing of the live boards: whoever wants to hear about a SKU going low appends a
callable to LOW_STOCK_LISTENERS (the WMS registers its Socket.IO emitter there). Listeners are called
after the transaction commits, never on rollback, once per SKU and warehouse and transaction.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import Select, and_, func, select

from ..catalog.models import Sku
from ..db import atomic, on_commit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from .models import Location, Quant, ReorderRule, Warehouse
from .reservations import free_units
from .stock_queries import Page, figures_of, paginate, transit_rows

log = logging.getLogger(__name__)

LOW_STOCK_LISTENERS: list[Callable[[dict], None]] = []

# The (sku, warehouse) pairs already being watched in each open transaction, so a service that calls
# check_low_stock_after twice for one pair still notifies once.
_watched: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class LowStockItem:
    rule_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    sku_name_zh: str
    warehouse_id: int
    warehouse_code: str
    min_quantity: int
    max_quantity: int
    on_hand: int
    reserved: int
    in_transit: int
    free: int = 0  # available to reserve now (the reservation API's definition, as `stock_levels`)

    @property
    def available(self) -> int:
        return self.free

    @property
    def is_low(self) -> bool:
        return self.available + self.in_transit < self.min_quantity

    @property
    def suggested_quantity(self) -> int:
        return max(0, self.max_quantity - self.available - self.in_transit)

    def sku_display(self, locale: str) -> str:
        return self.sku_name_zh if locale.startswith("zh") and self.sku_name_zh else self.sku_name

    def as_event(self) -> dict:
        """The plain-data payload the listeners receive."""
        return {"event": "low_stock", **asdict(self), "available": self.available,
                "suggested_quantity": self.suggested_quantity}


def _rules_with_levels(warehouse_ids: set[int] | None) -> Select:
    levels = (select(Quant.sku_id.label("sku_id"), Location.warehouse_id.label("wh"),
                     func.sum(Quant.quantity).label("on_hand"), func.sum(Quant.reserved_quantity).label("reserved"),
                     func.sum(free_units()).label("free"))
              .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
              .where(Location.usage == "internal")
              .group_by(Quant.sku_id, Location.warehouse_id))
    if warehouse_ids is not None:
        levels = levels.where(Location.warehouse_id.in_(warehouse_ids))
    levels = levels.subquery()
    moving = transit_rows(warehouse_ids, None).subquery()
    transit = (select(moving.c.sku_id, moving.c.wh, func.sum(moving.c.qty).label("qty"))
               .group_by(moving.c.sku_id, moving.c.wh).subquery())
    stmt = (select(ReorderRule.id, Sku.id, Sku.code, Sku.name, Sku.name_zh, Warehouse.id, Warehouse.code,
                   ReorderRule.min_quantity, ReorderRule.max_quantity, func.coalesce(levels.c.on_hand, 0),
                   func.coalesce(levels.c.reserved, 0), func.coalesce(transit.c.qty, 0),
                   func.coalesce(levels.c.free, 0))
            .join(Sku, Sku.id == ReorderRule.sku_id).join(Warehouse, Warehouse.id == ReorderRule.warehouse_id)
            .outerjoin(levels, and_(levels.c.sku_id == ReorderRule.sku_id, levels.c.wh == ReorderRule.warehouse_id))
            .outerjoin(transit, and_(transit.c.sku_id == ReorderRule.sku_id,
                                     transit.c.wh == ReorderRule.warehouse_id)))
    if warehouse_ids is not None:
        stmt = stmt.where(ReorderRule.warehouse_id.in_(warehouse_ids))
    return stmt


def _cover(stmt: Select):
    cols = stmt.selected_columns
    return cols[12] + cols[11]


def _item(row) -> LowStockItem:
    rule_id, sku_id, code, name, name_zh, wh_id, wh_code, lo, hi, on_hand, reserved, transit, free = row
    return LowStockItem(rule_id, sku_id, code, name, name_zh, wh_id, wh_code, lo, hi, int(on_hand),
                        int(reserved), int(transit), int(free))


def low_stock(warehouse_ids: set[int] | None = None, *, limit: int | None = None) -> list[LowStockItem]:
    """Active SKUs whose available + in transit is below their rule's min, most short first."""
    stmt = _rules_with_levels(warehouse_ids)
    cover = _cover(stmt)
    stmt = (stmt.where(cover < ReorderRule.min_quantity, Sku.active.is_(True))
            .order_by((ReorderRule.min_quantity - cover).desc(), Sku.code, Warehouse.code))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_item(row) for row in db.session.execute(stmt)]


def reorder_rules(warehouse_ids: set[int] | None = None, *, query: str = "", page: int = 1,
                  per_page: int = 50) -> Page:
    """Every rule (low or not) with today's figures, by SKU code then warehouse, one page of them."""
    from .stock_queries import sku_search_clause

    stmt = _rules_with_levels(warehouse_ids).order_by(Sku.code, Warehouse.code)
    if query.strip():
        stmt = stmt.where(sku_search_clause(query))
    found = paginate(stmt, page, per_page)
    return Page([_item(row) for row in found.items], found.page, found.per_page, found.total)


def rule_status(sku_id: int, warehouse_id: int) -> LowStockItem | None:
    """The rule of one SKU and warehouse with today's figures; None when it has no rule."""
    stmt = _rules_with_levels({warehouse_id}).where(ReorderRule.sku_id == sku_id)
    row = db.session.execute(stmt).first()
    return _item(row) if row else None


def set_reorder_rule(sku_id: int, warehouse_id: int, min_quantity: int, max_quantity: int) -> ReorderRule:
    """Create or change the rule of a SKU in a warehouse (min = reorder point, max = order up to)."""
    if min_quantity < 0 or max_quantity < min_quantity:
        raise ValidationFailed("the reorder point must be at least 0 and the maximum at least the reorder point",
                               code="bad_reorder_rule")
    with atomic():
        if db.session.get(Sku, sku_id) is None:
            raise NotFound("no such SKU", code="unknown_sku")
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse")
        rule = db.session.scalar(select(ReorderRule).filter_by(sku_id=sku_id, warehouse_id=warehouse_id))
        if rule is None:
            rule = ReorderRule(sku_id=sku_id, warehouse_id=warehouse_id)
            db.session.add(rule)
        rule.min_quantity, rule.max_quantity = min_quantity, max_quantity
        db.session.flush()
    return rule


def delete_reorder_rule(rule_id: int) -> ReorderRule:
    """Remove a rule; the SKU is no longer watched in that warehouse."""
    with atomic():
        rule = db.session.get(ReorderRule, rule_id)
        if rule is None:
            raise NotFound("no such reorder rule", code="unknown_rule")
        db.session.delete(rule)
    return rule


def check_low_stock_after(sku_id: int, warehouse_id: int) -> None:
    """Notify the LOW_STOCK_LISTENERS after commit if this transaction takes the SKU below its
    reorder point in the warehouse.

    Call it inside the transaction that changes the stock, BEFORE changing it: it notes the level
    now, and after commit compares it with the level then. Listeners hear only of a crossing (at or
    above the reorder point before, below after), once per SKU, warehouse and transaction; a rollback
    drops the notification. Without a rule for the pair it does nothing.
    """
    rule = db.session.scalar(select(ReorderRule.min_quantity).filter_by(sku_id=sku_id, warehouse_id=warehouse_id))
    if rule is None:
        return
    transaction = db.session().get_transaction()
    watched = _watched.setdefault(transaction, set()) if transaction is not None else set()
    if (sku_id, warehouse_id) in watched:
        return
    watched.add((sku_id, warehouse_id))
    before = figures_of(sku_id, warehouse_id)
    if before.available + before.in_transit < rule:
        return  # already low: the boards heard of it when it crossed

    def announce() -> None:
        item = rule_status(sku_id, warehouse_id)
        if item is None or not item.is_low:
            return
        payload = item.as_event()
        for listener in list(LOW_STOCK_LISTENERS):
            try:
                listener(payload)
            except Exception:  # one broken listener must not silence the others
                log.exception("low-stock listener %r failed", listener)

    on_commit(announce)
