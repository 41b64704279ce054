"""The stock ledger's invariants, checked over the whole database (tests run it after every scenario).

- quantity >= 0 and 0 <= reserved <= quantity on every quant (also CHECK constraints);
- on hand = sum of moves, per SKU and internal location;
- a quant's reserved quantity = the sum of its reservation rows;
- no order line reserved beyond its quantity; no held, cancelled or rejected order holding stock.
"""

from __future__ import annotations

from sqlalchemy import false, or_, select

from ..catalog.models import Sku
from ..extensions import db
from .models import Lot, Quant, StockMove, StockReservation
from .reservations import reservation_violations
from .services import ledger_discrepancies


def stock_invariant_violations() -> list[str]:
    """Every broken invariant as a sentence; empty when the ledger is sound."""
    problems = [f"quant sku={s} location={loc} lot={lot}: quantity {q}, reserved {r}"
                for s, loc, lot, q, r in db.session.execute(
        select(Quant.sku_id, Quant.location_id, Quant.lot_id, Quant.quantity, Quant.reserved_quantity).where(or_(
            Quant.quantity < 0, Quant.reserved_quantity < 0, Quant.reserved_quantity > Quant.quantity)))]
    problems += [f"quant sku={s} location={loc} lot={lot}: on hand {q}, sum of moves {m}"
                 for s, loc, lot, q, m in ledger_discrepancies()]
    problems += lot_violations()
    return problems + reservation_violations()


def lot_violations() -> list[str]:
    """Stock of a lot-tracked SKU without a lot, of an untracked SKU with one, or of a lot that
    belongs to another SKU (quants, moves and reservations)."""
    problems = []
    for model in (Quant, StockMove, StockReservation):
        rows = db.session.execute(
            select(model.id, model.sku_id, model.lot_id).join(Sku, Sku.id == model.sku_id)
            .outerjoin(Lot, Lot.id == model.lot_id)
            .where(or_((Sku.lot_tracked.is_(True) & model.lot_id.is_(None) & _holds_stock(model)),
                       (Sku.lot_tracked.is_(False) & model.lot_id.is_not(None)),
                       (model.lot_id.is_not(None) & (Lot.sku_id != model.sku_id))))).all()
        problems += [f"{model.__tablename__} {row_id}: sku={sku} lot={lot} does not match the SKU's lot tracking"
                     for row_id, sku, lot in rows]
    return problems


def _holds_stock(model):
    # A SKU may become tracked while untracked stock is on hand: only its live quants must then have a lot;
    # the ledger's past lines keep what was true when they were written.
    return model.quantity > 0 if model is not StockMove else false()
