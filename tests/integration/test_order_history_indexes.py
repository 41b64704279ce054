"""The audit does not read the whole order history: with many past orders (and the planner's statistics
of a grown database), every statement on `orders` that auditing one order runs is an index search."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

HISTORY = 3_000


@pytest.fixture
def grown_history(app, world):
    """HISTORY shipped orders of other buyers in SH1, and the statistics a grown database has."""
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.models_base import utcnow
    from erp_core.orders.models import Order

    with app.app_context():
        channel_id = db.session.query(Channel.id).filter_by(code="TM").scalar()
        at = utcnow() - timedelta(days=30)
        db.session.execute(insert(Order.__table__), [
            {"channel_id": channel_id, "external_id": f"H{n}", "status": "shipped", "warehouse_id": world["sh"],
             "ship_name": "张伟", "ship_phone": f"139{n:08d}", "buyer_id": f"tb_139{n:08d}", "ordered_at": at}
            for n in range(HISTORY)])
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE orders"))
        db.session.commit()
    return world


def test_auditing_an_order_searches_the_buyers_orders_by_index_not_the_whole_history(app, grown_history):
    from erp_core.extensions import db
    from erp_core.orders.workflow import audit_order
    from tests.integration.conftest import make_order

    with app.app_context():
        order_id = make_order("NEW-1", [("A", 1)])
        statements = []

        def grab(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
            if statement.lstrip().upper().startswith("SELECT") and re.search(r"\bFROM orders\b", statement):
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            audit_order(order_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        duplicate_checks = [s for s, _ in statements if "ship_phone = " in s]
        assert duplicate_checks, "the duplicate check did not run"
        if db.engine.dialect.name != "sqlite":
            pytest.skip("query plans read on SQLite (PostgreSQL chooses by its own statistics)")
        raw = db.engine.raw_connection()
        try:
            for statement, parameters in statements:
                plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters or ())]
                assert not [step for step in plan if step.startswith("SCAN orders")], (statement, plan)
        finally:
            raw.close()
