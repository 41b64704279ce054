"""Supplier price lists and PO lines from CSV or XLSX: every bad row reported (file, line, column,
reason), and nothing applied unless the whole file is good.

Price list columns (English or Chinese headers): sku, price, supplier_code, pack_size, moq, currency,
preferred; sku and price required. PO line columns: sku, quantity, unit_price (empty: the supplier's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ..catalog.services import find_sku_by_scan
from ..db import atomic
from ..fileimport import COMMON_REASONS, LIMIT_CODES, Columns, RowError, UnreadableFile, read_table, row_error
from ..fileimport.values import clean, clean_code, parse_money, parse_quantity
from .services import NewPoLine, get_po, update_draft
from .suppliers import SupplierSkuValues, set_supplier_sku

PRICE_ALIASES = {
    "sku": "sku", "商品编码": "sku", "sku编码": "sku",
    "price": "price", "unit_price": "price", "单价": "price", "价格": "price", "采购价": "price",
    "supplier_code": "supplier_code", "supplier_sku": "supplier_code", "供应商编码": "supplier_code",
    "供应商货号": "supplier_code",
    "pack_size": "pack_size", "pack": "pack_size", "箱规": "pack_size", "包装数量": "pack_size",
    "moq": "moq", "最小起订量": "moq", "起订量": "moq",
    "currency": "currency", "币种": "currency",
    "preferred": "preferred", "首选": "preferred",
}
LINE_ALIASES = {
    "sku": "sku", "商品编码": "sku", "sku编码": "sku",
    "quantity": "quantity", "qty": "quantity", "数量": "quantity", "采购数量": "quantity",
    "unit_price": "unit_price", "price": "unit_price", "单价": "unit_price", "采购价": "unit_price",
}
REASONS: dict[str, str] = {
    **{code: COMMON_REASONS[code] for code in ("bad_encoding", "unreadable_file", "empty_file", "missing_column",
                                               "missing_sku", "unknown_sku", "bad_quantity", "bad_number",
                                               *LIMIT_CODES)},
    "bad_price": "price must be a non-negative amount like 12.50",
    "bad_currency": "currency must be three letters like CNY",
    "bad_flag": "write yes/no, 1/0 or 是/否",
    "duplicate_sku": "the SKU is on an earlier row of the file already",
}
_TRUE, _FALSE = {"1", "yes", "y", "true", "是", "x"}, {"", "0", "no", "n", "false", "否"}


def _error(file: str, line: int | None, column: str, code: str, value: str = "") -> RowError:
    return row_error(file, line, column, code, value, reasons=REASONS)


@dataclass
class ImportResult:
    applied: int = 0
    errors: list[RowError] = field(default_factory=list)


Row = Callable[[int, list[str], Columns, Callable[[str, str, str], None]], object]


def _read(name: str, data: bytes, aliases: dict[str, str], required: tuple[str, ...], row: Row) -> ImportResult | list:
    """Every good row parsed by `row`, or an ImportResult holding every error of the file."""
    try:
        table = read_table(name, data)
        columns = Columns.resolve(table.header, aliases)
        missing = columns.missing(required)
        if missing:
            return ImportResult(errors=[_error(name, table.header_line, c, "missing_column") for c in missing])
        parsed, errors, seen = [], [], {}
        for line, cells in table.rows:
            if not any(clean(c) for c in cells):
                continue

            def fail(column: str, code: str, value: str = "", line=line) -> None:
                errors.append(_error(name, line, columns.header(column), code, value))

            sku_code = clean_code(columns.get(cells, "sku"))
            sku = find_sku_by_scan(sku_code) if sku_code else None
            if not sku_code:
                fail("sku", "missing_sku")
            elif sku is None:
                fail("sku", "unknown_sku", sku_code)
            elif sku.id in seen:
                fail("sku", "duplicate_sku", sku_code)
            item = row(line, cells, columns, fail)
            if sku is not None and sku.id not in seen and item is not None:
                seen[sku.id] = line
                parsed.append((sku.id, item))
    except UnreadableFile as error:
        return ImportResult(errors=[_error(name, error.line, error.column, error.code, error.value)])
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: e.line or 0))
    return parsed


def _quantity(cells, columns, name: str, fail, default: int | None = None) -> int | None:
    raw = columns.get(cells, name)
    if not raw and default is not None:
        return default
    try:
        return parse_quantity(raw)
    except ValueError:
        fail(name, "bad_quantity", raw)
        return None


def _price_row(line: int, cells: list[str], columns: Columns, fail) -> SupplierSkuValues | None:
    raw_price = columns.get(cells, "price")
    try:
        price = parse_money(raw_price)
    except ValueError:
        fail("price", "bad_price", raw_price)
        price = None
    pack, moq = _quantity(cells, columns, "pack_size", fail, 1), _quantity(cells, columns, "moq", fail, 1)
    currency = columns.get(cells, "currency").upper()
    if currency and not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
        fail("currency", "bad_currency", currency)
    flag = columns.get(cells, "preferred").lower()
    if flag not in _TRUE | _FALSE:
        fail("preferred", "bad_flag", flag)
    if price is None or pack is None or moq is None:
        return None
    return SupplierSkuValues(0, price, columns.get(cells, "supplier_code")[:64], pack, moq, currency, flag in _TRUE)


def import_price_list(supplier_id: int, name: str, data: bytes, *, user_id: int | None = None) -> ImportResult:
    """A supplier's price list: each row adds or changes one supplier SKU (price changes recorded).
    All or nothing: one bad row, and no row is applied."""
    parsed = _read(name, data, PRICE_ALIASES, ("sku", "price"), _price_row)
    if isinstance(parsed, ImportResult):
        return parsed
    with atomic():
        for sku_id, values in parsed:
            set_supplier_sku(supplier_id, SupplierSkuValues(sku_id, values.price, values.supplier_code,
                                                            values.pack_size, values.moq, values.currency,
                                                            values.preferred), user_id=user_id)
    return ImportResult(applied=len(parsed))


def _line_row(line: int, cells: list[str], columns: Columns, fail) -> tuple[int, Decimal | None] | None:
    quantity = _quantity(cells, columns, "quantity", fail)
    raw_price = columns.get(cells, "unit_price")
    price = None
    if raw_price:
        try:
            price = parse_money(raw_price)
        except ValueError:
            fail("unit_price", "bad_price", raw_price)
            return None
    return None if quantity is None else (quantity, price)


def import_po_lines(po_id: int, name: str, data: bytes) -> ImportResult:
    """Lines added to a draft PO (a SKU already on it: the quantities add up). All or nothing."""
    parsed = _read(name, data, LINE_ALIASES, ("sku", "quantity"), _line_row)
    if isinstance(parsed, ImportResult):
        return parsed
    po = get_po(po_id)
    lines = [NewPoLine(x.sku_id, x.quantity, x.unit_price) for x in po.lines]
    lines += [NewPoLine(sku_id, quantity, price) for sku_id, (quantity, price) in parsed]
    update_draft(po.id, lines=lines)
    return ImportResult(applied=len(parsed))
