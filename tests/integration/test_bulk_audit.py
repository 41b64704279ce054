"""The set-based bulk audit (erp_core/orders/bulk_audit.py) decides, reserves and records exactly what
audit_order one by one does, and two audits of the same orders at once give one effect."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import make_order


def _orders(world) -> dict[str, int]:
    # A: 10 in SH1's pick face + 5 in its reserve bin; B: 3 in SZ1 (see the world fixture)
    return {
        "whole": make_order("W1", [("A", 12)], phone="13800000001"),  # pick face first, then reserve
        "note": make_order("N1", [("A", 1)], phone="13800000002", note="请用顺丰"),
        "first": make_order("D1", [("A", 2)], phone="13800000003"),
        "twin": make_order("D2", [("A", 1)], phone="13800000003"),  # same buyer, same address, same day
        "short": make_order("S1", [("A", 5)], phone="13800000005"),  # only 3 A left by now
        "split": make_order("X1", [("A", 1), ("B", 1)], phone="13800000006"),  # A in SH1, B in SZ1 only
        "other": make_order("B1", [("B", 1)], phone="13800000007", province="广东省"),
    }


def _audit_in_bulk(app, ids: list[int]) -> None:
    from erp_core.orders.bulk_jobs import start_bulk_job

    with app.app_context():
        start_bulk_job("audit", ids, user_id=None)  # immediate queue: the job runs to its end here


def _audit_one_by_one(app, ids: list[int]) -> None:
    from erp_core.orders.workflow import audit_order, bulk

    with app.app_context():
        bulk(audit_order, ids)


def _named(message: str, names: dict[int, str]) -> str:
    """The message with the test's names for order ids ("#3", "order(s) 3, 4"); split-off orders as #new."""
    message = re.sub(r"#(\d+)", lambda m: "#" + names.get(int(m[1]), "new"), message)
    return re.sub(r"order\(s\) ([\d, ]+) within", lambda m: "order(s) " + ", ".join(
        names.get(int(n), "new") for n in m[1].split(", ")) + " within", message)


def _snapshot(orders: dict[str, int]) -> dict:
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation
    from erp_core.orders.models import Order, OrderEvent, OrderLine

    db.session.expire_all()
    names = {order_id: name for name, order_id in orders.items()}
    result = {}
    for order in db.session.scalars(select(Order).where(Order.id.in_(orders.values()))):
        events = [(e.kind, _named(e.message, names)) for e in db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))]
        held = sorted(db.session.execute(
            select(Location.code, StockReservation.quantity).join(Location, Location.id == StockReservation.location_id)
            .join(OrderLine, OrderLine.id == StockReservation.order_line_id).where(OrderLine.order_id == order.id)))
        result[names[order.id]] = (order.status, order.hold_reason, order.warehouse.code if order.warehouse else None,
                                   events, held)
    return result


@pytest.mark.parametrize("audit", [_audit_in_bulk, _audit_one_by_one], ids=["bulk", "one_by_one"])
def test_the_bulk_audit_decides_reserves_and_records_what_auditing_one_by_one_does(app, world, audit):
    from erp_core.inventory.services import ledger_discrepancies

    with app.app_context():
        orders = _orders(world)
    # when the orders are audited (in bulk, or one by one for comparison)
    audit(app, sorted(orders.values()))
    # then each order is decided, reserved and recorded the same way
    with app.app_context():
        got = _snapshot(orders)
        assert ledger_discrepancies() == []
    created = ("created", "from TM")
    assert got["whole"] == ("released", "", "SH1", [created, ("approved", "audit rules passed"),
                                                    ("allocated", "SH1: whole_order_province_warehouse")],
                            [("P-01", 10), ("R-01", 2)])
    assert got["note"][:3] == ("held", "buyer_note", None) and got["note"][4] == []
    assert got["first"][:3] == ("held", "suspected_duplicate", None)  # each is the other's twin
    assert got["first"][3][-1] == ("held", "Same buyer and address as open order(s) twin within 24 hours.")
    assert got["twin"][:3] == ("held", "suspected_duplicate", None)
    assert got["twin"][3][-1] == ("held", "Same buyer and address as open order(s) first within 24 hours.")
    assert got["short"][:3] == ("held", "out_of_stock", None)
    assert got["split"][0] == "released" and [kind for kind, _ in got["split"][3]].count("split") == 1
    assert got["other"] == ("released", "", "SZ1", [created, ("approved", "audit rules passed"),
                                                    ("allocated", "SZ1: whole_order_province_warehouse")],
                            [("P-01", 1)])


def test_two_bulk_audits_of_the_same_orders_at_once_audit_each_order_once(app, world):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockReservation
    from erp_core.orders import bulk_audit
    from erp_core.orders.models import OrderEvent

    with app.app_context():
        ids = sorted(make_order(f"R{n}", [("A", 1)], phone=f"1380000{n:04d}") for n in range(12))
        db.session.remove()
    # given two audits that have both read and decided the same orders before either writes
    planned, outcomes, errors = threading.Barrier(2), [], []

    def audit() -> None:
        try:
            with app.app_context():
                plan = bulk_audit.plan_audit(ids)
                db.session.rollback()  # end the read, as the job does before its write transaction
                planned.wait(timeout=30)
                outcomes.append(bulk_audit.apply_audit(plan))
                db.session.remove()
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=audit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    # then every order was audited by exactly one of them; the other was told, order by order
    first, second = outcomes
    assert sorted(first.done + second.done) == ids
    assert set(first.refused) | set(second.refused) == set(ids) and not set(first.done) & set(second.done)
    with app.app_context():
        audited = db.session.execute(select(OrderEvent.order_id, func.count()).where(
            OrderEvent.kind.in_(("approved", "held", "rejected"))).group_by(OrderEvent.order_id)).all()
        assert len(audited) == 12 and {count for _, count in audited} == {1}
        # and the stock is reserved once: 10 on the pick face, 2 in reserve, rows = quant figures
        rows = dict(db.session.execute(select(StockReservation.location_id, func.sum(StockReservation.quantity))
                                       .group_by(StockReservation.location_id)).all())
        quants = {q.location_id: q.reserved_quantity for q in db.session.scalars(
            select(Quant).where(Quant.sku_id == world["a"]))}
        assert quants == {world["sh_pick"]: 10, world["sh_res"]: 2} and rows == quants
