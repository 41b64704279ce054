"""The after-sales rules, pure: where a case goes after approval, when it may be refunded or
completed, what is left to claim of a line, what is left to refund, which lot a returned unit
goes back to, and how an inspection is taken from the receipts."""

from __future__ import annotations

from decimal import Decimal

from erp_core.aftersales import domain
from erp_core.aftersales.domain import LineLimit, OpenReceipt


def test_goods_coming_back_wait_for_them_after_approval_and_the_others_stay_approved():
    assert domain.status_after_approval("return_refund") == "awaiting_return"
    assert domain.status_after_approval("exchange") == "awaiting_return"
    assert domain.status_after_approval("refund_only") == "approved"
    assert domain.status_after_approval("resend") == "approved"


def test_every_status_reached_by_the_table_is_a_known_status_and_final_ones_go_nowhere():
    for start, targets in domain.TRANSITIONS.items():
        assert start in domain.CASE_STATUSES and targets <= set(domain.CASE_STATUSES)
    assert all(not domain.TRANSITIONS[s] for s in domain.FINAL_STATUSES)


def test_a_return_is_refunded_only_once_inspected_and_a_refund_only_case_once_approved():
    assert domain.may_refund("return_refund", "inspected")
    assert not domain.may_refund("return_refund", "awaiting_return")
    assert domain.may_refund("refund_only", "approved") and not domain.may_refund("refund_only", "requested")
    assert not domain.may_refund("exchange", "inspected")


def test_an_exchange_completes_once_inspected_and_a_resend_once_approved():
    assert domain.may_complete("exchange", "inspected") and not domain.may_complete("exchange", "approved")
    assert domain.may_complete("resend", "approved")
    assert not domain.may_complete("return_refund", "inspected")


def test_a_line_asking_for_more_than_is_left_is_over_its_limit():
    limits = {1: LineLimit(1, "A", allowed=2, claimed=1), 2: LineLimit(2, "B", allowed=1, claimed=0)}
    assert domain.over_limits({1: 1, 2: 1}, limits) == []
    over = domain.over_limits({1: 2, 3: 1}, limits)
    assert [(o.order_line_id, o.wanted, o.left) for o in over] == [(1, 2, 1), (3, 1, 0)]


def test_what_is_left_to_refund_is_what_was_paid_less_other_refunds_never_below_zero():
    assert domain.refundable(Decimal("30.00"), Decimal("12.50")) == Decimal("17.50")
    assert domain.refundable(Decimal("10"), Decimal("25")) == Decimal("0.00")


def test_a_returned_unit_goes_back_to_the_only_lot_still_out_or_the_station_asks():
    assert domain.lot_to_receive({None: 2}, {}) is None
    assert domain.lot_to_receive({7: 1, 8: 1}, {}) == "ask"
    assert domain.lot_to_receive({7: 1, 8: 1}, {8: 1}) == 7
    assert domain.lot_to_receive({7: 1, 8: 1}, {}, chosen=8) == 8
    assert domain.lot_to_receive({7: 1}, {7: 1}) == "none"
    assert domain.lot_to_receive({7: 1}, {}, chosen=9) == "none"


def test_an_inspection_takes_the_oldest_receipts_first_and_nothing_when_they_hold_too_few():
    receipts = [OpenReceipt(1, 7, 1), OpenReceipt(2, 8, 2)]
    assert domain.take_from_receipts(receipts, 2) == [(1, 1), (2, 1)]
    assert domain.take_from_receipts(receipts, 2, 8, any_lot=False) == [(2, 2)]
    assert domain.take_from_receipts(receipts, 4) == []
