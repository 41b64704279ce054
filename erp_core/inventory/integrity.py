"""The stock ledger's invariants, checked over the whole database (tests run it after every scenario).

- quantity >= 0 and 0 <= reserved <= quantity on every quant (also CHECK constraints);
- on hand = sum of moves, per SKU and internal location;
- a quant's reserved quantity = the sum of its reservation rows;
- no order line reserved beyond its quantity; no held, cancelled or rejected order holding stock.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from ..extensions import db
from .models import Quant
from .reservations import reservation_violations
from .services import ledger_discrepancies


def stock_invariant_violations() -> list[str]:
    """Every broken invariant as a sentence; empty when the ledger is sound."""
    problems = [f"quant sku={s} location={loc}: quantity {q}, reserved {r}" for s, loc, q, r in db.session.execute(
        select(Quant.sku_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity).where(or_(
            Quant.quantity < 0, Quant.reserved_quantity < 0, Quant.reserved_quantity > Quant.quantity)))]
    problems += [f"quant sku={s} location={loc}: on hand {q}, sum of moves {m}"
                 for s, loc, q, m in ledger_discrepancies()]
    return problems + reservation_violations()
