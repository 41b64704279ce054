"""The stock ledger's invariants, checked over the whole database (tests run it after every scenario).

- quantity >= 0 and 0 <= reserved <= quantity on every quant (also CHECK constraints);
- on hand = sum of moves, per SKU and internal location;
- a quant's reserved quantity = the sum of its reservation rows;
- no order line reserved beyond its quantity; no held, cancelled or rejected order holding stock.
"""

from __future__ import annotations

from sqlalchemy import false, func, or_, select

from ..catalog.models import Sku
from ..extensions import db
from .models import Lot, Quant, StockMove, StockReservation
from .services import ledger_discrepancies


def stock_invariant_violations() -> list[str]:
    """Every broken invariant as a sentence; empty when the ledger is sound."""
    problems = [f"quant sku={s} location={loc} lot={lot}: quantity {q}, reserved {r}"
                for _, s, loc, lot, q, r in impossible_quants()]
    problems += [f"quant sku={s} location={loc} lot={lot}: on hand {q}, sum of moves {m}"
                 for s, loc, lot, q, m in ledger_discrepancies()]
    problems += lot_violations()
    return problems + reservation_violations()


def impossible_quants() -> list[tuple[int, int, int, int | None, int, int]]:
    """(quant id, sku, location, lot, quantity, reserved) of quants with a negative quantity or reserved
    quantity, or more reserved than on hand (the CHECK constraints forbid them: a raw write did it)."""
    return [tuple(row) for row in db.session.execute(
        select(Quant.id, Quant.sku_id, Quant.location_id, Quant.lot_id, Quant.quantity, Quant.reserved_quantity)
        .where(or_(Quant.quantity < 0, Quant.reserved_quantity < 0, Quant.reserved_quantity > Quant.quantity))
        .order_by(Quant.id))]


def lot_violations() -> list[str]:
    """Stock of a lot-tracked SKU without a lot, of an untracked SKU with one, or of a lot that
    belongs to another SKU (quants, moves and reservations)."""
    return [f"{table} {row_id}: sku={sku} lot={lot} does not match the SKU's lot tracking"
            for table, row_id, sku, lot in lot_mismatches()]


def lot_mismatches() -> list[tuple[str, int, int, int | None]]:
    """(table, row id, sku, lot) of every quant, move or reservation whose lot does not fit its SKU."""
    found = []
    for model in (Quant, StockMove, StockReservation):
        rows = db.session.execute(
            select(model.id, model.sku_id, model.lot_id).join(Sku, Sku.id == model.sku_id)
            .outerjoin(Lot, Lot.id == model.lot_id)
            .where(or_((Sku.lot_tracked.is_(True) & model.lot_id.is_(None) & _holds_stock(model)),
                       (Sku.lot_tracked.is_(False) & model.lot_id.is_not(None)),
                       (model.lot_id.is_not(None) & (Lot.sku_id != model.sku_id))))).all()
        found += [(model.__tablename__, row_id, sku, lot) for row_id, sku, lot in rows]
    return found


def _holds_stock(model):
    # A SKU may become tracked while untracked stock is on hand: only its live quants must then have a lot;
    # the ledger's past lines keep what was true when they were written.
    return model.quantity > 0 if model is not StockMove else false()



def reserved_discrepancies() -> list[tuple[int, int, int | None, int, int]]:
    """(sku, location, lot, quant reserved, sum of its reservation rows) wherever the two differ."""
    sums = {(s, loc, lot): int(q) for s, loc, lot, q in db.session.execute(
        select(StockReservation.sku_id, StockReservation.location_id, StockReservation.lot_id,
               func.sum(StockReservation.quantity))
        .group_by(StockReservation.sku_id, StockReservation.location_id, StockReservation.lot_id))}
    quants = {(s, loc, lot): int(r) for s, loc, lot, r in db.session.execute(
        select(Quant.sku_id, Quant.location_id, Quant.lot_id, Quant.reserved_quantity))}
    return [(key[0], key[1], key[2], quants.get(key, 0), sums.get(key, 0))
            for key in set(sums) | {k for k, r in quants.items() if r} if sums.get(key, 0) != quants.get(key, 0)]


def orders_holding_reservations() -> list[tuple[int, str]]:
    """(order id, status) of every order holding reservation rows in a status that must not."""
    from ..orders.models import Order, OrderLine
    from ..orders.states import RESERVING_STATUSES

    return [(int(oid), status) for oid, status in db.session.execute(
        select(Order.id, Order.status).join(OrderLine, OrderLine.order_id == Order.id)
        .join(StockReservation, StockReservation.order_line_id == OrderLine.id)
        .where(Order.status.not_in(RESERVING_STATUSES)).distinct())]


def reservation_violations() -> list[str]:
    """Every quant whose reserved quantity differs from the sum of its reservation rows, every order
    line reserved beyond its quantity, every released order not reserved exactly, every order holding
    stock in a status that must not."""
    problems = [f"quant sku={s} location={loc} lot={lot}: reserved {r}, reservation rows {rows}"
                for s, loc, lot, r, rows in reserved_discrepancies()]
    return problems + reservation_line_violations() + [
        f"order {oid} is {status} and holds reservations" for oid, status in orders_holding_reservations()]


def reservation_line_violations() -> list[str]:
    """Order lines reserved beyond their quantity; released orders whose pick lines are not reserved
    exactly once."""
    from ..catalog.models import Sku
    from ..orders.models import Order, OrderLine

    over = db.session.execute(
        select(OrderLine.id, OrderLine.quantity, func.sum(StockReservation.quantity))
        .join(StockReservation, StockReservation.order_line_id == OrderLine.id)
        .group_by(OrderLine.id, OrderLine.quantity)
        .having(func.sum(StockReservation.quantity) > OrderLine.quantity)).all()
    problems = [f"order line {line}: {held} reserved for {qty}" for line, qty, held in over]
    # A released order (allocated, not yet in a wave) has each pick line reserved exactly once.
    held = (select(StockReservation.order_line_id, func.sum(StockReservation.quantity).label("held"))
            .group_by(StockReservation.order_line_id).subquery())
    unpinned = db.session.execute(
        select(Order.id, OrderLine.id, OrderLine.quantity, func.coalesce(held.c.held, 0))
        .join(OrderLine, OrderLine.order_id == Order.id).join(Sku, Sku.id == OrderLine.sku_id)
        .outerjoin(held, held.c.order_line_id == OrderLine.id)
        .where(Order.status == "released", Sku.is_kit.is_(False),
               func.coalesce(held.c.held, 0) != OrderLine.quantity)).all()
    return problems + [f"released order {oid} line {line}: {got} reserved for {qty}"
                       for oid, line, qty, got in unpinned]
