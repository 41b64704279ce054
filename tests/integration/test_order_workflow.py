"""Audit, allocation with reservations, kits, split and merge, against a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from erp_core.errors import Conflict
from tests.integration.conftest import make_order


def _reserved(sku_id, location_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    db.session.expire_all()
    quant = db.session.scalar(select(Quant).filter_by(sku_id=sku_id, location_id=location_id))
    return quant.reserved_quantity if quant else 0


def test_a_paid_complete_order_with_stock_is_approved_allocated_and_reserved(app, world):
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.orders.services import get_order
    from erp_core.orders.workflow import audit_order

    with app.app_context():
        order = audit_order(make_order("1", [("A", 3)]))
        assert order.status == "released" and order.warehouse_id == world["sh"]
        # pick faces before reserve bins
        assert _reserved(world["a"], world["sh_pick"]) == 3 and _reserved(world["a"], world["sh_res"]) == 0
        kinds = [e.kind for e in get_order(order.id).events]
        assert kinds == ["created", "approved", "allocated"]
        assert ledger_discrepancies() == []


def test_an_order_with_a_buyer_note_is_held_with_the_reason(app, world):
    from erp_core.orders.workflow import audit_order

    with app.app_context():
        order = audit_order(make_order("2", [("A", 1)], note="请用顺丰"))
        assert order.status == "held" and "buyer_note" in order.hold_reason
        assert _reserved(world["a"], world["sh_pick"]) == 0


def test_an_unpaid_order_is_held_and_a_disabled_rule_lets_notes_through(app, world):
    from dataclasses import replace

    from erp_core.orders.workflow import audit_order, audit_settings, save_audit_settings

    with app.app_context():
        assert audit_order(make_order("3", [("A", 1)], paid=False)).hold_reason == "unpaid"
        settings = audit_settings()
        save_audit_settings(replace(settings, buyer_note=replace(settings.buyer_note, enabled=False)))
        assert audit_order(make_order("4", [("A", 1)], note="fast please", phone="13700137000")).status == "released"


def test_a_kit_is_reserved_as_its_components(app, world):
    from erp_core.orders.allocation import pick_lines
    from erp_core.orders.services import get_order
    from erp_core.orders.workflow import approve_order

    with app.app_context():
        # K needs 2A + 1B: A only in SH1, B only in SZ1, so the order splits by warehouse
        order = approve_order(make_order("5", [("K", 1)]))
        parts = [order] + [get_order(i) for i in _children(order.id)]
        picked = sorted((line.sku.code, line.quantity) for part in parts for line in pick_lines(part))
        assert picked == [("A", 2), ("B", 1)]
        assert {p.status for p in parts} == {"released"}
        assert _reserved(world["a"], world["sh_pick"]) == 2 and _reserved(world["b"], world["sz_pick"]) == 1


def _children(order_id):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    return list(db.session.scalars(select(Order.id).where(Order.split_from_id == order_id)))


def test_an_order_that_no_warehouse_can_fill_is_split_and_the_rest_back_ordered(app, world):
    from erp_core.orders.services import get_order
    from erp_core.orders.workflow import approve_order

    with app.app_context():
        order = approve_order(make_order("6", [("A", 20)]))
        assert order.status == "released" and sum(line.quantity for line in order.lines) == 15
        (child_id,) = _children(order.id)
        child = get_order(child_id)
        assert child.status == "backordered" and child.lines[0].quantity == 5
        assert _reserved(world["a"], world["sh_pick"]) + _reserved(world["a"], world["sh_res"]) == 15


def test_back_order_mode_keeps_the_whole_order_waiting(app, world):
    from erp_core.orders.workflow import approve_order
    from erp_core.settings import put_setting

    with app.app_context():
        put_setting("allocation.policy", {"mode": "backorder"})
        order = approve_order(make_order("7", [("A", 20)]))
        assert order.status == "backordered" and _children(order.id) == []
        assert _reserved(world["a"], world["sh_pick"]) == 0


def test_the_warehouse_serving_the_buyers_province_is_preferred(app, world):
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order

    with app.app_context():
        receive(world["a"], world["sz_pick"], 10)
        order = approve_order(make_order("8", [("A", 2)], province="广东省"))
        assert order.warehouse_id == world["sz"]


def test_cancelling_a_released_order_gives_the_stock_back(app, world):
    from erp_core.orders.services import cancel_order
    from erp_core.orders.workflow import approve_order

    with app.app_context():
        order_id = approve_order(make_order("9", [("A", 4)])).id
        assert _reserved(world["a"], world["sh_pick"]) == 4
        cancel_order(order_id, "buyer asked")
        assert _reserved(world["a"], world["sh_pick"]) == 0


def test_bulk_actions_report_refusals_per_order(app, world):
    from erp_core.orders.workflow import bulk, reject_order

    with app.app_context():
        held = make_order("10", [("A", 1)])
        released = make_order("11", [("A", 1)])
        from erp_core.orders.workflow import approve_order

        approve_order(released)
        result = bulk(reject_order, [held, released], reason="fraud check")
        assert result.done == [held] and released in result.refused


def test_split_by_hand_moves_lines_and_keeps_the_trail(app, world):
    from erp_core.orders.services import get_order
    from erp_core.orders.workflow import split_order

    with app.app_context():
        order = get_order(make_order("12", [("A", 3), ("B", 1)]))
        line_a = next(line for line in order.lines if line.sku.code == "A")
        child = split_order(order.id, {line_a.id: 2})
        order = get_order(order.id)
        assert [(ln.sku.code, ln.quantity) for ln in order.lines] == [("A", 1), ("B", 1)]
        assert [(ln.sku.code, ln.quantity) for ln in child.lines] == [("A", 2)]
        assert child.split_from_id == order.id and order.goods_total == Decimal("20.00")
        assert "split" in [e.kind for e in order.events] and "split" in [e.kind for e in child.events]


def test_merge_joins_orders_of_the_same_buyer_and_refuses_others(app, world):
    from erp_core.orders.services import get_order
    from erp_core.orders.workflow import merge_orders

    with app.app_context():
        first, second = make_order("13", [("A", 1)]), make_order("14", [("B", 2)])
        stranger = make_order("15", [("A", 1)], phone="13900139000", name="李强")
        with pytest.raises(Conflict):
            merge_orders([first, stranger])
        target = merge_orders([first, second])
        assert target.id == first
        assert sorted((ln.sku.code, ln.quantity) for ln in target.lines) == [("A", 1), ("B", 2)]
        merged = get_order(second)
        assert merged.status == "cancelled" and merged.merged_into_id == first


def test_concurrent_allocations_never_over_reserve(app, world):
    import threading

    from erp_core.errors import DomainError
    from erp_core.extensions import db
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.orders.workflow import approve_order
    from erp_core.settings import put_setting

    with app.app_context():
        put_setting("allocation.policy", {"mode": "backorder"})
        ids = [make_order(f"c{i}", [("A", 2)]) for i in range(12)]  # 24 wanted, 15 on hand
    start = threading.Barrier(len(ids))
    errors = []

    def worker(order_id):
        with app.app_context():
            start.wait()
            try:
                approve_order(order_id)
            except DomainError as error:
                errors.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    with app.app_context():
        from erp_core.orders.models import Order

        reserved = _reserved(world["a"], world["sh_pick"]) + _reserved(world["a"], world["sh_res"])
        released = db.session.scalar(select(func.count(Order.id)).filter_by(status="released"))
        assert reserved == 2 * released <= 15
        assert released == 7  # 7 x 2 = 14 of the 15 units
        assert ledger_discrepancies() == []
