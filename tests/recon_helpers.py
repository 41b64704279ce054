"""Statement files in the platforms' real export formats, made in the test."""

from __future__ import annotations

ALIPAY_HEADER = ("账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,"
                 "账户余额（元）,交易渠道,业务类型,备注,业务描述,业务账单来源,业务基础订单号,业务订单号")


def alipay_log(rows: list[tuple], *, start: str = "2026年12月01日 00:00:00", end: str = "2026年12月08日 00:00:00",
               encoding: str = "gbk") -> bytes:
    """An account log as 支付宝 exports it: GBK, metadata lines, tab-padded cells, footer lines.

    rows: (流水号, 业务流水号, 商户订单号, 商品名称, 发生时间, 收入, 支出, 业务类型, 备注, 业务订单号)."""
    lines = ["#支付宝账务明细查询", "#账号：[20880011223344550156]",
             f"#起始日期：[{start}]   终止日期：[{end}]",
             "#-----------------------------------------账务明细列表----------------------------------------",
             ALIPAY_HEADER]
    balance = 10000
    for log_id, biz, merchant, title, when, income, expense, biz_type, memo, biz_nos in rows:
        balance += _number(income) - _number(expense)
        lines.append(f"{log_id}\t,{biz}\t,{merchant}\t,{title}\t,{when},买家 (buyer@example.com)\t,{income},"
                     f"{expense},{balance:.2f},支付宝,{biz_type},{memo},{biz_type},淘宝,{biz},{biz_nos}")
    lines += ["#----------------------------------------账务明细列表结束-------------------------------------",
              f"#支出合计：{sum(1 for r in rows if _number(r[6]))}笔",
              f"#收入合计：{sum(1 for r in rows if _number(r[5]))}笔",
              "#导出时间：[2026年12月08日 09:15:01]"]
    return "\r\n".join(lines).encode(encoding)


def _number(text: str) -> float:
    try:
        return float(text or 0)
    except ValueError:  # a deliberately bad cell
        return 0.0


SHOPIFY_HEADER = ("Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,"
                  "Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,"
                  "Currency")


def shopify_payouts(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """A Shopify Payments payout transactions export. rows: (date, type, order, amount, fee)."""
    lines = [SHOPIFY_HEADER]
    for i, (when, kind, order, amount, fee) in enumerate(rows, start=1):
        net = f"{float(amount) - float(fee):.2f}"
        lines.append(f"{when},{kind},{order},visa,online,paid,2026-12-05,14815657{i},2026-12-05,{amount},{fee},{net},"
                     f"#4368532979{i},card,{amount},USD,USD")
    return ("\n".join(lines) + "\n").encode("utf-8")


def generic_csv(rows: list[tuple[str, ...]]) -> bytes:
    lines = ["date,order_number,type,amount,fee,currency,reference", *(",".join(r) for r in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def bank_csv(rows: list[tuple[str, ...]]) -> bytes:
    lines = ["date,description,amount,currency,reference,counterparty", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
