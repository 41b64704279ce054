"""Taobao/Tmall seller export pair: 订单报表 (one row per order) + 宝贝报表 (one row per line).

The two files are joined on 订单编号. Exports are GBK text; long order numbers arrive as ``="..."``,
with a leading apostrophe or tab, or ruined by Excel. Excel's damage comes in two kinds:

* scientific notation (``2.34568E+18``): the digits are gone. Such a number is resolved only when
  exactly one full order number in the *other* report rounds to it (same digit count, equal to the
  mantissa when rounded half-up to the mantissa's digits); otherwise ``mangled_order_number``.
* more than 15 digits ending in zeros (Excel keeps 15 significant digits): when the other report has
  exactly one number with the same length and first 15 digits, that number is used.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo

from erp_core.channels.importers.address import split_cn_address
from erp_core.channels.importers.assembly import Draft
from erp_core.channels.importers.model import ParsedLine, ParsedOrder, order_error
from erp_core.fileimport.columns import Columns, header_key
from erp_core.fileimport.errors import RowError
from erp_core.fileimport.tables import Table
from erp_core.fileimport.values import (
    clean,
    clean_code,
    is_scientific,
    parse_money,
    parse_quantity,
    scientific_range,
)

ORDER_COLUMNS: dict[str, str] = {
    "订单编号": "external_id", "买家会员名": "buyer_id", "买家应付货款": "goods_amount",
    "买家应付邮费": "shipping_fee", "运费": "shipping_fee", "总金额": "total",
    "买家实际支付金额": "paid_amount", "订单状态": "status", "买家留言": "buyer_note",
    "收货人姓名": "name", "收货地址": "address", "联系电话": "tel", "联系手机": "phone",
    "订单创建时间": "created_at", "订单付款时间": "paid_at", "宝贝总数量": "item_count",
    "商家备注": "seller_note", "订单备注": "seller_note", "卖家备注": "seller_note",
}
ITEM_COLUMNS: dict[str, str] = {
    "订单编号": "external_id", "标题": "title", "价格": "unit_price", "购买数量": "quantity",
    "商家编码": "sku", "外部系统编号": "outer_id", "订单状态": "status",
}
ORDER_REQUIRED = ("订单编号", "收货人姓名", "收货地址", "订单创建时间", "订单状态")
ITEM_REQUIRED = ("订单编号", "价格", "购买数量")
EXCEL_DIGITS = 15
_CODE_FIELDS = frozenset({"phone", "tel", "buyer_id"})  # may carry Excel's '="..."' or apostrophe
_ORDER_ALIASES = {header_key(k): v for k, v in ORDER_COLUMNS.items()}
_ITEM_ALIASES = {header_key(k): v for k, v in ITEM_COLUMNS.items()}

SkuPredicate = Callable[[str], bool] | None


def looks_like_taobao_orders(header: list[str]) -> bool:
    """订单报表 has 订单编号 and the one-string 收货地址."""
    keys = {header_key(cell) for cell in header}
    return {"订单编号", "收货地址"} <= keys and bool({"买家会员名", "收货人姓名"} & keys)


def looks_like_taobao_items(header: list[str]) -> bool:
    """宝贝报表 has 订单编号, 标题, 价格 and 购买数量."""
    keys = {header_key(cell) for cell in header}
    return {"订单编号", "标题", "价格", "购买数量"} <= keys


@dataclass(slots=True)
class _Row:
    file: str
    line: int
    cells: list[str]
    code: str

    @property
    def scientific(self) -> bool:
        return is_scientific(self.code)


@dataclass(slots=True)
class _Order:
    draft: Draft
    quantity_seen: int = 0
    has_items: bool = False
    item_errors: list[RowError] = field(default_factory=list)


class _NumberIndex:
    """Full order numbers of one report, searchable by numeric range for Excel-damaged numbers."""

    def __init__(self, codes: Iterable[str]) -> None:
        self._codes = set(codes)
        by_length: dict[int, list[int]] = defaultdict(list)
        for code in self._codes:
            if code.isdigit() and not code.startswith("0"):
                by_length[len(code)].append(int(code))
        self._by_length = {length: sorted(values) for length, values in by_length.items()}

    def resolve(self, code: str) -> str | None:
        """The full number ``code`` stands for, or None when it cannot be told unambiguously."""
        if is_scientific(code):
            found = scientific_range(code)
            return self._unique(*found) if found else None
        if code in self._codes or not (len(code) > EXCEL_DIGITS and code.isdigit()):
            return code
        tail = len(code) - EXCEL_DIGITS
        if code[EXCEL_DIGITS:] != "0" * tail:
            return code
        low = int(code)
        return self._unique(len(code), low, low + 10**tail) or code

    def _unique(self, length: int, low: int, high: int) -> str | None:
        values = self._by_length.get(length, [])
        start = bisect_left(values, low)
        hits = values[start:start + 2]
        hits = [v for v in hits if v < high]
        return str(hits[0]) if len(hits) == 1 else None


def parse_taobao(order_tables: list[Table], item_tables: list[Table], known_sku: SkuPredicate,
                 local_tz: tzinfo) -> tuple[list[ParsedOrder], list[RowError], list[str], list[str]]:
    """Join the orders and items reports into (orders, errors, rejected numbers, skipped numbers)."""
    errors: list[RowError] = []
    order_rows, order_columns = _read(order_tables, _ORDER_ALIASES, ORDER_REQUIRED, errors)
    item_rows, item_columns = _read(item_tables, _ITEM_ALIASES, ITEM_REQUIRED, errors,
                                    one_of=("商家编码", "外部系统编号"))
    if not order_tables or not item_tables:
        for table in order_tables or item_tables:
            errors.append(order_error(table.file, None, "", "missing_pair_file"))
        return [], errors, [], []
    if not order_columns or not item_columns:  # a side is unusable: its missing columns say why
        return [], errors, [], []
    order_index = _NumberIndex(r.code for r in order_rows if not r.scientific)
    item_index = _NumberIndex(r.code for r in item_rows if not r.scientific)
    orders: dict[str, _Order] = {}
    rejected: list[str] = []
    for row in order_rows:
        columns = order_columns[row.file]
        key = item_index.resolve(row.code)
        if key is None:
            errors.append(order_error(row.file, row.line, columns.header("external_id"),
                                    "mangled_order_number", row.code))
            rejected.append(row.code)
        elif key in orders:
            orders[key].draft.fail(row.line, columns.header("external_id"), "duplicate_order_in_file",
                                   row.code)
        else:
            draft = Draft(key=key, file=row.file, first_line=row.line)
            for name, (index, _) in columns.found.items():
                raw = row.cells[index] if index < len(row.cells) else ""
                value = clean_code(raw) if name in _CODE_FIELDS else clean(raw)
                if value and name != "external_id":
                    draft.put(name, value, row.line)
            orders[key] = _Order(draft)
    for row in item_rows:
        columns = item_columns[row.file]
        key = order_index.resolve(row.code)
        column = columns.header("external_id")
        if key is None:
            errors.append(order_error(row.file, row.line, column, "mangled_order_number", row.code))
        elif key not in orders:
            errors.append(order_error(row.file, row.line, column, "lines_without_order", row.code))
        else:
            _read_item(orders[key], row, columns, known_sku)
    parsed: list[ParsedOrder] = []
    skipped: list[str] = []
    for key, order in orders.items():
        result = _finish(order, order_columns[order.draft.file], local_tz)
        if order.draft.errors or order.item_errors:
            errors.extend(order.draft.errors + order.item_errors)
            rejected.append(key)
        elif not result.lines:
            skipped.append(key)
        else:
            parsed.append(result)
    errors.sort(key=lambda e: (e.file, e.line or 0))
    return parsed, errors, rejected, skipped


def _read(tables: list[Table], aliases: dict[str, str], required: tuple[str, ...],
          errors: list[RowError], one_of: tuple[str, ...] = ()
          ) -> tuple[list[_Row], dict[str, Columns]]:
    rows: list[_Row] = []
    found: dict[str, Columns] = {}
    for table in tables:
        columns = Columns.resolve(table.header, aliases)
        missing = [c for c in required if not columns.has(aliases[header_key(c)])]
        if one_of and not any(columns.has(aliases[header_key(c)]) for c in one_of):
            missing.append(one_of[0])
        if missing:
            errors.extend(order_error(table.file, table.header_line, c, "missing_column") for c in missing)
            continue
        found[table.file] = columns
        for line, cells in table.rows:
            code = clean_code(columns.get(cells, "external_id"))
            if code:
                rows.append(_Row(table.file, line, cells, code))
            elif any(cell.strip() for cell in cells):
                errors.append(order_error(table.file, line, columns.header("external_id"),
                                        "missing_order_number"))
    return rows, found


def _read_item(order: _Order, row: _Row, columns: Columns, known_sku: SkuPredicate) -> None:
    order.has_items = True
    cells = row.cells
    sku_field = "sku" if columns.get(cells, "sku") or not columns.has("outer_id") else "outer_id"
    sku = clean_code(columns.get(cells, sku_field))
    raw_quantity, raw_price = columns.get(cells, "quantity"), columns.get(cells, "unit_price")
    before = len(order.item_errors)

    def fail(name: str, code: str, value: str = "") -> None:
        order.item_errors.append(order_error(row.file, row.line, columns.header(name), code, value))

    if not sku:
        fail(sku_field, "missing_sku")
    elif known_sku is not None and not known_sku(sku):
        fail(sku_field, "unknown_sku", sku)
    try:
        quantity = parse_quantity(raw_quantity)
        order.quantity_seen += quantity
    except ValueError:
        fail("quantity", "bad_quantity", raw_quantity)
    try:
        price = parse_money(raw_price)
    except ValueError:
        fail("unit_price", "bad_number", raw_price)
    line_closed = "关闭" in columns.get(cells, "status")
    order_closed = "关闭" in order.draft.text("status")
    if len(order.item_errors) == before and (order_closed or not line_closed):
        order.draft.lines.append(
            ParsedLine(sku, quantity, price, columns.get(cells, "title"), row.line, row.file))


def _finish(order: _Order, columns: Columns, local_tz: tzinfo) -> ParsedOrder:
    draft = order.draft
    if not order.has_items:
        draft.fail(draft.first_line, columns.header("external_id"), "order_without_lines", draft.key)
    draft.require("name", columns, "missing_recipient")
    phone = draft.text("phone") or draft.text("tel")
    if not phone:
        draft.fail(*draft.where("phone" if columns.has("phone") else "tel", columns), "missing_phone")
    raw_address = draft.text("address")
    address = split_cn_address(raw_address)
    if not (address.province and address.city and address.detail):
        draft.fail(*draft.where("address", columns), "missing_address", raw_address)
    _check_item_count(order, columns)
    paid_at = draft.moment("paid_at", columns, local_tz)
    shipping_fee = draft.money("shipping_fee", columns)
    paid_amount = draft.money("paid_amount", columns)
    if paid_at is not None and paid_amount > 0:
        total = paid_amount
    elif draft.text("total"):
        total = draft.money("total", columns)
    else:
        total = draft.money("goods_amount", columns) + shipping_fee
    status = draft.text("status")
    return ParsedOrder(
        external_id=draft.key, platform="taobao", buyer_id=draft.text("buyer_id"),
        buyer_nick=draft.text("buyer_id"), name=draft.text("name"), phone=phone,
        province=address.province, city=address.city, district=address.district,
        address=address.detail, postcode=address.postcode, country="CN",
        buyer_note=draft.text("buyer_note"), seller_note=draft.text("seller_note"),
        created_at=draft.moment("created_at", columns, local_tz, required=True), paid_at=paid_at,
        total=total, shipping_fee=shipping_fee, currency="CNY", status=status,
        cancelled="关闭" in status, lines=draft.lines, source_file=draft.file,
        source_line=draft.first_line,
    )


def _check_item_count(order: _Order, columns: Columns) -> None:
    draft = order.draft
    raw = draft.text("item_count")
    if not raw or order.item_errors or not order.has_items:
        return
    try:
        expected = parse_quantity(raw)
    except ValueError:
        draft.fail(*draft.where("item_count", columns), "bad_quantity", raw)
        return
    if expected != order.quantity_seen:
        draft.fail(*draft.where("item_count", columns), "quantity_mismatch", raw)

