"""The stock and reservation invariants, checked against the database as it is committed.

    violations = stock_violations()          # inside an app context: a list of readable strings
    assert_stock_invariants(app)             # opens its own app context; AssertionError listing them

What must always hold (ARCHITECTURE.md, "Stock" and "Transactions, states and stock"):

- every quant: quantity >= 0 and 0 <= reserved_quantity <= quantity;
- on hand is the sum of moves: `ledger_discrepancies()` is empty;
- a quant's reserved_quantity is the sum of its StockReservation rows (per SKU and location);
- no order line has more reserved than its quantity;
- a released order (allocated, not yet in a wave) has each pick line reserved exactly once;
- an order that holds no stock by its status (pending, held, back-ordered, rejected, cancelled)
  has no reservation row. Holding a released order gives its reservations back (`hold_order`),
  an approved order is allocated in the same transaction, so a held order never keeps any.

Every check reads fresh rows (the session is expired first); nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

RESERVATION_FREE_STATUSES = ("pending", "held", "backordered", "rejected", "cancelled")


def stock_violations(*, reservation_free_statuses: Iterable[str] = RESERVATION_FREE_STATUSES,
                     order_ids: Iterable[int] | None = None) -> list[str]:
    """Every broken invariant, as a readable line; [] when the database is sound.

    `order_ids` limits the per-order checks to those orders (the stock checks always cover all quants).
    """
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant, StockReservation
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.orders.models import Order, OrderLine

    db.session.expire_all()
    problems: list[str] = []
    codes = dict(db.session.execute(select(Location.id, Location.code)).all())

    def where(sku_id: int, location_id: int) -> str:
        return f"sku {sku_id} in {codes.get(location_id, location_id)}"

    quants = db.session.execute(select(Quant.sku_id, Quant.location_id, Quant.quantity,
                                       Quant.reserved_quantity)).all()
    for sku_id, location_id, quantity, reserved in quants:
        if quantity < 0:
            problems.append(f"negative quantity: {where(sku_id, location_id)} has {quantity}")
        if reserved < 0 or reserved > quantity:
            problems.append(f"reserved outside 0..quantity: {where(sku_id, location_id)} "
                            f"reserved {reserved} of {quantity}")
    for sku_id, location_id, quant_qty, moves_qty in ledger_discrepancies():
        problems.append(f"quant is not the sum of moves: {where(sku_id, location_id)} quant {quant_qty}, "
                        f"moves {moves_qty}")

    rows: dict[tuple[int, int], int] = defaultdict(int)
    for sku_id, location_id, quantity in db.session.execute(
            select(StockReservation.sku_id, StockReservation.location_id, StockReservation.quantity)):
        rows[(sku_id, location_id)] += quantity
    on_quants = {(s, loc): r for s, loc, _q, r in quants}
    for key in sorted(set(rows) | {k for k, r in on_quants.items() if r}):
        if on_quants.get(key, 0) != rows.get(key, 0):
            problems.append(f"quant reserved is not the sum of its reservations: {where(*key)} quant "
                            f"{on_quants.get(key, 0)}, reservation rows {rows.get(key, 0)}")

    line_stmt = (select(Order.id, Order.external_id, Order.status, OrderLine.id, OrderLine.quantity,
                        OrderLine.parent_line_id, OrderLine.sku_id)
                 .join(OrderLine, OrderLine.order_id == Order.id))
    if order_ids is not None:
        line_stmt = line_stmt.where(Order.id.in_(list(order_ids)))
    lines = db.session.execute(line_stmt).all()
    reserved_per_line: dict[int, int] = defaultdict(int)
    for line_id, quantity in db.session.execute(select(StockReservation.order_line_id, StockReservation.quantity)):
        reserved_per_line[line_id] += quantity
    from erp_core.catalog.models import Sku

    kits = set(db.session.scalars(select(Sku.id).where(Sku.is_kit.is_(True))))
    free = set(reservation_free_statuses)
    for order_id, external_id, status, line_id, quantity, _parent, sku_id in lines:
        held = reserved_per_line.get(line_id, 0)
        name = f"order #{order_id} ({external_id}, {status}) line {line_id}"
        if held > quantity:
            problems.append(f"line reserved beyond its quantity: {name} reserved {held} of {quantity}")
        if status in free and held:
            problems.append(f"{status} order holds reservations: {name} reserved {held}")
        if status == "released" and sku_id not in kits and held != quantity:
            problems.append(f"released order not reserved exactly once: {name} reserved {held} of {quantity}")
    db.session.rollback()  # end the read transaction: it must not hold a snapshot or a connection
    return problems


def assert_stock_invariants(app=None, **kwargs) -> None:
    """AssertionError listing every broken invariant (in the app's context when `app` is given)."""
    if app is None:
        problems = stock_violations(**kwargs)
    else:
        with app.app_context():
            problems = stock_violations(**kwargs)
    assert not problems, f"{len(problems)} invariant violation(s):\n" + "\n".join(problems[:40])
