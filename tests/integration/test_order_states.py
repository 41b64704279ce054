"""Orders own their states: one transition table, applied as a compare-and-set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from erp_core.errors import Conflict
from tests.integration.conftest import make_order


def test_every_status_in_the_table_is_a_known_order_status():
    from erp_core.orders.models import ORDER_STATUSES
    from erp_core.orders.states import TRANSITIONS

    assert set(TRANSITIONS) == set(ORDER_STATUSES)
    assert all(targets <= set(ORDER_STATUSES) for targets in TRANSITIONS.values())


def test_an_order_status_cannot_be_assigned_outside_the_transition_table(app, world):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        order = db.session.get(Order, make_order("S-1", [("A", 1)]))
        with pytest.raises(RuntimeError, match="only through"):
            order.status = "shipped"


def test_a_transition_the_table_does_not_have_is_refused_with_409(app, world):
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from erp_core.orders.states import transition

    with app.app_context():
        order = db.session.get(Order, make_order("S-2", [("A", 1)]))
        with pytest.raises(Conflict) as refused:
            transition(order, "shipped")
        assert refused.value.status == 409 and refused.value.details["current"] == "pending"


def test_a_transition_from_a_stale_status_is_refused_and_changes_nothing(app, world):
    # given an order read as pending, then cancelled by someone else behind our back
    from sqlalchemy.orm import attributes

    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from erp_core.orders.states import transition

    with app.app_context():
        order_id = make_order("S-3", [("A", 1)])
        with db.engine.begin() as other:
            other.execute(update(Order.__table__).where(Order.__table__.c.id == order_id).values(status="cancelled"))
        # when we apply our change from the status we read before (kept stale on purpose)
        with pytest.raises(Conflict) as refused, atomic():
            order = db.session.get(Order, order_id)
            attributes.set_committed_value(order, "status", "pending")
            transition(order, "approved")
        # then it is refused as changed meanwhile, and the other change stands
        assert refused.value.code == "changed_meanwhile"
        db.session.remove()
        assert db.session.get(Order, order_id).status == "cancelled"


def test_references_come_from_a_counter_never_twice(app):
    from erp_core.sequences import next_number, next_reference

    with app.app_context():
        assert [next_number("t") for _ in range(3)] == [1, 2, 3]
        assert next_number("other", start_after=lambda: 41) == 42
        first, second = next_reference("W"), next_reference("W")
        assert first != second and first.startswith("W-") and first.endswith("-0001")


def test_a_database_deadlock_is_a_clean_409_try_again(app):
    from sqlalchemy.exc import OperationalError

    from erp_core.db import concurrency_refusal

    class Deadlock(Exception):
        sqlstate = "40P01"

    refusal = concurrency_refusal(OperationalError("UPDATE quants ...", {}, Deadlock("deadlock detected")))
    assert refusal is not None and refusal.code == "concurrent_update" and refusal.status == 409
    assert concurrency_refusal(ValueError("x")) is None


def test_an_expired_idempotency_key_is_forgotten_and_purged(app, users):
    from erp_core.api.idempotency import purge_expired_keys
    from erp_core.api.models import IdempotencyRecord
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    with app.app_context():
        with atomic():
            for n, age in enumerate((1, 23, 25, 48)):
                db.session.add(IdempotencyRecord(principal="user:1", key=f"k{n}", method="POST", path="/x",
                                                 request_hash="h", status_code=200, response_body="{}",
                                                 created_at=utcnow() - timedelta(hours=age)))
        assert purge_expired_keys(batch=1) == 2
        assert sorted(db.session.scalars(db.select(IdempotencyRecord.key))) == ["k0", "k1"]
