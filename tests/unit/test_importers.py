"""Order file importers: detection, our template (CSV/XLSX) and the all-or-nothing error rules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from erp_core.channels.importers import detect_format, parse_orders
from erp_core.fileimport import RowError, errors_to_csv
from tests.unit.importer_helpers import (
    DOCS_TEMPLATE,
    FIXTURES,
    KNOWN_SKUS,
    TAOBAO_ITEMS,
    TAOBAO_ORDERS,
    TEMPLATE_HEADER,
    by_id,
    csv_bytes,
    error_keys,
    fixture,
    template_row,
)

# --- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shopify_orders_export.csv", "shopify"),
        (TAOBAO_ORDERS, "taobao_orders"),
        (TAOBAO_ITEMS, "taobao_items"),
        ("template_orders.csv", "template"),
        ("template_with_errors.csv", "template"),
    ],
)
def test_each_sample_file_is_recognised_from_its_bytes(name: str, expected: str) -> None:
    # given a sample export / when its format is detected / then it is the right one
    assert detect_format(*fixture(name)) == expected


def test_a_file_that_is_no_order_export_is_unknown() -> None:
    # given a CSV of something else / when detected / then unknown, and parsing says so
    data = b"date,temperature\n2026-11-20,12\n"
    assert detect_format("weather.csv", data) == "unknown"
    result = parse_orders([("weather.csv", data)])
    assert [(e.file, e.code) for e in result.errors] == [("weather.csv", "unknown_format")]


def test_a_renamed_file_is_still_recognised_by_its_header() -> None:
    # given a Shopify export saved under a Chinese name / when detected / then by header it is Shopify
    _, data = fixture("shopify_orders_export.csv")
    assert detect_format("订单.csv", data) == "shopify"


# --- our template ----------------------------------------------------------------------------------


def test_template_csv_with_bom_gives_one_order_per_order_number() -> None:
    # given the sample template (UTF-8 with BOM, continuation rows blank or repeated)
    # when parsed
    result = parse_orders([fixture("template_orders.csv")], known_skus=KNOWN_SKUS)
    # then every order comes through with its lines
    assert result.format == "template"
    assert result.errors == []
    orders = by_id(result)
    assert list(orders) == ["WX20261120001", "WX20261120002", "WX20261120003", "WX20261120004"]
    first = orders["WX20261120001"]
    assert [(line.sku, line.quantity, line.unit_price) for line in first.lines] == [
        ("TEA-LJ-250", 2, Decimal("128.00")), ("MUG-CER-350", 1, Decimal("68.00"))]
    assert (first.name, first.phone, first.province, first.city, first.district) == (
        "张三", "13812345678", "浙江省", "杭州市", "西湖区")
    assert first.total == Decimal("324.00")
    assert first.source_line == 2 and [line.source_line for line in first.lines] == [2, 3]


def test_template_times_are_china_local_and_returned_in_utc() -> None:
    # given an order paid at 09:15:30 Beijing time / when parsed / then paid_at is 01:15:30 UTC
    order = by_id(parse_orders([fixture("template_orders.csv")]))["WX20261120001"]
    assert order.paid_at == datetime(2026, 11, 20, 1, 15, 30, tzinfo=UTC)
    assert order.paid_at.tzinfo is UTC


def test_template_order_without_paid_at_is_unpaid_and_province_short_names_are_normalised() -> None:
    order = by_id(parse_orders([fixture("template_orders.csv")]))["WX20261120004"]
    assert order.paid_at is None and not order.paid and order.status == "unpaid"
    assert order.province == "四川省" and order.country == "CN"
    assert order.seller_note == "未付款，等客户确认"
    assert order.total == Decimal("124.00")  # 4 x 29.00 + 8.00 shipping


def test_template_accepts_chinese_headers_and_gbk() -> None:
    # given a template written with Chinese column names and saved as GBK by Excel
    header = ["订单号", "收货人", "手机", "省", "市", "区", "详细地址", "商家编码", "数量", "单价", "买家留言",
              "卖家备注"]
    rows = [["DY-1", "王五", "13700001111", "上海", "上海市", "浦东新区", "碧波路690号", "MUG-CER-350", "2", "68",
             "要发票", "老客户"]]
    # when parsed
    result = parse_orders([("抖店导出.csv", csv_bytes(header, rows, "gbk"))])
    # then the aliases map to the same fields
    order = result.orders[0]
    assert (order.external_id, order.name, order.province, order.buyer_note, order.seller_note) == (
        "DY-1", "王五", "上海市", "要发票", "老客户")
    assert order.lines[0].quantity == 2


def test_template_xlsx_parses_like_the_csv() -> None:
    # given the sample template saved as XLSX (numbers and dates typed as Excel types)
    workbook = Workbook()
    sheet = workbook.active
    with (FIXTURES / "template_orders.csv").open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle)):
            typed: list[object] = list(row)
            if number and row[13]:
                typed[13] = int(row[13])
                typed[14] = float(row[14])
            if number and row[1]:
                typed[1] = datetime.fromisoformat(row[1])
            sheet.append(typed)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # when both are parsed
    from_xlsx = parse_orders([("orders.xlsx", buffer.getvalue())])
    from_csv = parse_orders([fixture("template_orders.csv")])
    # then they give the same orders (only the file name differs)
    assert from_xlsx.errors == []
    assert [(o.external_id, o.created_at, o.total, [(li.sku, li.quantity, li.unit_price) for li in o.lines])
            for o in from_xlsx.orders] == [
        (o.external_id, o.created_at, o.total, [(li.sku, li.quantity, li.unit_price) for li in o.lines])
        for o in from_csv.orders]


def test_a_continuation_row_with_a_blank_order_number_belongs_to_the_order_above() -> None:
    # given a second row whose order number was left blank (merged cells in Excel)
    rows = [template_row("A-1"), template_row("", sku="MUG-CER-350", quantity="3")]
    # when parsed / then both lines are in A-1
    order = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))]).orders[0]
    assert [(line.sku, line.quantity) for line in order.lines] == [("TEA-LJ-250", 1), ("MUG-CER-350", 3)]


def test_a_row_contradicting_its_order_rejects_the_order() -> None:
    # given two rows of one order with different phone numbers
    rows = [template_row("A-1"), template_row("A-1", phone="13900000000"), template_row("A-2")]
    # when parsed
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))])
    # then A-1 is rejected at the contradicting cell, and A-2 still comes through
    assert [o.external_id for o in result.orders] == ["A-2"]
    assert error_keys(result.errors) == {(3, "phone", "conflicting_order_value", "13900000000")}


def test_a_missing_required_column_rejects_the_file_and_names_the_column() -> None:
    # given a template without the quantity column
    header = [c for c in TEMPLATE_HEADER if c != "quantity"]
    rows = [[v for c, v in zip(TEMPLATE_HEADER, template_row("A-1"), strict=True) if c != "quantity"]]
    # when parsed / then no order, one error on the header line naming the column
    result = parse_orders([("t.csv", csv_bytes(header, rows))])
    assert result.orders == []
    assert error_keys(result.errors) == {(1, "quantity", "missing_column", "")}


def test_line_numbers_count_physical_lines_when_a_cell_spans_several() -> None:
    # given an order whose buyer note has a line break, followed by a bad row
    rows = [template_row("A-1", buyer_note="请下午送\n谢谢"), template_row("A-2", quantity="x")]
    # when parsed / then the bad row is reported on line 4 of the file, as an editor shows it
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))])
    assert [(e.line, e.code) for e in result.errors] == [(4, "bad_quantity")]
    assert result.orders[0].buyer_note == "请下午送\n谢谢"


def test_the_shipped_template_imports_cleanly() -> None:
    # given docs/import-template.csv / when parsed / then its two example orders are valid
    result = parse_orders([("import-template.csv", DOCS_TEMPLATE.read_bytes())], known_skus=KNOWN_SKUS)
    assert result.errors == []
    assert len(result.orders) == 2


# --- errors: all-or-nothing per order --------------------------------------------------------------


def test_bad_rows_reject_their_whole_order_and_good_orders_still_come_through() -> None:
    # given a file with an unknown SKU, bad quantities, a missing address, a bad price, a bad date and
    # an order number that comes back in a second block
    result = parse_orders([fixture("template_with_errors.csv")], known_skus=KNOWN_SKUS)
    # then only the clean orders are imported
    assert [o.external_id for o in result.orders] == ["ERR-005", "ERR-008"]
    assert sorted(result.rejected) == ["ERR-001", "ERR-002", "ERR-003", "ERR-004", "ERR-006", "ERR-007"]
    # and every bad cell is reported with file, line, column and a stable code
    assert error_keys(result.errors) == {
        (4, "sku", "unknown_sku", "TEA-XX-999"),
        (6, "quantity", "bad_quantity", "0"),
        (7, "quantity", "bad_quantity", "1.5"),
        (8, "address", "missing_address", ""),
        (10, "unit_price", "bad_number", "12,5"),
        (11, "paid_at", "bad_date", "2026-13-45 25:00:00"),
        (12, "order_no", "duplicate_order_in_file", "ERR-001"),
    }
    assert {e.file for e in result.errors} == {"template_with_errors.csv"}


def test_unknown_skus_can_be_checked_with_a_predicate() -> None:
    # given a catalogue lookup function instead of a set
    asked: list[str] = []

    def exists(sku: str) -> bool:
        asked.append(sku)
        return sku.startswith("TEA-")

    rows = [template_row("A-1"), template_row("A-2", sku="GHOST-1")]
    # when parsed / then the predicate decides
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))], known_skus=exists)
    assert [o.external_id for o in result.orders] == ["A-1"]
    assert [e.code for e in result.errors] == ["unknown_sku"]
    assert asked == ["TEA-LJ-250", "GHOST-1"]


def test_without_a_catalogue_any_sku_is_accepted() -> None:
    rows = [template_row("A-1", sku="ANYTHING-9")]
    assert parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))]).orders[0].lines[0].sku == "ANYTHING-9"


def test_the_error_report_is_utf8_with_bom_and_readable_by_excel() -> None:
    # given the errors of a bad file
    errors = parse_orders([fixture("template_with_errors.csv")], known_skus=KNOWN_SKUS).errors
    errors.append(RowError("订单.csv", 3, "数量", "bad_quantity", "数量必须是整数", "=cmd|' /C calc'!A0"))
    # when written as the downloadable report
    report = errors_to_csv(errors)
    # then it starts with a BOM, has the agreed columns, keeps Chinese, and defuses formulas
    assert report.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert rows[0] == ["file", "line", "column", "code", "reason", "value"]
    assert len(rows) == len(errors) + 1
    assert rows[-1][:4] == ["订单.csv", "3", "数量", "bad_quantity"]
    assert rows[-1][5] == "'=cmd|' /C calc'!A0"


def test_a_file_in_an_unknown_encoding_is_reported_by_name() -> None:
    # given bytes that are neither UTF-8 nor GB18030
    data = b"order_no,sku\n\xff\xfe\xfa\x80\x81\n"
    # when parsed / then one bad_encoding error names the file
    result = parse_orders([("broken.csv", data)])
    assert [(e.file, e.line, e.code) for e in result.errors] == [("broken.csv", None, "bad_encoding")]
    assert detect_format("broken.csv", data) == "unknown"


def test_excel_unicode_text_exports_utf16_tab_separated_are_read() -> None:
    # given the template saved by Excel as "Unicode Text" (UTF-16 with BOM, tab separated)
    text = "\r\n".join("\t".join(row) for row in [TEMPLATE_HEADER, template_row("U-1")])
    # when parsed / then it reads like the CSV
    result = parse_orders([("orders.txt", text.encode("utf-16"))])
    assert result.errors == [] and result.orders[0].name == "张三"


def test_an_empty_upload_is_reported() -> None:
    result = parse_orders([("empty.csv", b"\xef\xbb\xbf\r\n")])
    assert [e.code for e in result.errors] == ["empty_file"]


def test_a_corrupt_xlsx_is_reported_as_unreadable() -> None:
    result = parse_orders([("orders.xlsx", b"PK\x03\x04 not really a zip")])
    assert [e.code for e in result.errors] == ["unreadable_file"]


def test_an_order_number_excel_rounded_in_the_template_is_rejected() -> None:
    rows = [template_row("2.34568E+18"), template_row("A-2")]
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))])
    assert [o.external_id for o in result.orders] == ["A-2"]
    assert [(e.line, e.code) for e in result.errors] == [(2, "mangled_order_number")]


def test_the_same_order_in_two_uploaded_files_is_kept_once() -> None:
    # given the same Shopify export uploaded twice under the same name
    file = fixture("shopify_orders_export.csv")
    # when parsed together
    result = parse_orders([file, file])
    # then each order appears once and the second copies are reported against the renamed file
    assert len(result.orders) == 6
    assert {e.code for e in result.errors} == {"duplicate_order_in_batch"}
    assert {e.file for e in result.errors} == {"shopify_orders_export.csv (2)"}


def test_a_large_template_file_comes_through_whole() -> None:
    # given 30k lines (10,000 orders of three lines, order columns repeated on every line)
    # (its speed is measured by the import.orders benchmark, not here)
    rows = [template_row(f"B{i // 3:07d}", sku=f"SKU-{i % 500:04d}", quantity="2") for i in range(30_000)]
    data = csv_bytes(TEMPLATE_HEADER, rows)
    skus = {f"SKU-{i:04d}" for i in range(500)}
    # when parsed
    result = parse_orders([("big.csv", data)], known_skus=skus)
    # then every order and line comes through
    assert len(result.orders) == 10_000 and not result.errors
    assert sum(len(o.lines) for o in result.orders) == 30_000




# --- repeated cells are read once, and still reported exactly --------------------------------------


def test_a_contradiction_repeated_on_later_rows_is_reported_on_each_of_them() -> None:
    # given an order whose second and third rows both carry another phone number
    rows = [template_row("A-1"), template_row("A-1", phone="13900000000"), template_row("A-1", phone="13900000000")]
    # when parsed
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))])
    # then each contradicting row is reported, not only the first
    assert not result.orders
    assert [(e.line, e.code, e.value) for e in result.errors] == [
        (3, "conflicting_order_value", "13900000000"), (4, "conflicting_order_value", "13900000000")]


def test_order_cells_differing_only_in_spaces_and_short_continuation_rows_agree() -> None:
    # given a row repeating the name with spaces around it, and a row that stops after the price
    rows = [template_row("A-1"), template_row("A-1", buyer_name=" 张三\u3000"),
            template_row("A-1", sku="MUG-CER-350")[:15], template_row("A-1", sku="MUG-CER-350")]
    # when parsed
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))], known_skus=KNOWN_SKUS)
    # then one order of four lines, with no error
    assert not result.errors
    assert [(o.name, len(o.lines)) for o in result.orders] == [("张三", 4)]


def test_a_value_first_given_on_a_continuation_row_is_blamed_on_that_row() -> None:
    # given an order whose payment time is empty on its first row and malformed on its second
    rows = [template_row("A-1", paid_at=""), template_row("A-1", paid_at="not a date")]
    # when parsed / then the error points at the second row's cell
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))])
    assert error_keys(result.errors) == {(3, "paid_at", "bad_date", "not a date")}


def test_line_cells_seen_before_are_read_alike_and_bad_ones_are_reported_every_time() -> None:
    # given orders repeating the same SKU, quantity and price cells, some of them bad
    rows = [template_row("A-1", quantity="2"), template_row("A-2", quantity=" 2 "),
            template_row("A-3", sku="GHOST-1"), template_row("A-4", sku="GHOST-1"),
            template_row("A-5", quantity="0"), template_row("A-6", quantity="2", unit_price="12,5"),
            template_row("A-7", quantity="2")]
    # when parsed against the catalogue
    result = parse_orders([("t.csv", csv_bytes(TEMPLATE_HEADER, rows))], known_skus=KNOWN_SKUS)
    # then the good orders read the same cells the same way, and every bad cell is reported
    assert [(o.external_id, o.lines[0].quantity, o.lines[0].unit_price) for o in result.orders] == [
        ("A-1", 2, Decimal("128.00")), ("A-2", 2, Decimal("128.00")), ("A-7", 2, Decimal("128.00"))]
    assert error_keys(result.errors) == {
        (4, "sku", "unknown_sku", "GHOST-1"), (5, "sku", "unknown_sku", "GHOST-1"),
        (6, "quantity", "bad_quantity", "0"), (7, "unit_price", "bad_number", "12,5")}
