"""Settlement files into statement rows. Pure: bytes in, rows and row errors out (no Flask, no database).

- Alipay account log (支付宝账务明细), GBK CSV: "#支付宝账务明细查询", "#账号：[...]",
  "#起始日期：[...] 终止日期：[...]", a "#---账务明细列表---" line, the header
  (账务流水号, 业务流水号, 商户订单号, 商品名称, 发生时间, 对方账号,
  收入金额（+元）, 支出金额（-元）, 账户余额（元）, 交易渠道, 业务类型, 备注 and, in the
  Taobao settlement variant, 业务描述, 业务账单来源, 业务基础订单号, 业务订单号), cells padded with
  tabs, then "#---账务明细列表结束---" and "#支出合计/#收入合计/#导出时间" lines. A Taobao order's
  商户订单号 is "T200P<order number>"; 业务订单号 (biz_nos) lists M<main order>, S<sub order>,
  O<refund ...> numbers.
- Shopify Payments payout transactions export: Transaction Date, Type, Order, Card Brand, Card Source,
  Payout Status, Payout Date, Payout ID, Available On, Amount, Fee, Net, Checkout, Payment Method Name,
  Presentment Amount, Presentment Currency, Currency. Amount is signed (a refund is negative), Fee is
  what Shopify kept; Order is the order name (#1001).
- The generic template (date, order_number, type, amount, fee, currency, reference) and the bank
  statement (date, description, amount, currency, reference, counterparty), CSV or XLSX.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from erp_core.fileimport.columns import Columns, header_key
from erp_core.fileimport.errors import COMMON_REASONS, RowError, row_error
from erp_core.fileimport.limits import current_limits, guarded_rows
from erp_core.fileimport.tables import Table, UnreadableFile, decode_text, read_table
from erp_core.fileimport.values import SHANGHAI, clean, clean_code, parse_datetime, parse_money

REASONS: dict[str, str] = {
    **COMMON_REASONS,
    "wrong_format": "file is not in the chosen statement format",
    "bad_amount": "not a valid amount",
    "no_amount": "the line has no amount",
    "unknown_type": "type must be sale, refund or fee",
    "no_rows": "the statement has no lines",
}
GENERIC_HEADER = ("date", "order_number", "type", "amount", "fee", "currency", "reference")
BANK_HEADER = ("date", "description", "amount", "currency", "reference", "counterparty")


class StatementRefused(Exception):
    """The whole file cannot be read as the chosen format: `code` is a REASONS code."""

    def __init__(self, code: str, file: str) -> None:
        super().__init__(code)
        self.code = code
        self.error = row_error(file, None, "", code, reasons=REASONS)


@dataclass(slots=True)
class Row:
    line: int
    occurred_at: datetime
    kind: str  # sale | refund | fee | withdrawal | payment | other
    amount: Decimal  # signed: + money in, - money out
    currency: str
    references: list[str] = field(default_factory=list)  # order / case / PO numbers it may name, best first
    external_ref: str = ""
    description: str = ""
    counterparty: str = ""
    fee: Decimal = Decimal("0")  # a fee charged on this line (Shopify's Fee column), positive
    fee_kind: str = ""


@dataclass(slots=True)
class Parsed:
    rows: list[Row]
    errors: list[RowError]
    period_start: datetime | None = None
    period_end: datetime | None = None  # exclusive
    currency: str = "CNY"


def parse_signed(raw: str) -> Decimal:
    """A signed amount: ``-12.50``, ``+8``, ``¥1,299.00``, ``-$8.00``, ``(8.00)``."""
    text = clean_code(raw).replace(" ", "")
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("()").lstrip("+-")
    if text.startswith(("$", "¥", "￥", "€", "£")) and text[1:2] == "-":
        negative, text = True, text[0] + text[2:]
    value = parse_money(text)
    return -value if negative else value


# --- Alipay account log -----------------------------------------------------------------------------

_ALIPAY_COLUMNS = {
    "账务流水号": "external_ref", "业务流水号": "biz_ref", "商户订单号": "merchant_order", "商品名称": "title",
    "发生时间": "occurred_at", "入账时间": "occurred_at", "对方账号": "counterparty", "收入金额（+元）": "income",
    "收入金额(+元)": "income", "收入金额": "income", "支出金额（-元）": "expense", "支出金额(-元)": "expense",
    "支出金额": "expense", "账户余额（元）": "balance", "交易渠道": "pay_channel", "业务类型": "biz_type",
    "备注": "memo", "业务描述": "biz_desc", "业务账单来源": "bill_source", "业务基础订单号": "biz_orig_no",
    "业务订单号": "biz_nos",
}
_ALIPAY_ALIASES = {header_key(k): v for k, v in _ALIPAY_COLUMNS.items()}
_PERIOD_RE = re.compile(r"起始日期[:：]\s*\[([^\]]+)\].*?终止日期[:：]\s*\[([^\]]+)\]")
_TAOBAO_PREFIX_RE = re.compile(r"^T\d+P(\d+)$")  # T200P<tid> (Taobao/Tmall), T10000P<tid> (Fliggy)
_LONG_NUMBER_RE = re.compile(r"\d{10,}")
_FEE_WORDS = (("佣金", "commission"), ("淘宝客", "commission"), ("花呗", "payment_fee"),
              ("信用卡", "payment_fee"), ("手续费", "payment_fee"), ("技术服务费", "platform_fee"),
              ("软件服务费", "platform_fee"), ("服务费", "platform_fee"), ("运费险", "other"))


def classify_alipay(biz_type: str, memo: str, amount: Decimal) -> tuple[str, str]:
    """(kind, fee kind) of an account-log line from its 业务类型 and 备注."""
    text = f"{biz_type} {memo}"
    if "提现" in biz_type:
        return "withdrawal", ""
    if "退款" in biz_type or "售后退款" in memo:
        return "refund", ""
    for word, fee_kind in _FEE_WORDS:
        if word in text:
            return "fee", fee_kind
    if any(word in biz_type for word in ("在线支付", "交易付款", "交易收款", "交易", "收款")):
        return "sale", ""
    return ("sale", "") if amount > 0 and not biz_type else ("other", "")


def alipay_references(cells: dict[str, str]) -> list[str]:
    """The numbers a line may name an order or a refund by: the Taobao order number inside
    商户订单号 (T200P<tid>), 业务订单号 (M/S/O numbers), 业务基础订单号, 业务流水号, numbers in 备注."""
    found: list[str] = []
    merchant = cells.get("merchant_order", "")
    match = _TAOBAO_PREFIX_RE.match(merchant)
    found += [match.group(1)] if match else []
    found.append(merchant)
    for item in re.split(r"[|,;\s]+", cells.get("biz_nos", "")):
        if len(item) > 1 and item[0] in "MSO" and item[1:].isdigit():
            found.append(item[1:])
        elif item:
            found.append(item)
    found += [cells.get("biz_orig_no", ""), cells.get("biz_ref", "")]
    found += _LONG_NUMBER_RE.findall(cells.get("memo", "") + " " + cells.get("biz_desc", ""))
    return _unique(found)


def parse_alipay(name: str, data: bytes) -> Parsed:
    text = _decode(name, data)
    records = _csv_records(text)
    period = None
    header: list[str] | None = None
    header_line = 0
    for line, cells in records:
        first = clean(cells[0]) if cells else ""
        if first.startswith("#"):
            found = _PERIOD_RE.search(",".join(cells))
            if found:
                period = found.groups()
            continue
        if any(clean(c) for c in cells):
            header, header_line = [clean(c) for c in cells], line
            break
    if header is None:
        raise StatementRefused("wrong_format", name)
    columns = Columns.resolve(header, _ALIPAY_ALIASES)
    if not {"external_ref", "occurred_at", "income", "expense", "biz_type"} <= set(columns.found):
        raise StatementRefused("wrong_format", name)
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, cells in records:
        if cells and clean(cells[0]).startswith("#"):
            break  # the end-of-list marker; summary lines follow
        if not any(clean(c) for c in cells):
            continue
        values = {field_name: clean_code(columns.get(cells, field_name)) for field_name in columns.found}
        row = _alipay_row(name, line, values, columns, errors)
        if row is not None:
            rows.append(row)
    result = Parsed(rows, errors)
    if period is not None:
        try:
            result.period_start, result.period_end = (parse_datetime(p.strip()) for p in period)
        except ValueError:
            errors.append(row_error(name, header_line - 1, "起始日期", "bad_date", period[0], reasons=REASONS))
    return _finish(name, result)


def _alipay_row(name: str, line: int, values: dict[str, str], columns: Columns, errors: list[RowError]) -> Row | None:
    try:
        occurred = parse_datetime(values.get("occurred_at", ""), SHANGHAI)
    except ValueError:
        errors.append(row_error(name, line, columns.header("occurred_at"), "bad_date", values.get("occurred_at", ""),
                                reasons=REASONS))
        return None
    amounts = []
    for key in ("income", "expense"):
        raw = values.get(key, "")
        try:
            amounts.append(abs(parse_signed(raw)) if raw else Decimal("0"))
        except ValueError:
            errors.append(row_error(name, line, columns.header(key), "bad_amount", raw, reasons=REASONS))
            return None
    amount = amounts[0] - amounts[1]
    kind, fee_kind = classify_alipay(values.get("biz_type", ""), values.get("memo", ""), amount)
    description = " ".join(v for v in (values.get("biz_type", ""), values.get("title", ""), values.get("memo", ""))
                           if v)
    return Row(line=line, occurred_at=occurred, kind=kind, fee_kind=fee_kind, amount=amount, currency="CNY",
               references=alipay_references(values), external_ref=values.get("external_ref", ""),
               description=description[:255], counterparty=values.get("counterparty", "")[:120])


# --- Shopify payout transactions -----------------------------------------------------------------------

_SHOPIFY_COLUMNS = {"Transaction Date": "date", "Type": "type", "Order": "order", "Card Brand": "card_brand",
                    "Payout Status": "payout_status", "Payout Date": "payout_date", "Payout ID": "payout_id",
                    "Available On": "available_on", "Amount": "amount", "Fee": "fee", "Net": "net",
                    "Checkout": "checkout", "Currency": "currency"}
_SHOPIFY_ALIASES = {header_key(k): v for k, v in _SHOPIFY_COLUMNS.items()}
_SHOPIFY_KINDS = {"charge": "sale", "refund": "refund", "payout": "withdrawal", "adjustment": "other",
                  "chargeback": "refund", "dispute": "refund"}


def parse_shopify(name: str, data: bytes) -> Parsed:
    table = _table(name, data)
    columns = Columns.resolve(table.header, _SHOPIFY_ALIASES)
    if not {"date", "type", "amount", "fee", "net"} <= set(columns.found):
        raise StatementRefused("wrong_format", name)
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, get, occurred, amount in _money_lines(name, table, columns, errors):
        fee = _signed(name, line, columns, "fee", get("fee") or "0", errors)
        if occurred is None or amount is None or fee is None:
            continue
        order = get("order")
        type_ = get("type").lower()
        description = " ".join(v for v in (type_, get("card_brand"), get("payout_id")) if v)
        rows.append(Row(line=line, occurred_at=occurred, kind=_SHOPIFY_KINDS.get(type_, "other"), amount=amount,
                        fee=abs(fee), fee_kind="payment_fee" if fee else "",
                        currency=(get("currency") or "USD").upper(),
                        references=_unique([order, order.lstrip("#")]), external_ref=get("checkout")[:120],
                        description=description[:255]))
    return _finish(name, Parsed(rows, errors))


# --- the generic template and bank statements ---------------------------------------------------------

_GENERIC_ALIASES = {header_key(k): v for k, v in {
    "date": "date", "日期": "date", "order_number": "order_number", "order": "order_number", "订单号": "order_number",
    "type": "type", "类型": "type", "amount": "amount", "金额": "amount", "fee": "fee", "手续费": "fee",
    "currency": "currency", "币种": "currency", "reference": "reference", "参考号": "reference",
    "description": "description", "摘要": "description", "counterparty": "counterparty", "对方户名": "counterparty",
}.items()}
_GENERIC_TYPES = {"sale": "sale", "销售": "sale", "收款": "sale", "refund": "refund", "退款": "refund",
                  "fee": "fee", "费用": "fee", "手续费": "fee"}


def parse_generic(name: str, data: bytes) -> Parsed:
    """The downloadable template: a sale is money in, a refund and a fee money out, whatever the sign."""
    table = _table(name, data)
    columns = Columns.resolve(table.header, _GENERIC_ALIASES)
    if columns.missing(("date", "order_number", "type", "amount")):
        raise StatementRefused("wrong_format", name)
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, get, occurred, amount in _money_lines(name, table, columns, errors):
        fee = _signed(name, line, columns, "fee", get("fee") or "0", errors)
        kind = _GENERIC_TYPES.get(get("type").lower())
        if kind is None:
            errors.append(row_error(name, line, columns.header("type"), "unknown_type", get("type"), reasons=REASONS))
        if occurred is None or amount is None or fee is None or kind is None:
            continue
        order = get("order_number")
        signed = abs(amount) if kind == "sale" else -abs(amount)
        rows.append(Row(line=line, occurred_at=occurred, kind=kind, amount=signed,
                        fee=abs(fee), fee_kind="other" if kind == "fee" else ("payment_fee" if fee else ""),
                        currency=(get("currency") or "CNY").upper(), references=_unique([order, order.lstrip("#")]),
                        external_ref=get("reference")[:120], description=get("description")[:255]))
    return _finish(name, Parsed(rows, errors))


def parse_bank(name: str, data: bytes) -> Parsed:
    """A bank statement: money out (negative) is a payment, presumably to a supplier."""
    table = _table(name, data)
    columns = Columns.resolve(table.header, _GENERIC_ALIASES)
    if columns.missing(("date", "description", "amount")):
        raise StatementRefused("wrong_format", name)
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, get, occurred, amount in _money_lines(name, table, columns, errors):
        if occurred is None or amount is None:
            continue
        reference, description = get("reference"), get("description")
        rows.append(Row(line=line, occurred_at=occurred, kind="payment" if amount < 0 else "other", amount=amount,
                        currency=(get("currency") or "CNY").upper(), references=_unique([reference, description]),
                        external_ref=reference[:120], description=description[:255],
                        counterparty=get("counterparty")[:120]))
    return _finish(name, Parsed(rows, errors))


PARSERS = {"alipay": parse_alipay, "shopify": parse_shopify, "generic": parse_generic, "bank": parse_bank}


def parse_statement(fmt: str, name: str, data: bytes) -> Parsed:
    """Rows of a file in format `fmt`. Raises StatementRefused (bad_encoding, wrong_format, ...)."""
    return PARSERS[fmt](name, data)


def template_csv(fmt: str) -> bytes:
    """The empty template of the generic or bank format (UTF-8 with BOM, so Excel shows Chinese)."""
    header = GENERIC_HEADER if fmt == "generic" else BANK_HEADER
    example = (("2026-12-01", "#1001", "sale", "128.00", "3.20", "CNY", "T-0001") if fmt == "generic"
               else ("2026-12-01", "PO-000001 payment", "-500.00", "CNY", "PO-000001", "Acme Trading"))
    return ("\ufeff" + ",".join(header) + "\r\n" + ",".join(example) + "\r\n").encode("utf-8")


# --- helpers ------------------------------------------------------------------------------------------

def _money_lines(name: str, table, columns: Columns, errors: list[RowError]):
    """The table's non-empty lines as (line, get(column key) -> cleaned text, date, signed amount); a
    date or an amount that cannot be read is reported in `errors` and given as None."""
    for line, cells in table.rows:
        if not any(clean(c) for c in cells):
            continue
        get = lambda key, cells=cells: clean_code(columns.get(cells, key))  # noqa: E731
        occurred = _when(name, line, columns, "date", get("date"), errors, SHANGHAI)
        amount = _signed(name, line, columns, "amount", get("amount"), errors)
        yield line, get, occurred, amount


def _decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise StatementRefused("empty_file", name)
    try:
        return decode_text(data)
    except UnreadableFile as error:
        raise StatementRefused(error.code, name) from error


def _table(name: str, data: bytes) -> Table:
    try:
        return read_table(name, data)
    except UnreadableFile as error:
        raise StatementRefused(error.code, name) from error


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV, within the upload limits (rows, cell length) every import applies."""
    try:
        yield from guarded_rows(_raw_records(text), (), current_limits())
    except UnreadableFile as error:
        raise StatementRefused(error.code, "") from error


def _raw_records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            yield start, record
    except csv.Error as error:
        raise StatementRefused("unreadable_file", "") from error


def _when(name, line, columns, key, raw, errors, tz: tzinfo) -> datetime | None:
    try:
        return parse_datetime(raw, tz)
    except ValueError:
        errors.append(row_error(name, line, columns.header(key), "bad_date", raw, reasons=REASONS))
        return None


def _signed(name, line, columns, key, raw, errors) -> Decimal | None:
    if not raw:
        errors.append(row_error(name, line, columns.header(key), "no_amount", raw, reasons=REASONS))
        return None
    try:
        return parse_signed(raw)
    except ValueError:
        errors.append(row_error(name, line, columns.header(key), "bad_amount", raw, reasons=REASONS))
        return None


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = clean(value)
        if value and value not in seen:
            seen.append(value)
    return seen


def _finish(name: str, parsed: Parsed) -> Parsed:
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(row_error(name, None, "", "no_rows", reasons=REASONS))
    if parsed.rows:
        currencies = {row.currency for row in parsed.rows}
        parsed.currency = currencies.pop() if len(currencies) == 1 else parsed.rows[0].currency
        if parsed.period_start is None:
            first = min(row.occurred_at for row in parsed.rows)
            last = max(row.occurred_at for row in parsed.rows)
            local_first, local_last = first.astimezone(SHANGHAI), last.astimezone(SHANGHAI)
            parsed.period_start = local_first.replace(hour=0, minute=0, second=0, microsecond=0)
            parsed.period_end = local_last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    parsed.errors.sort(key=lambda e: e.line or 0)
    return parsed
