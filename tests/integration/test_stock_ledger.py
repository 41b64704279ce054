"""The stock ledger: moves, quants, reservations, invariants, and reservation under concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from erp_core.errors import InsufficientStock
from tests.builders import FloorBuilder


@pytest.fixture
def stocked(app):
    """SKU CUP-1 with 10 units in bin A, and an empty bin B, in warehouse SH1."""
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", key="wh")
             .bin("A-01", "pick", key="a", x=1.5, y=2.5)
             .bin("B-01", "pick", key="b", x=4.5, y=2.5)
             .sku("CUP-1", "Thermos cup", key="sku")
             .stock("sku", "a", 10, reference="PO-1")
             .build(app))
    return dict(floor)


def _quant(sku, loc):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    db.session.expire_all()
    return db.session.scalar(select(Quant).filter_by(sku_id=sku, location_id=loc))


def test_a_move_writes_one_ledger_line_and_updates_both_quants(app, stocked):
    from erp_core.inventory.services import ledger_discrepancies, move_stock

    with app.app_context():
        move = move_stock(stocked["sku"], stocked["a"], stocked["b"], 4, reason="move", reference="T-1")
        assert move.quantity == 4
        assert _quant(stocked["sku"], stocked["a"]).quantity == 6
        assert _quant(stocked["sku"], stocked["b"]).quantity == 4
        assert ledger_discrepancies() == []


def test_a_move_of_more_than_is_available_changes_nothing(app, stocked):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import move_stock
    from tests.stock_helpers import reserve

    with app.app_context():
        reserve(stocked["sku"], stocked["a"], 8)
        with pytest.raises(InsufficientStock):
            move_stock(stocked["sku"], stocked["a"], stocked["b"], 3, reason="move")
        assert _quant(stocked["sku"], stocked["a"]).quantity == 10
        assert db.session.scalar(select(db.func.count(StockMove.id))) == 1  # only the receipt


def test_reservations_never_exceed_what_is_on_hand(app, stocked):
    from tests.stock_helpers import release, reserve

    with app.app_context():
        reserve(stocked["sku"], stocked["a"], 7)
        with pytest.raises(InsufficientStock):
            reserve(stocked["sku"], stocked["a"], 4)
        release(stocked["sku"], stocked["a"], 2)
        reserve(stocked["sku"], stocked["a"], 5)
        quant = _quant(stocked["sku"], stocked["a"])
        assert (quant.quantity, quant.reserved_quantity) == (10, 10)


def test_the_database_refuses_a_negative_quant_even_if_code_forgot(app, stocked):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(db.update(Quant).values(reserved_quantity=Quant.quantity + 1))
            db.session.flush()
        db.session.rollback()


def test_stock_moves_cannot_be_edited(app, stocked):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    with app.app_context():
        move = db.session.scalar(select(StockMove))
        move.quantity = 99
        with pytest.raises(ValueError, match="immutable"):
            db.session.flush()
        db.session.rollback()


def test_an_adjustment_posts_the_difference_against_inventory_loss(app, stocked):
    from erp_core.inventory.services import adjust, ledger_discrepancies

    with app.app_context():
        move = adjust(stocked["sku"], stocked["a"], 7, reason_note="cycle count")
        assert move.quantity == 3 and move.to_location.usage == "inventory"
        assert _quant(stocked["sku"], stocked["a"]).quantity == 7
        assert ledger_discrepancies() == []


def test_fifty_concurrent_reservations_of_ten_units_let_exactly_ten_win(app, stocked):
    # given 10 units on hand and 50 threads, each with its own connection, reserving 1 unit at once
    from erp_core.extensions import db
    from erp_core.inventory.services import ledger_discrepancies
    from tests.stock_helpers import holder_line, reserve

    with app.app_context():
        holder_line(stocked["sku"])  # the order line the units are held for
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def worker():
        with app.app_context():
            start.wait()
            try:
                reserve(stocked["sku"], stocked["a"], 1)
                result = "ok"
            except InsufficientStock:
                result = "insufficient"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # then exactly 10 succeed and 40 get a clear insufficient-stock error, and the ledger holds
    assert outcomes.count("ok") == 10
    assert outcomes.count("insufficient") == 40
    with app.app_context():
        quant = _quant(stocked["sku"], stocked["a"])
        assert (quant.quantity, quant.reserved_quantity) == (10, 10)
        assert ledger_discrepancies() == []
