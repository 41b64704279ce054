"""Entry points: recognise uploaded files and parse them all into one ``ImportResult``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from erp_core.channels.importers.model import ImportResult, ParsedOrder, SkuCheck, order_error, sku_predicate
from erp_core.channels.importers.shopify import looks_like_shopify, parse_shopify
from erp_core.channels.importers.taobao import looks_like_taobao_items, looks_like_taobao_orders, parse_taobao
from erp_core.channels.importers.template import looks_like_template, parse_template
from erp_core.fileimport.errors import RowError
from erp_core.fileimport.tables import Table, UnreadableFile, read_table
from erp_core.fileimport.values import SHANGHAI

TEMPLATE, SHOPIFY, TAOBAO_ORDERS, TAOBAO_ITEMS, UNKNOWN = (
    "template", "shopify", "taobao_orders", "taobao_items", "unknown")
_FAMILY = {TEMPLATE: "template", SHOPIFY: "shopify", TAOBAO_ORDERS: "taobao", TAOBAO_ITEMS: "taobao"}
# Taobao's own download names: ExportOrderList2026...csv and ExportOrderDetailList2026...csv
_ITEM_NAME_HINTS = ("exportorderdetaillist", "宝贝报表", "宝贝")
_ORDER_NAME_HINTS = ("exportorderlist", "订单报表")


def detect_format(name: str, data: bytes) -> str:
    """The format of one uploaded file: ``template``, ``shopify``, ``taobao_orders``,
    ``taobao_items`` or ``unknown`` (also for files that cannot be read at all)."""
    try:
        table = read_table(name, data)
    except UnreadableFile:
        return UNKNOWN
    return _classify(name, table.header)


def _classify(name: str, header: list[str]) -> str:
    # The template last: Taobao's items report also matches the template's Chinese aliases.
    if looks_like_shopify(header):
        return SHOPIFY
    if looks_like_taobao_orders(header):
        return TAOBAO_ORDERS
    if looks_like_taobao_items(header):
        return TAOBAO_ITEMS
    if looks_like_template(header):
        return TEMPLATE
    lowered = name.lower()
    if any(hint in lowered for hint in _ITEM_NAME_HINTS):
        return TAOBAO_ITEMS  # a broken Taobao report: parse it to say which columns are missing
    if any(hint in lowered for hint in _ORDER_NAME_HINTS):
        return TAOBAO_ORDERS
    return UNKNOWN


def parse_orders(files: Sequence[tuple[str, bytes]], known_skus: SkuCheck = None, *,
                 local_tz: tzinfo = SHANGHAI) -> ImportResult:
    """Parse uploaded order files into one ``ImportResult``.

    Each file's format is detected from its bytes and name. Taobao orders and items reports in the
    same upload are joined. An order with any bad row is rejected whole (and each bad row reported);
    the other orders come through. An order number read again from a later file of the same upload
    is reported as ``duplicate_order_in_batch`` and the first copy kept. ``known_skus`` (a set or a
    predicate) turns SKUs it does not know into ``unknown_sku`` errors. Times without an offset are
    taken as ``local_tz`` (China by default) and returned in UTC.
    """
    known_sku = sku_predicate(known_skus)
    result = ImportResult(format=UNKNOWN)
    taobao_orders: list[Table] = []
    taobao_items: list[Table] = []
    for name, data in _unique_names(files):
        try:
            table = read_table(name, data)
        except UnreadableFile as problem:
            result.files[name] = UNKNOWN
            result.errors.append(_file_error(name, problem))
            continue
        kind = _classify(name, table.header)
        result.files[name] = kind
        try:
            if kind == TEMPLATE:
                orders, errors, rejected = parse_template(table, known_sku, local_tz)
                _collect(result, orders, errors, rejected, [])
            elif kind == SHOPIFY:
                _collect(result, *parse_shopify(table, known_sku, local_tz))
            elif kind == TAOBAO_ORDERS:
                taobao_orders.append(table)
            elif kind == TAOBAO_ITEMS:
                taobao_items.append(table)
            else:
                result.errors.append(order_error(name, table.header_line, "", "unknown_format"))
        except UnreadableFile as problem:  # a CSV that breaks half-way (a runaway quote, a limit)
            result.errors.append(_file_error(name, problem))
    if taobao_orders or taobao_items:
        try:
            _collect(result, *parse_taobao(taobao_orders, taobao_items, known_sku, local_tz))
        except UnreadableFile as problem:
            result.errors.append(_file_error("", problem))
    families = {_FAMILY[kind] for kind in result.files.values() if kind in _FAMILY}
    result.format = families.pop() if len(families) == 1 else ("mixed" if families else UNKNOWN)
    return result


def _file_error(name: str, problem: UnreadableFile) -> RowError:
    return order_error(name, problem.line, problem.column, problem.code, problem.value)


def _collect(result: ImportResult, orders: list[ParsedOrder], errors: list[RowError],
             rejected: list[str], skipped: list[str]) -> None:
    seen = {(order.platform, order.external_id) for order in result.orders}
    for order in orders:
        if (order.platform, order.external_id) in seen:
            result.errors.append(order_error(order.source_file, order.source_line, "",
                                           "duplicate_order_in_batch", order.external_id))
            continue
        seen.add((order.platform, order.external_id))
        result.orders.append(order)
    result.errors.extend(errors)
    result.rejected.extend(rejected)
    result.skipped.extend(skipped)


def _unique_names(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Error reports point at files by name, so two uploads called ``orders.csv`` get told apart."""
    counts: dict[str, int] = {}
    unique: list[tuple[str, bytes]] = []
    for name, data in files:
        counts[name] = counts.get(name, 0) + 1
        unique.append((name if counts[name] == 1 else f"{name} ({counts[name]})", data))
    return unique
