"""Purchase suggestions per SKU for one warehouse (建议采购), and turning the ticked ones into drafts.

The figures come from the books: units shipped to customers from the warehouse's locations in the
window (stock moves into the CUSTOMER location: what left, not what was ordered), on hand and
reserved (`stock_levels`), in transit (stock transfers shipped towards the warehouse) and on order
(open PO lines not yet received, drafts included so a draft made from a suggestion is not suggested
again). The arithmetic is `domain.suggest`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..catalog.models import Sku
from ..db import atomic
from ..errors import ValidationFailed
from ..extensions import db
from ..inventory.models import Location, StockMove
from ..inventory.reservations import business_today, stock_levels
from ..inventory.stock_queries import in_transit
from ..models_base import utcnow
from . import domain
from .models import OPEN_STATUSES, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierSku
from .services import NewPo, NewPoLine, create_po


@dataclass(frozen=True)
class SuggestionRow:
    sku: Sku
    supplier_sku: SupplierSku | None  # the preferred supplier's listing (None: nobody supplies it)
    given: domain.SuggestionInput
    result: domain.Suggestion


@dataclass(frozen=True)
class SuggestionParams:
    warehouse_id: int
    window_days: int = 30
    safety_days: int = 7
    cover_days: int = 14

    def check(self) -> None:
        for name, value, low in (("window_days", self.window_days, 1), ("safety_days", self.safety_days, 0),
                                 ("cover_days", self.cover_days, 0)):
            if not isinstance(value, int) or not low <= value <= 365:
                raise ValidationFailed(f"{name} is {low} to 365 days", code="bad_suggestion_days", field=name,
                                       value=value)


def shipped_units(warehouse_id: int, window_days: int) -> dict[int, int]:
    """{sku_id: units moved from the warehouse's locations to the CUSTOMER location in the window}."""
    source, target = aliased(Location), aliased(Location)
    since = utcnow() - timedelta(days=window_days)
    stmt = (select(StockMove.sku_id, func.sum(StockMove.quantity))
            .join(source, source.id == StockMove.from_location_id).join(target, target.id == StockMove.to_location_id)
            .where(source.warehouse_id == warehouse_id, target.usage == "customer", StockMove.created_at >= since)
            .group_by(StockMove.sku_id))
    return {s: int(q) for s, q in db.session.execute(stmt)}


def on_order(warehouse_id: int) -> dict[int, int]:
    """{sku_id: units on open POs for the warehouse not yet received}."""
    stmt = (select(PurchaseOrderLine.sku_id,
                   func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity))
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrder.warehouse_id == warehouse_id, PurchaseOrder.status.in_(OPEN_STATUSES),
                   PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity)
            .group_by(PurchaseOrderLine.sku_id))
    return {s: int(q) for s, q in db.session.execute(stmt)}


def preferred_listings(sku_ids: Iterable[int]) -> dict[int, SupplierSku]:
    """{sku_id: the listing to buy from}: the preferred active supplier's, else the cheapest active one."""
    rows = db.session.scalars(
        select(SupplierSku).join(Supplier, Supplier.id == SupplierSku.supplier_id)
        .where(SupplierSku.sku_id.in_(list(sku_ids)), Supplier.active.is_(True))
        .order_by(SupplierSku.sku_id, SupplierSku.preferred.desc(), SupplierSku.price, SupplierSku.id))
    chosen: dict[int, SupplierSku] = {}
    for row in rows:
        chosen.setdefault(row.sku_id, row)
    return chosen


def suggestions(params: SuggestionParams) -> list[SuggestionRow]:
    """A row per active, non-kit SKU that was shipped in the window or has a supplier, by SKU code."""
    params.check()
    shipped = shipped_units(params.warehouse_id, params.window_days)
    listed = set(db.session.scalars(select(SupplierSku.sku_id)))
    skus = list(db.session.scalars(select(Sku).where(Sku.active.is_(True), Sku.is_kit.is_(False),
                                                     or_(Sku.id.in_(list(shipped)), Sku.id.in_(list(listed))))
                                   .order_by(Sku.code)))
    ids = [s.id for s in skus]
    levels = {lv.sku_id: lv for lv in stock_levels(warehouse_ids=[params.warehouse_id], sku_ids=ids)}
    transit = in_transit(warehouse_ids=[params.warehouse_id], sku_ids=ids)
    ordered = on_order(params.warehouse_id)
    listings = preferred_listings(ids)
    rows = []
    for sku in skus:
        listing = listings.get(sku.id)
        level = levels.get(sku.id)
        given = domain.SuggestionInput(
            sku_id=sku.id, shipped=shipped.get(sku.id, 0), window_days=params.window_days,
            lead_time_days=listing.supplier.lead_time_days if listing else 0, safety_days=params.safety_days,
            cover_days=params.cover_days, on_hand=level.on_hand if level else 0,
            reserved=level.reserved if level else 0, in_transit=transit.get((sku.id, params.warehouse_id), 0),
            on_order=ordered.get(sku.id, 0), pack_size=listing.pack_size if listing else 1,
            moq=listing.moq if listing else 1)
        rows.append(SuggestionRow(sku, listing, given, domain.suggest(given)))
    return rows


def draft_pos_from_suggestions(warehouse_id: int, picks: Iterable[tuple[int, int]], *,
                               user_id: int | None = None) -> list[PurchaseOrder]:
    """Draft POs for the ticked suggestions ((sku_id, quantity)), one per supplier (the SKU's preferred
    one), at the supplier's price, expected after its lead time. All or nothing: a SKU nobody supplies
    refuses the whole batch (no_supplier_for_sku)."""
    wanted = [(s, q) for s, q in picks if q > 0]
    if not wanted:
        raise ValidationFailed("tick at least one suggestion with a quantity", code="no_suggestions_ticked")
    with atomic():
        listings = preferred_listings(s for s, _ in wanted)
        by_supplier: dict[int, list[NewPoLine]] = defaultdict(list)
        for sku_id, quantity in wanted:
            listing = listings.get(sku_id)
            if listing is None:
                code = db.session.scalar(select(Sku.code).filter_by(id=sku_id)) or "?"
                raise ValidationFailed(f"nobody supplies {code}: add it to a supplier first",
                                       code="no_supplier_for_sku", sku=code)
            by_supplier[listing.supplier_id].append(NewPoLine(sku_id, quantity, listing.price))
        made = []
        for supplier_id, lines in sorted(by_supplier.items()):
            supplier = db.session.get(Supplier, supplier_id)
            made.append(create_po(NewPo(supplier_id, warehouse_id, lines,
                                        expected_date=business_today() + timedelta(days=supplier.lead_time_days),
                                        notes="from purchase suggestions"), user_id=user_id))
    return made
