"""Builders and sample files shared by the order-importer tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from erp_core.channels.importers import ImportResult, ParsedOrder
from erp_core.fileimport import RowError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
DOCS_TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "import-template.csv"
TAOBAO_ORDERS = "ExportOrderList202611201630.csv"
TAOBAO_ITEMS = "ExportOrderDetailList202611201630.csv"
KNOWN_SKUS = {"TEA-LJ-250", "MUG-CER-350", "TOTE-CAN-01", "SOCK-WL-M", "BOTTLE-SS-500", "CABLE-USBC-1M",
              "NOTE-A5-DOT", "TRAY-BMB-S"}
TEMPLATE_HEADER = ["order_no", "order_date", "paid_at", "buyer_id", "buyer_name", "phone", "province", "city",
                   "district", "address", "postcode", "country", "sku", "quantity", "unit_price",
                   "shipping_fee", "buyer_note", "seller_note"]


def fixture(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def template_row(order_no: str, sku: str = "TEA-LJ-250", quantity: str = "1", **changes: str) -> list[str]:
    row = dict(zip(TEMPLATE_HEADER, [
        order_no, "2026-11-20 09:12:00", "2026-11-20 09:15:30", "wx_buyer", "张三", "13812345678", "浙江省",
        "杭州市", "西湖区", "文三路478号华星时代广场A座1201", "310012", "CN", sku, quantity, "128.00", "0.00",
        "", ""], strict=True))
    row.update(changes)
    return [row[column] for column in TEMPLATE_HEADER]


def by_id(result: ImportResult) -> dict[str, ParsedOrder]:
    return {order.external_id: order for order in result.orders}


def error_keys(errors: list[RowError]) -> set[tuple[int | None, str, str, str]]:
    return {(error.line, error.column, error.code, error.value) for error in errors}


