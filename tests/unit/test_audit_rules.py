"""Order audit rules: approve, hold with reasons, or reject; plus properties over many orders."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erp_core.orders.audit import (
    APPROVED,
    HELD,
    REASON_ORDER,
    REJECTED,
    AuditContext,
    AuditLine,
    AuditOrder,
    evaluate,
    is_mainland_mobile,
    with_rule,
)
from erp_core.orders.audit_rules import HOLD_RULES, AmountRule, BlacklistRule, DuplicateRule, RuleSettings

NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
SEVERITY = {APPROVED: 0, HELD: 1, REJECTED: 2}


def clean_order(**changes: object) -> AuditOrder:
    """A paid order to a complete mainland address, in stock, with nothing unusual about it."""
    order = AuditOrder(
        order_id="TB-1001", channel="tmall-flagship", paid=True, total=Decimal("384.00"), buyer_id="小明爱喝茶",
        name="王小明", phone="13800138000", province="浙江省", city="杭州市", district="西湖区",
        address="文三路478号华星时代广场A座1201", postcode="310012",
        lines=(AuditLine("TEA-LJ-250", 2), AuditLine("MUG-CER-350", 1)), created_at=NOON,
    )
    return replace(order, **changes)


# --- examples ------------------------------------------------------------------------------------


def test_a_paid_order_with_a_complete_address_and_stock_is_approved() -> None:
    decision = evaluate(clean_order())
    assert decision.outcome == APPROVED
    assert decision.reasons == []


def test_an_unpaid_order_is_held() -> None:
    decision = evaluate(clean_order(paid=False))
    assert (decision.outcome, decision.codes) == (HELD, ["unpaid"])


def test_an_unpaid_cancelled_order_is_rejected() -> None:
    decision = evaluate(clean_order(paid=False, cancelled=True))
    assert (decision.outcome, decision.codes) == (REJECTED, ["cancelled_unpaid"])


def test_a_paid_then_cancelled_order_is_held_for_a_refund() -> None:
    decision = evaluate(clean_order(cancelled=True))
    assert (decision.outcome, decision.codes) == (HELD, ["cancelled_after_payment"])


@pytest.mark.parametrize(("field", "code"), [("buyer_note", "buyer_note"), ("seller_note", "seller_note")])
def test_a_note_holds_the_order_and_is_quoted_in_the_message(field: str, code: str) -> None:
    # given a buyer asking for Friday delivery
    decision = evaluate(clean_order(**{field: " 请周五前送到 "}))
    # then the order is held and a person can read the note in the reason
    assert (decision.outcome, decision.codes) == (HELD, [code])
    assert decision.reasons[0].params == {"note": "请周五前送到"}
    assert "请周五前送到" in decision.reasons[0].message_en


def test_a_whitespace_only_note_is_no_note() -> None:
    assert evaluate(clean_order(buyer_note="  \n ")).outcome == APPROVED


def test_an_amount_above_the_threshold_is_held_and_at_the_threshold_is_not() -> None:
    rules = RuleSettings(amount=AmountRule(threshold=Decimal("1000")))
    assert evaluate(clean_order(total=Decimal("1000.00")), rules).outcome == APPROVED
    decision = evaluate(clean_order(total=Decimal("1000.01")), rules)
    assert decision.codes == ["amount_above_threshold"]
    assert decision.reasons[0].params == {"total": "1000.01", "currency": "CNY", "threshold": "1000"}


def test_a_blacklisted_phone_is_matched_whatever_its_formatting() -> None:
    rules = RuleSettings(blacklist=BlacklistRule(phones=frozenset({"+86 138-0013-8000"})))
    decision = evaluate(clean_order(), rules)
    assert (decision.outcome, decision.codes) == (HELD, ["blacklisted"])
    assert decision.reasons[0].params == {"matched": "phone"}


def test_a_blacklisted_buyer_is_rejected_when_the_shop_says_reject() -> None:
    rules = RuleSettings(blacklist=BlacklistRule(buyer_ids=frozenset({"小明爱喝茶"}), action="reject"))
    decision = evaluate(clean_order(buyer_note="快点发货"), rules)
    # then rejected, and the rejecting reason is listed before the holding one
    assert (decision.outcome, decision.codes) == (REJECTED, ["blacklisted", "buyer_note"])


def test_a_second_order_of_the_same_buyer_to_the_same_address_within_the_window_is_held() -> None:
    # given an open order from the same buyer, same address typed with different spacing, 3 hours earlier
    earlier = clean_order(order_id="TB-0999", created_at=NOON - timedelta(hours=3),
                          address="文三路478号 华星时代广场 A座1201")
    # when audited against it
    decision = evaluate(clean_order(), context=AuditContext(open_orders=[earlier]))
    # then held as a suspected duplicate naming the other order
    assert decision.codes == ["suspected_duplicate"]
    assert decision.reasons[0].params == {"orders": "TB-0999", "hours": "24"}


@pytest.mark.parametrize(
    "other",
    [
        clean_order(order_id="TB-0999", created_at=NOON - timedelta(hours=25)),  # outside the window
        clean_order(order_id="TB-0999", address="文三路100号"),  # another address
        clean_order(order_id="TB-0999", buyer_id="someone-else", phone="13900000000"),  # another buyer
        clean_order(order_id="TB-0999", cancelled=True),  # not open any more
        clean_order(),  # the order itself
    ],
)
def test_orders_that_are_not_duplicates_do_not_hold(other: AuditOrder) -> None:
    assert evaluate(clean_order(), context=AuditContext(open_orders=[other])).outcome == APPROVED


def test_the_duplicate_window_is_configurable() -> None:
    earlier = clean_order(order_id="TB-0999", created_at=NOON - timedelta(hours=30))
    rules = RuleSettings(duplicate=DuplicateRule(window_hours=48))
    assert evaluate(clean_order(), rules, AuditContext([earlier])).codes == ["suspected_duplicate"]


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"province": ""}, ["address_incomplete"]),
        ({"address": "", "city": ""}, ["address_incomplete"]),
        ({"address": "邮政信箱 1024号"}, ["po_box"]),
        ({"address": "北京市8888信箱", "country": "CN"}, ["po_box"]),
        ({"address": "1号"}, ["address_too_short"]),
        ({"phone": "138****8000"}, ["bad_mobile"]),
        ({"phone": "0571-88888888"}, ["bad_mobile"]),
        ({"phone": "+86 139 1688 1234"}, []),
    ],
)
def test_address_problems_hold_the_order(changes: dict[str, str], codes: list[str]) -> None:
    assert evaluate(clean_order(**changes)).codes == codes


def test_an_incomplete_address_names_what_is_missing() -> None:
    decision = evaluate(clean_order(address="", city=""))
    assert decision.reasons[0].params == {"missing": "city, address"}


def test_foreign_addresses_need_no_province_and_no_chinese_mobile() -> None:
    order = clean_order(country="US", province="", city="Cambridge", address="12 Fictional Lane, Apt 3B",
                        phone="+1 617-555-0101")
    assert evaluate(order).outcome == APPROVED
    assert evaluate(replace(order, address="PO Box 1234")).codes == ["po_box"]


def test_stock_shortage_per_sku_holds_the_order_and_names_the_skus() -> None:
    order = clean_order(lines=(AuditLine("TEA-LJ-250", 2), AuditLine("TEA-LJ-250", 1), AuditLine("MUG", 1)),
                        stock_available={"TEA-LJ-250": 2, "MUG": 5})
    decision = evaluate(order)
    assert decision.codes == ["out_of_stock"]
    assert decision.reasons[0].params == {"skus": "TEA-LJ-250"}


def test_switching_auto_approval_off_holds_even_a_clean_order() -> None:
    rules = with_rule(RuleSettings(), "auto_approve", False)
    assert evaluate(clean_order(), rules).codes == ["auto_approve_off"]


def test_rule_settings_survive_a_round_trip_through_json_data() -> None:
    rules = RuleSettings(amount=AmountRule(threshold=Decimal("888.88")),
                         blacklist=BlacklistRule(phones=frozenset({"13800138000"}), action="reject"))
    data = rules.to_dict()
    assert data["amount"] == {"enabled": True, "threshold": "888.88"}
    assert RuleSettings.from_dict(data) == rules


@pytest.mark.parametrize("data", [{"amonut": {}}, {"amount": {"limit": 5}}, {"blacklist": {"action": "ban"}},
                                  {"buyer_note": {"enabled": "no"}}])
def test_stored_settings_with_typos_are_refused(data: dict[str, dict[str, object]]) -> None:
    with pytest.raises(ValueError):
        RuleSettings.from_dict(data)


def test_mainland_mobiles_are_recognised() -> None:
    assert is_mainland_mobile("13800138000") and is_mainland_mobile("+86 199-0000-1111")
    assert not is_mainland_mobile("12800138000") and not is_mainland_mobile("1380013800")


# --- properties ----------------------------------------------------------------------------------

texts = st.sampled_from(["", " ", "请周五前送到", "PO Box 12", "1号", "文三路478号华星时代广场A座1201"])
phones = st.sampled_from(["", "13800138000", "+86 139 1688 1234", "138****8000", "0571-88888888"])
provinces = st.sampled_from(["", "浙江省", "上海市"])
stock = st.one_of(st.booleans(), st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(0, 5)))
orders = st.builds(
    AuditOrder,
    order_id=st.sampled_from(["O1", "O2", "O3"]),
    paid=st.booleans(),
    cancelled=st.booleans(),
    total=st.decimals(min_value=0, max_value=20000, places=2),
    buyer_id=st.sampled_from(["", "buyer-a", "buyer-b"]),
    name=st.sampled_from(["", "王小明"]),
    phone=phones,
    country=st.sampled_from(["CN", "", "US"]),
    province=provinces,
    city=st.sampled_from(["", "杭州市"]),
    address=texts,
    buyer_note=texts,
    seller_note=texts,
    lines=st.lists(st.builds(AuditLine, st.sampled_from(["A", "B", "C"]), st.integers(1, 4)), max_size=3)
    .map(tuple),
    created_at=st.one_of(st.none(), st.integers(0, 72).map(lambda h: NOON + timedelta(hours=h))),
    stock_available=stock,
)
rule_settings = st.builds(
    RuleSettings,
    buyer_note=st.builds(type(RuleSettings().buyer_note), enabled=st.booleans()),
    seller_note=st.builds(type(RuleSettings().seller_note), enabled=st.booleans()),
    amount=st.builds(AmountRule, enabled=st.booleans(), threshold=st.decimals(0, 10000, places=0)),
    blacklist=st.builds(BlacklistRule, enabled=st.booleans(),
                        buyer_ids=st.frozensets(st.sampled_from(["buyer-a", "buyer-b"])),
                        phones=st.frozensets(st.sampled_from(["13800138000"])),
                        action=st.sampled_from(["hold", "reject"])),
    duplicate=st.builds(DuplicateRule, enabled=st.booleans(), window_hours=st.integers(1, 72)),
)
contexts = st.lists(orders, max_size=4).map(lambda found: AuditContext(open_orders=found))


@settings(max_examples=200)
@given(order=orders, rules=rule_settings, context=contexts)
def test_the_outcome_always_agrees_with_the_reasons(order: AuditOrder, rules: RuleSettings,
                                                    context: AuditContext) -> None:
    decision = evaluate(order, rules, context)
    if decision.outcome == APPROVED:
        assert decision.reasons == []
    elif decision.outcome == HELD:
        assert decision.reasons and not any(reason.rejects for reason in decision.reasons)
    else:
        assert any(reason.rejects for reason in decision.reasons)


@settings(max_examples=200)
@given(order=orders, rules=rule_settings, context=contexts)
def test_reasons_are_listed_in_a_fixed_order(order: AuditOrder, rules: RuleSettings,
                                             context: AuditContext) -> None:
    reasons = evaluate(order, rules, context).reasons
    keys = [(not reason.rejects, REASON_ORDER[reason.code]) for reason in reasons]
    assert keys == sorted(keys)
    assert len({reason.code for reason in reasons}) == len(reasons)


@settings(max_examples=150)
@given(order=orders, rules=rule_settings, context=contexts, seed=st.integers())
def test_the_decision_does_not_depend_on_the_order_of_the_candidates(
        order: AuditOrder, rules: RuleSettings, context: AuditContext, seed: int) -> None:
    shuffled = list(context.open_orders)
    random.Random(seed).shuffle(shuffled)
    assert evaluate(order, rules, context) == evaluate(order, rules, AuditContext(shuffled))


@settings(max_examples=200)
@given(order=orders, rules=rule_settings, context=contexts)
def test_with_every_hold_rule_off_a_paid_complete_order_in_stock_is_approved(
        order: AuditOrder, rules: RuleSettings, context: AuditContext) -> None:
    # given any order made paid, not cancelled, with lines, stock and a complete address
    ready = replace(order, paid=True, cancelled=False, lines=order.lines or (AuditLine("A", 1),),
                    stock_available=True, name="王小明", phone="13800138000", province="浙江省",
                    city="杭州市", address="文三路478号")
    # when audited with every hold rule switched off
    decision = evaluate(ready, rules.with_hold_rules(False), context)
    # then nothing can hold it
    assert decision.outcome == APPROVED


@settings(max_examples=300)
@given(order=orders, rules=rule_settings, context=contexts, rule=st.sampled_from(HOLD_RULES))
def test_enabling_a_rule_never_lets_more_orders_through(order: AuditOrder, rules: RuleSettings,
                                                        context: AuditContext, rule: str) -> None:
    # given the same order audited with one hold rule off, then on
    before = evaluate(order, with_rule(rules, rule, False), context)
    after = evaluate(order, with_rule(rules, rule, True), context)
    # then the outcome is at least as strict and no reason disappears
    assert SEVERITY[after.outcome] >= SEVERITY[before.outcome]
    assert set(before.codes) <= set(after.codes)


@settings(max_examples=150)
@given(order=orders, rules=rule_settings, context=contexts)
def test_unpaid_or_cancelled_orders_are_never_approved(order: AuditOrder, rules: RuleSettings,
                                                       context: AuditContext) -> None:
    decision = evaluate(replace(order, paid=False), rules.with_hold_rules(False), context)
    assert decision.outcome != APPROVED
    assert evaluate(replace(order, cancelled=True), rules, context).outcome != APPROVED
