"""Finance arithmetic, worked by hand: moving-average cost, base amounts, margins, statements."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817  (the figures read as in a ledger)

from erp_core.finance import domain


def test_the_first_receipt_sets_the_average_to_its_cost():
    assert domain.moving_average(0, D("0"), 10, D("5")) == D("5.0000")


def test_a_second_receipt_at_another_cost_weights_both_by_quantity():
    # (10 x 5.00 + 10 x 10.00) / 20 = 7.50
    assert domain.moving_average(10, D("5"), 10, D("10")) == D("7.5000")


def test_units_that_are_not_there_carry_no_weight():
    # stock counted below zero by the books never drags the new average
    assert domain.moving_average(-3, D("99"), 4, D("12")) == D("12.0000")


def test_a_return_at_the_cost_it_left_with_moves_the_average_a_little():
    # (20 x 8.40 + 1 x 7.50) / 21 = 8.357142... -> 8.3571
    assert domain.moving_average(20, D("8.40"), 1, D("7.50")) == D("8.3571")


def test_base_amounts_are_kept_in_balance_when_rounding_splits_a_cent():
    # 0.33 + 0.33 + 0.34 at 7.1234 round to 2.35 + 2.35 + 2.42 = 7.12 against 7.12 or a cent off: never off
    lines = [(D("1.00"), D("0")), (D("0"), D("0.33")), (D("0"), D("0.33")), (D("0"), D("0.34"))]
    based = domain.base_amounts(lines, D("7.1234"))
    assert sum(d for d, _ in based) == sum(c for _, c in based)


def test_the_fx_difference_is_what_the_settlement_costs_beyond_what_was_booked():
    assert domain.fx_difference(D("10"), D("7.00"), D("7.20")) == D("2.00")


def test_the_discount_is_what_the_lines_add_up_to_above_the_goods_total():
    assert domain.discount_of(D("78"), [D("80")]) == D("2.00")
    assert domain.discount_of(D("90"), [D("80")]) == D("0")


def test_the_gross_margin_takes_every_cost_from_what_the_buyer_paid():
    m = domain.Margin(key="T-1", revenue=D("80"), discount=D("2"), shipping_charged=D("6"), cogs=D("30"),
                      shipping_cost=D("5"), fees=D("3.20"))
    assert m.net_revenue == D("84") and m.gross_margin == D("45.80") and m.margin_pct == D("54.5")  # 84 - 30 - 5 - 3.20
    assert domain.Margin(key="free").margin_pct is None


def test_the_balance_sheet_ties_out_with_the_profit_not_yet_closed():
    balances = [domain.Balance("1002", "Bank", "asset", D("1000"), D("30")),
                domain.Balance("1405", "Stock", "asset", D("50"), D("15")),
                domain.Balance("1122", "Receivable", "asset", D("60"), D("0")),
                domain.Balance("2202", "Payable", "liability", D("30"), D("50")),
                domain.Balance("3001", "Capital", "equity", D("0"), D("1000")),
                domain.Balance("5001", "Revenue", "income", D("0"), D("60")),
                domain.Balance("5401", "COGS", "expense", D("15"), D("0"))]
    sheet = domain.balance_sheet(balances)
    assert sheet["assets"].total == D("1065") and sheet["profit"] == D("45") and sheet["ties_out"]
    assert domain.profit_and_loss(balances)["net_income"] == D("45")


def test_cash_flow_attributes_each_cash_movement_to_the_other_accounts_of_its_entry():
    entries = [[("1002", "Bank", D("1000")), ("3001", "Capital", D("-1000"))],
               [("2202", "Payable", D("30")), ("1002", "Bank", D("-30"))],
               [("5602", "Rent", D("20")), ("5603", "Fees", D("10")), ("1002", "Bank", D("-30"))],
               [("5001", "Revenue", D("-5")), ("1122", "Receivable", D("5"))]]  # no cash: left out
    flows = domain.cash_flow(entries, frozenset({"1002"}))
    assert flows == {"3001 Capital": D("1000"), "2202 Payable": D("-30"), "5602 Rent": D("-20"),
                     "5603 Fees": D("-10")}
