"""Read-side stock queries for the stock screens: levels per SKU and warehouse, quants per bin, the
ledger of one SKU, and what is in transit between warehouses. Nothing here changes stock.

In transit: units of shipped transfers not yet received, counted at the DESTINATION warehouse (the
source's stock already went down when the transfer shipped).
Incoming (expected receipts): for now the same as in transit; ASNs and purchase orders will add to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..catalog.models import Sku, SkuBarcode
from ..extensions import db
from .models import Location, Lot, Quant, StockMove, StockTransfer, StockTransferLine, Warehouse
from .reservations import free_units, stock_levels
from .services import ADJUSTMENT_REASONS, lot_is


@dataclass(frozen=True)
class Page:
    items: Sequence
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: Select, page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, page, per_page, total)


def warehouses_for(allowed: set[int] | None) -> list[Warehouse]:
    """Active warehouses the user may see (allowed None = all), by code."""
    stmt = select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)
    if allowed is not None:
        stmt = stmt.where(Warehouse.id.in_(allowed))
    return list(db.session.scalars(stmt))


def transit_rows(warehouse_ids: Iterable[int] | None, sku_ids: Iterable[int] | None) -> Select:
    remaining = StockTransferLine.quantity - StockTransferLine.received_quantity
    stmt = (select(StockTransferLine.sku_id.label("sku_id"), StockTransfer.to_warehouse_id.label("wh"),
                   remaining.label("qty"))
            .join(StockTransfer, StockTransfer.id == StockTransferLine.transfer_id)
            .where(StockTransfer.status == "shipped", remaining > 0))
    if warehouse_ids is not None:
        stmt = stmt.where(StockTransfer.to_warehouse_id.in_(list(warehouse_ids)))
    if sku_ids is not None:
        stmt = stmt.where(StockTransferLine.sku_id.in_(list(sku_ids)))
    return stmt


def in_transit(*, warehouse_ids: Iterable[int] | None = None,
               sku_ids: Iterable[int] | None = None) -> dict[tuple[int, int], int]:
    """{(sku_id, destination warehouse_id): units shipped towards it and not yet received}."""
    rows = transit_rows(warehouse_ids, sku_ids).subquery()
    stmt = select(rows.c.sku_id, rows.c.wh, func.sum(rows.c.qty)).group_by(rows.c.sku_id, rows.c.wh)
    return {(s, w): int(q) for s, w, q in db.session.execute(stmt)}


def incoming(*, warehouse_ids: Iterable[int] | None = None,
             sku_ids: Iterable[int] | None = None) -> dict[tuple[int, int], int]:
    """Expected receipts per (sku_id, warehouse_id): transfers in transit; ASNs and purchase orders
    will add to it."""
    return in_transit(warehouse_ids=warehouse_ids, sku_ids=sku_ids)


@dataclass(frozen=True)
class StockFigures:
    """On hand and reserved (every internal location), available to reserve now (the reservation
    API's definition: active, sellable bins of an active warehouse) and in transit."""

    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    available: int = 0

    @property
    def incoming(self) -> int:
        return self.in_transit  # see the module docstring


def figures_of(sku_id: int, warehouse_id: int) -> StockFigures:
    """On hand, reserved, available and in transit of one SKU in one warehouse (`stock_levels`)."""
    level = next(iter(stock_levels(warehouse_ids=[warehouse_id], sku_ids=[sku_id])), None)
    transit = in_transit(warehouse_ids=[warehouse_id], sku_ids=[sku_id]).get((sku_id, warehouse_id), 0)
    if level is None:
        return StockFigures(in_transit=transit)
    return StockFigures(level.on_hand, level.reserved, transit, level.available)


@dataclass(frozen=True)
class StockRow:
    sku_id: int
    sku_code: str
    sku_name: str
    sku_name_zh: str
    warehouse_id: int
    warehouse_code: str
    figures: StockFigures

    def sku_display(self, locale: str) -> str:
        return self.sku_name_zh if locale.startswith("zh") and self.sku_name_zh else self.sku_name


def sku_search_clause(query: str) -> ColumnElement[bool]:
    """Code, English or Chinese name containing the text, or a barcode equal to it."""
    text = query.strip().lower()
    return or_(func.lower(Sku.code).contains(text, autoescape=True),
               func.lower(Sku.name).contains(text, autoescape=True),
               Sku.name_zh.contains(query.strip(), autoescape=True),
               Sku.id.in_(select(SkuBarcode.sku_id).where(SkuBarcode.code == query.strip())))


def stock_overview(*, warehouse_ids: set[int] | None, query: str = "", only_available: bool = False,
                   page: int = 1, per_page: int = 50) -> Page:
    """Rows of StockRow per SKU and warehouse, by SKU code then warehouse code, one page of them.

    A row shows when something is on hand there or on its way there. `warehouse_ids` None = all.
    """
    quants = (select(Quant.sku_id.label("sku_id"), Location.warehouse_id.label("wh"),
                     Quant.quantity.label("on_hand"), Quant.reserved_quantity.label("reserved"),
                     literal(0).label("transit"), free_units().label("free"))
              .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
              .where(Location.usage == "internal"))
    if warehouse_ids is not None:
        quants = quants.where(Location.warehouse_id.in_(warehouse_ids))
    transit = transit_rows(warehouse_ids, None).subquery()
    moving = select(transit.c.sku_id, transit.c.wh, literal(0), literal(0), transit.c.qty, literal(0))
    flows = union_all(quants, moving).subquery()
    on_hand, reserved, in_way = func.sum(flows.c.on_hand), func.sum(flows.c.reserved), func.sum(flows.c.transit)
    free = func.sum(flows.c.free)
    levels = (select(flows.c.sku_id, flows.c.wh, on_hand.label("on_hand"), reserved.label("reserved"),
                     in_way.label("transit"), free.label("free"))
              .group_by(flows.c.sku_id, flows.c.wh)
              .having(or_(on_hand > 0, in_way > 0) if not only_available else free > 0)
              .subquery())
    stmt = (select(Sku.id, Sku.code, Sku.name, Sku.name_zh, Warehouse.id, Warehouse.code, levels.c.on_hand,
                   levels.c.reserved, levels.c.transit, levels.c.free)
            .join(Sku, Sku.id == levels.c.sku_id).join(Warehouse, Warehouse.id == levels.c.wh)
            .order_by(Sku.code, Warehouse.code))
    if query.strip():
        stmt = stmt.where(sku_search_clause(query))
    found = paginate(stmt, page, per_page)
    rows = [StockRow(sid, code, name, name_zh, wid, wcode,
                     StockFigures(int(q or 0), int(r or 0), int(t or 0), int(f or 0)))
            for sid, code, name, name_zh, wid, wcode, q, r, t, f in found.items]
    return Page(rows, found.page, found.per_page, found.total)


@dataclass(frozen=True)
class BinStock:
    warehouse_code: str
    location_code: str
    bin_type: str | None
    quantity: int
    reserved: int
    lot_id: int | None = None
    lot_number: str | None = None
    expiry_date: date | None = None
    on_hold: bool = False

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


def _bin_stock_stmt() -> Select:
    return (select(Warehouse.code, Location.code, Location.bin_type, Quant.quantity, Quant.reserved_quantity,
                   Quant.lot_id, Lot.lot_number, Lot.expiry_date, func.coalesce(Lot.on_hold, False))
            .join(Location, Location.id == Quant.location_id).join(Warehouse, Warehouse.id == Location.warehouse_id)
            .outerjoin(Lot, Lot.id == Quant.lot_id)
            .where(Location.usage == "internal", or_(Quant.quantity > 0, Quant.reserved_quantity > 0)))


def sku_quants(sku_id: int, warehouse_ids: set[int] | None) -> list[BinStock]:
    """Where a SKU lies: every stock location holding (or reserving) some of it, per lot (earliest expiry first)."""
    stmt = (_bin_stock_stmt().where(Quant.sku_id == sku_id)
            .order_by(Warehouse.code, Location.code, Lot.expiry_date, Lot.lot_number))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    return [BinStock(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class BinStockRow:
    sku_code: str
    sku_name: str
    sku_name_zh: str
    stock: BinStock
    quant_id: int | None = None


def bin_stock(*, warehouse_ids: set[int] | None, query: str = "", sku_id: int | None = None,
              with_quant_id: bool = False) -> Select:
    """Stock per SKU, bin and lot (the exports and the API): BinStock's columns, SKU code and names (and
    the quant's id last, for the API's cursor)."""
    stmt = (_bin_stock_stmt().add_columns(Sku.code, Sku.name, Sku.name_zh).join(Sku, Sku.id == Quant.sku_id)
            .order_by(Sku.code, Warehouse.code, Location.code, Lot.expiry_date, Lot.lot_number))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    if sku_id is not None:
        stmt = stmt.where(Quant.sku_id == sku_id)
    if query.strip():
        stmt = stmt.where(sku_search_clause(query))
    return stmt.add_columns(Quant.id) if with_quant_id else stmt


def bin_stock_rows(stmt: Select, *, with_quant_id: bool = False) -> list[BinStockRow]:
    if with_quant_id:
        return [BinStockRow(code, name, name_zh, BinStock(*row), quant_id)
                for *row, code, name, name_zh, quant_id in db.session.execute(stmt)]
    return [BinStockRow(code, name, name_zh, BinStock(*row))
            for *row, code, name, name_zh in db.session.execute(stmt)]


def sku_figures(sku_id: int, warehouse_ids: set[int] | None) -> list[tuple[Warehouse, StockFigures]]:
    """The SKU's figures in every warehouse the user may see that holds or expects some of it."""
    levels = {level.warehouse_id: level for level in stock_levels(sku_ids=[sku_id])}
    transit = in_transit(sku_ids=[sku_id])
    out = []
    for wh in warehouses_for(warehouse_ids):
        level = levels.get(wh.id)
        figures = StockFigures(level.on_hand if level else 0, level.reserved if level else 0,
                               transit.get((sku_id, wh.id), 0), level.available if level else 0)
        if figures.on_hand or figures.in_transit:
            out.append((wh, figures))
    return out


@dataclass(frozen=True)
class LedgerLine:
    id: int
    created_at: datetime
    quantity: int
    reason: str
    reference: str
    note: str
    username: str | None
    from_code: str
    from_warehouse: str | None
    from_usage: str
    to_code: str
    to_warehouse: str | None
    to_usage: str

    @property
    def adjustment_reason(self) -> str | None:
        return parse_adjustment_note(self.note)[0] if self.reason == "adjustment" else None

    @property
    def note_text(self) -> str:
        return parse_adjustment_note(self.note)[1] if self.reason == "adjustment" else self.note


def sku_ledger(sku_id: int, warehouse_ids: set[int] | None, *, page: int = 1, per_page: int = 50) -> Page:
    """The SKU's stock moves, newest first; a user limited to some warehouses sees the moves that
    touch one of them."""
    src, dst = aliased(Location), aliased(Location)
    wsrc, wdst = aliased(Warehouse), aliased(Warehouse)
    stmt = (select(StockMove.id, StockMove.created_at, StockMove.quantity, StockMove.reason, StockMove.reference,
                   StockMove.note, User.username, src.code, wsrc.code, src.usage, dst.code, wdst.code, dst.usage)
            .join(src, src.id == StockMove.from_location_id).join(dst, dst.id == StockMove.to_location_id)
            .outerjoin(wsrc, wsrc.id == src.warehouse_id).outerjoin(wdst, wdst.id == dst.warehouse_id)
            .outerjoin(User, User.id == StockMove.user_id)
            .where(StockMove.sku_id == sku_id)
            .order_by(StockMove.created_at.desc(), StockMove.id.desc()))
    if warehouse_ids is not None:
        stmt = stmt.where(or_(src.warehouse_id.in_(warehouse_ids), dst.warehouse_id.in_(warehouse_ids)))
    found = paginate(stmt, page, per_page)
    return Page([LedgerLine(*row) for row in found.items], found.page, found.per_page, found.total)


def parse_adjustment_note(note: str) -> tuple[str | None, str]:
    """("damaged", "dropped") from "damaged: dropped"; (None, note) for a note without a reason code."""
    code, sep, text = note.partition(":")
    if sep and code.strip() in ADJUSTMENT_REASONS:
        return code.strip(), text.strip()
    return None, note


def find_bin(warehouse_id: int, scanned: str) -> Location | None:
    """The stock location of a warehouse whose code or barcode was scanned or typed."""
    text = scanned.strip()
    if not text:
        return None
    base = select(Location).where(Location.warehouse_id == warehouse_id, Location.usage == "internal")
    return (db.session.scalar(base.where(Location.barcode == text))
            or db.session.scalar(base.where(Location.code == text))
            or db.session.scalar(base.where(func.upper(Location.code) == text.upper())))


ANY_LOT = object()  # quant_in's "every lot together"


def quant_in(sku_id: int, location_id: int, lot_id=ANY_LOT) -> tuple[int, int]:
    """(quantity, reserved) of a SKU in one location, all its lots together (or of one lot, None =
    untracked stock, when given); (0, 0) when none was ever there."""
    stmt = select(func.coalesce(func.sum(Quant.quantity), 0), func.coalesce(func.sum(Quant.reserved_quantity), 0)) \
        .where(Quant.sku_id == sku_id, Quant.location_id == location_id)
    if lot_id is not ANY_LOT:
        stmt = stmt.where(lot_is(Quant.lot_id, lot_id))
    quantity, reserved = db.session.execute(stmt).one()
    return int(quantity), int(reserved)


@dataclass(frozen=True)
class LotInBin:
    lot: Lot
    quantity: int
    reserved: int


def lots_in_bin(sku_id: int, location_id: int) -> list[LotInBin]:
    """The lots of a SKU lying in one bin (with units on hand or reserved), earliest expiry first."""
    stmt = (select(Lot, Quant.quantity, Quant.reserved_quantity).join(Quant, Quant.lot_id == Lot.id)
            .where(Quant.sku_id == sku_id, Quant.location_id == location_id,
                   or_(Quant.quantity > 0, Quant.reserved_quantity > 0))
            .order_by(Lot.expiry_date.is_(None), Lot.expiry_date, Lot.lot_number))
    return [LotInBin(lot, int(q), int(r)) for lot, q, r in db.session.execute(stmt)]


def transfers_page(warehouse_ids: set[int] | None, *, status: str = "", page: int = 1,
                   per_page: int = 50) -> Page:
    """Transfers from or to the user's warehouses, newest first."""
    stmt = select(StockTransfer).order_by(StockTransfer.created_at.desc(), StockTransfer.id.desc())
    if warehouse_ids is not None:
        stmt = stmt.where(or_(StockTransfer.from_warehouse_id.in_(warehouse_ids),
                              StockTransfer.to_warehouse_id.in_(warehouse_ids)))
    if status:
        stmt = stmt.where(StockTransfer.status == status)
    found = paginate(stmt, page, per_page)
    return Page([row[0] for row in found.items], found.page, found.per_page, found.total)


def transfer_totals(transfer_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{transfer id: (units, units received)}."""
    ids = list(transfer_ids)
    if not ids:
        return {}
    stmt = (select(StockTransferLine.transfer_id, func.sum(StockTransferLine.quantity),
                   func.sum(StockTransferLine.received_quantity))
            .where(StockTransferLine.transfer_id.in_(ids)).group_by(StockTransferLine.transfer_id))
    return {t: (int(q), int(r)) for t, q, r in db.session.execute(stmt)}


def skus_by_id(ids: Iterable[int]) -> dict[int, Sku]:
    ids = list(set(ids))
    return {s.id: s for s in db.session.scalars(select(Sku).where(Sku.id.in_(ids)))} if ids else {}


def lots_by_id(ids: Iterable[int | None]) -> dict[int, Lot]:
    wanted = [i for i in set(ids) if i is not None]
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(wanted)))} if wanted else {}


def locations_by_id(ids: Iterable[int | None]) -> dict[int, Location]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(wanted)))}

