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

The journal balances: debits = credits in every entry (in its currency and in base currency) and
over the whole journal (`journal_violations()`, two aggregate queries).

Every check reads fresh rows (the session is expired first); nothing is written.
"""

from __future__ import annotations


def stock_violations() -> list[str]:
    """Every broken invariant, as a readable line; [] when the database is sound (inside an app context).

    The app's own check (`erp_core.inventory.integrity`), read afresh: the session is expired first and
    the read transaction ended after, so it holds no snapshot or connection between trials.
    """
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations

    db.session.expire_all()
    try:
        return stock_invariant_violations()
    finally:
        db.session.rollback()


def assert_stock_invariants(app=None) -> None:
    """AssertionError listing every broken invariant (in the app's context when `app` is given)."""
    if app is None:
        problems = stock_violations()
    else:
        with app.app_context():
            problems = stock_violations()
    assert not problems, f"{len(problems)} invariant violation(s):\n" + "\n".join(problems[:40])


def journal_violations() -> list[str]:
    """Journal entries (or the journal's totals) whose debits and credits differ; [] when sound."""
    from erp_core.extensions import db
    from erp_core.finance.journal import journal_violations as unbalanced

    db.session.expire_all()
    try:
        return unbalanced()
    finally:
        db.session.rollback()
