"""Statement files read into rows, and rows matched against orders: pure, no app, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_core.finance.reconciliation.matching import OrderFact, PoFact, RefundFact, match_bank, match_channel
from erp_core.finance.reconciliation.parsers import (
    StatementRefused,
    parse_alipay,
    parse_bank,
    parse_generic,
    parse_shopify,
    parse_signed,
    template_csv,
)
from tests.recon_helpers import alipay_log, bank_csv, generic_csv, shopify_payouts

TID = "3456789012345678901"
ALIPAY_ROWS = [
    ("20261201001", "2026120122001", f"T200P{TID}", "保温杯", "2026-12-01 10:00:00", "128.00", "0.00", "在线支付", "",
     f"M{TID}|S{TID}1"),
    ("20261201002", "2026120122002", "", "保温杯", "2026-12-01 10:00:05", "0.00", "3.84", "服务费",
     f"淘宝客佣金代扣款[{TID}]", ""),
    ("20261202003", "2026120222003", "", "", "2026-12-02 18:00:00", "0.00", "5000.00", "提现", "提现到银行卡", ""),
]


def test_an_alipay_account_log_is_read_from_gbk_between_its_header_and_footer_lines():
    parsed = parse_alipay("账务明细.csv", alipay_log(ALIPAY_ROWS))
    assert parsed.errors == []
    assert [r.kind for r in parsed.rows] == ["sale", "fee", "withdrawal"]
    sale, fee, withdrawal = parsed.rows
    assert sale.line == 6 and sale.amount == Decimal("128.00") and sale.external_ref == "20261201001"
    assert sale.references[0] == TID  # the Taobao order number inside T200P...
    assert fee.amount == Decimal("-3.84") and fee.fee_kind == "commission" and TID in fee.references
    assert withdrawal.amount == Decimal("-5000.00")
    assert parsed.period_start.isoformat() == "2026-11-30T16:00:00+00:00"  # 00:00 Beijing time
    assert parsed.currency == "CNY"


def test_a_file_that_is_not_an_alipay_log_is_refused_as_the_wrong_format():
    with pytest.raises(StatementRefused) as refused:
        parse_alipay("payouts.csv", shopify_payouts([("2026-12-01 10:00:00 -0500", "charge", "#1", "10.00", "0.59")]))
    assert refused.value.code == "wrong_format"


def test_a_file_in_no_known_encoding_is_refused_as_bad_encoding():
    with pytest.raises(StatementRefused) as refused:
        parse_alipay("log.csv", "#支付宝账务明细查询\r\n账务流水号,备注\r\n".encode("utf-16-le"))
    assert refused.value.code == "bad_encoding"


def test_a_bad_amount_in_an_alipay_log_is_reported_with_its_line_and_column():
    rows = [ALIPAY_ROWS[0][:5] + ("12元8角",) + ALIPAY_ROWS[0][6:]]
    parsed = parse_alipay("log.csv", alipay_log(rows))
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [(6, "收入金额（+元）", "bad_amount")]


def test_shopify_payout_transactions_carry_the_order_name_and_the_fee():
    parsed = parse_shopify("payment_transactions_export_1.csv", shopify_payouts([
        ("2026-12-01 10:00:00 -0500", "charge", "#1001", "45.00", "1.61"),
        ("2026-12-02 10:00:00 -0500", "refund", "#1001", "-10.00", "0.00"),
        ("2026-12-03 10:00:00 -0500", "payout", "", "-33.39", "0.00")]))
    assert parsed.errors == []
    charge, refund, payout = parsed.rows
    assert (charge.kind, charge.amount, charge.fee, charge.references) == ("sale", Decimal("45.00"), Decimal("1.61"),
                                                                          ["#1001", "1001"])
    assert (refund.kind, refund.amount) == ("refund", Decimal("-10.00"))
    assert payout.kind == "withdrawal" and parsed.currency == "USD"


def test_the_generic_template_signs_amounts_by_type_and_rejects_unknown_types():
    parsed = parse_generic("g.csv", generic_csv([("2026-12-01", "1001", "sale", "50.00", "1.00", "CNY", "r1"),
                                                 ("2026-12-01", "1001", "refund", "20.00", "", "CNY", "r2"),
                                                 ("2026-12-01", "1001", "gift", "1.00", "", "CNY", "r3")]))
    assert [r.amount for r in parsed.rows] == [Decimal("50.00"), Decimal("-20.00")]
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [(4, "type", "unknown_type")]


def test_the_downloadable_template_reads_back_as_a_generic_statement():
    assert len(parse_generic("template.csv", template_csv("generic")).rows) == 1
    assert parse_bank("bank.csv", template_csv("bank")).rows[0].kind == "payment"


@pytest.mark.parametrize(("text", "value"), [("-12.50", "-12.50"), ("+8", "8"), ("¥1,299.00", "1299.00"),
                                             ("(3.00)", "-3.00"), ("-$8.00", "-8.00"), ("$-8.00", "-8.00")])
def test_signed_amounts_are_read_in_the_ways_exports_write_them(text, value):
    assert parse_signed(text) == Decimal(value)


def _facts():
    paid = OrderFact(1, TID, Decimal("128.00"), "CNY")
    short = OrderFact(2, "3000000000000000002", Decimal("99.00"), "CNY")
    refunded = OrderFact(3, "3000000000000000003", Decimal("60.00"), "CNY",
                         (RefundFact(30, "RF-3", Decimal("20.00")),))
    return {o.external_id: o for o in (paid, short, refunded)}


def test_each_kind_of_difference_is_told_apart():
    orders = _facts()
    log = alipay_log([
        ALIPAY_ROWS[0],
        ("2", "b2", "T200P3000000000000000002", "x", "2026-12-01 11:00:00", "90.00", "", "在线支付", "", ""),
        ("3", "b3", "T200P9999999999999999999", "x", "2026-12-01 12:00:00", "10.00", "", "在线支付", "", ""),
        ALIPAY_ROWS[1]])
    result = match_channel(parse_alipay("log.csv", log).rows, orders, list(orders.values()))
    assert [(v.status, v.order_id) for v in result.verdicts] == [
        ("matched", 1), ("difference", 2), ("unexpected", None), ("info", 1), ("missing", 3)]
    assert result.verdicts[1].expected == Decimal("99.00")
    assert result.verdicts[4].expected == Decimal("40.00")  # 60 paid, 20 refunded


def test_a_refund_line_matches_the_case_and_the_sale_is_then_expected_gross():
    orders = _facts()
    log = alipay_log([("1", "b1", "T200P3000000000000000003", "x", "2026-12-01 11:00:00", "60.00", "", "在线支付", "",
                       ""),
                      ("2", "b2", "", "x", "2026-12-02 11:00:00", "", "20.00", "交易退款", "售后退款", "ORF-3 ORF-3")])
    rows = parse_alipay("log.csv", log).rows
    rows[1].references.insert(0, "RF-3")
    result = match_channel(rows, orders, [])
    assert [(v.status, v.case_id, v.expected) for v in result.verdicts] == [
        ("matched", None, Decimal("60.00")), ("matched", 30, Decimal("-20.00"))]


def test_a_bank_payment_matches_a_po_by_number_or_by_supplier_and_amount_due():
    pos = [PoFact(7, "PO-000007", ("Acme Trading", "ACME"), Decimal("500.00"), "CNY"),
           PoFact(8, "PO-000008", ("Bolt Ltd", "BOLT"), Decimal("120.00"), "CNY")]
    parsed = parse_bank("bank.csv", bank_csv([("2026-12-03", "payment PO-000007", "-500.00", "CNY", "", "Acme"),
                                              ("2026-12-03", "transfer", "-120.00", "CNY", "X1", "Bolt Ltd"),
                                              ("2026-12-03", "transfer", "-55.00", "CNY", "X2", "Nobody"),
                                              ("2026-12-04", "interest", "1.20", "CNY", "X3", "Bank")]))
    result = match_bank(parsed.rows, pos)
    assert [(v.status, v.po_id) for v in result.verdicts] == [("matched", 7), ("matched", 8), ("unexpected", None),
                                                              ("unexpected", None)]
