"""Order file importers: Shopify's order export and Taobao/Tmall's report pair."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erp_core.channels.importers import (
    ImportResult,
    parse_orders,
)
from tests.unit.importer_helpers import (
    KNOWN_SKUS,
    TAOBAO_ITEMS,
    TAOBAO_ORDERS,
    by_id,
    csv_bytes,
    error_keys,
    fixture,
)

# --- Shopify ---------------------------------------------------------------------------------------


def test_shopify_sample_has_the_real_export_header() -> None:
    # given the sample / then it carries Shopify's full 79-column order export header
    header = next(csv.reader(io.StringIO(fixture("shopify_orders_export.csv")[1].decode("utf-8"))))
    assert len(header) == 79
    assert header[:4] == ["Name", "Email", "Financial Status", "Paid at"]
    assert header[-1] == "Payment References"


def test_shopify_export_groups_line_item_rows_by_order_name() -> None:
    # given Shopify's export with several rows per order
    result = parse_orders([fixture("shopify_orders_export.csv")], known_skus=KNOWN_SKUS)
    # then every shippable order comes through with its lines
    assert result.format == "shopify" and result.errors == []
    orders = by_id(result)
    assert sorted(orders) == ["#1001", "#1002", "#1003", "#1005", "#1006", "#1007"]
    ada = orders["#1001"]
    assert [(line.sku, line.quantity, line.unit_price) for line in ada.lines] == [
        ("SOCK-WL-M", 3, Decimal("9.00")), ("TOTE-CAN-01", 1, Decimal("24.00")),
        ("CABLE-USBC-1M", 1, Decimal("21.00"))]
    assert (ada.total, ada.shipping_fee, ada.currency) == (Decimal("78.30"), Decimal("0.00"), "USD")
    assert (ada.name, ada.address, ada.city, ada.province, ada.country) == (
        "Ada Lovelace", "12 Fictional Lane, Apt 3B", "Cambridge", "Massachusetts", "US")
    assert ada.buyer_id == "ada.lovelace@example.com" and ada.platform == "shopify"


def test_shopify_times_keep_their_offset_and_come_out_in_utc() -> None:
    orders = by_id(parse_orders([fixture("shopify_orders_export.csv")]))
    assert orders["#1001"].paid_at == datetime(2026, 11, 15, 13, 47, 13, tzinfo=UTC)  # -0500
    assert orders["#1007"].paid_at == datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)  # +0800


def test_shopify_apostrophes_that_protect_zips_and_phones_are_removed() -> None:
    ada = by_id(parse_orders([fixture("shopify_orders_export.csv")]))["#1001"]
    assert ada.postcode == "02139"
    assert ada.phone == "+1 617-555-0101"


def test_shopify_lines_that_need_no_shipping_are_skipped_and_gift_card_orders_too() -> None:
    # given an order with a gift-wrap line and an order of a gift card only
    result = parse_orders([fixture("shopify_orders_export.csv")])
    # then the gift wrap is not a line, and the gift-card order is skipped without an error
    assert [line.sku for line in by_id(result)["#1003"].lines] == ["MUG-CER-350", "NOTE-A5-DOT"]
    assert result.skipped == ["#1004"]


def test_shopify_cancelled_and_unpaid_orders_say_so() -> None:
    orders = by_id(parse_orders([fixture("shopify_orders_export.csv")]))
    assert orders["#1005"].cancelled and orders["#1005"].status == "voided"
    assert orders["#1006"].paid_at is None and orders["#1006"].status == "pending"
    assert not orders["#1001"].cancelled


def test_shopify_notes_with_line_breaks_do_not_shift_line_numbers() -> None:
    orders = by_id(parse_orders([fixture("shopify_orders_export.csv")]))
    assert orders["#1003"].buyer_note == "Please leave with the concierge.\nNo Saturday delivery."
    assert [line.source_line for line in orders["#1003"].lines] == [8, 11]  # the note spans lines 8-9
    assert orders["#1002"].source_line == 12


def test_shopify_unknown_sku_rejects_only_that_order() -> None:
    result = parse_orders([fixture("shopify_orders_export.csv")], known_skus=KNOWN_SKUS - {"NOTE-A5-DOT"})
    assert "#1003" not in by_id(result) and len(result.orders) == 5
    assert error_keys(result.errors) == {(11, "Lineitem sku", "unknown_sku", "NOTE-A5-DOT")}


def test_a_shopify_export_missing_a_required_column_names_it() -> None:
    _, data = fixture("shopify_orders_export.csv")
    damaged = data.replace(b"Lineitem price,", b"Lineitem cost,", 1)
    result = parse_orders([("orders_export.csv", damaged)])
    assert result.orders == []
    assert error_keys(result.errors) == {(1, "Lineitem price", "missing_column", "")}


# --- Taobao / Tmall --------------------------------------------------------------------------------


def taobao_pair() -> list[tuple[str, bytes]]:
    return [fixture(TAOBAO_ORDERS), fixture(TAOBAO_ITEMS)]


def test_taobao_sample_files_are_gbk() -> None:
    _, data = fixture(TAOBAO_ORDERS)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("gbk").startswith("订单编号")


def test_taobao_pair_is_joined_on_the_order_number() -> None:
    # given the GBK orders report and items report, order numbers written as ="..."
    result = parse_orders(taobao_pair(), known_skus=KNOWN_SKUS)
    # then six orders come through with their lines and clean 19-digit numbers
    assert result.format == "taobao" and result.errors == []
    orders = by_id(result)
    assert sorted(orders) == [f"345678901234567890{i}" for i in range(1, 7)]
    first = orders["3456789012345678901"]
    assert [(line.sku, line.quantity, line.unit_price, line.source_file, line.source_line)
            for line in first.lines] == [
        ("TEA-LJ-250", 2, Decimal("128.00"), TAOBAO_ITEMS, 2),
        ("MUG-CER-350", 1, Decimal("128.00"), TAOBAO_ITEMS, 3)]
    assert (first.buyer_nick, first.name, first.phone) == ("小明爱喝茶", "王小明", "13800138000")
    assert (first.province, first.city, first.district, first.address, first.postcode) == (
        "浙江省", "杭州市", "西湖区", "文三路478号华星时代广场A座1201", "310012")
    assert first.total == Decimal("384.00") and first.currency == "CNY" and first.platform == "taobao"
    assert first.created_at == datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)


def test_taobao_notes_status_and_fallback_sku_are_read() -> None:
    orders = by_id(parse_orders(taobao_pair()))
    assert orders["3456789012345678902"].buyer_note == "请周五前送到，谢谢"
    assert orders["3456789012345678903"].seller_note == "送试用装两包"
    unpaid = orders["3456789012345678904"]
    assert unpaid.paid_at is None and unpaid.total == Decimal("140.00")  # 总金额 when nothing was paid
    closed = orders["3456789012345678905"]
    assert closed.cancelled and closed.status == "交易关闭"
    # 商家编码 left empty on one line: 外部系统编号 is used instead
    assert [line.sku for line in orders["3456789012345678906"].lines] == ["BOTTLE-SS-500", "MUG-CER-350"]


def test_taobao_orders_report_alone_is_an_error_naming_the_missing_partner() -> None:
    result = parse_orders([fixture(TAOBAO_ORDERS)])
    assert result.orders == []
    assert [(e.file, e.code) for e in result.errors] == [(TAOBAO_ORDERS, "missing_pair_file")]


ORDER_HEADER = ["订单编号", "买家会员名", "买家实际支付金额", "总金额", "订单状态", "收货人姓名", "收货地址 ",
                "联系手机", "订单创建时间", "订单付款时间 ", "宝贝总数量", "订单备注"]
ITEM_HEADER = ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商家编码", "订单状态"]
PAID = "买家已付款，等待卖家发货"


def tb_order(number: str, count: str = "1", **changes: str) -> list[str]:
    row = dict(zip(ORDER_HEADER, [number, "buyer", "128.00", "128.00", PAID, "王小明",
                                  "浙江省 杭州市 西湖区 文三路478号(310012)", "13800138000",
                                  "2026-11-20 10:31:07", "2026-11-20 10:31:40", count, ""], strict=True))
    row.update(changes)
    return list(row.values())


def tb_item(number: str, sku: str = "TEA-LJ-250", quantity: str = "1") -> list[str]:
    return [number, "西湖龙井 250g", "128.00", quantity, "", sku, PAID]


def parse_pair(orders: list[list[str]], items: list[list[str]]) -> ImportResult:
    return parse_orders([("ExportOrderList.csv", csv_bytes(ORDER_HEADER, orders, "gbk")),
                         ("ExportOrderDetailList.csv", csv_bytes(ITEM_HEADER, items, "gbk"))])


@pytest.mark.parametrize("written", ['="3456789012345678901"', "'3456789012345678901", "\t3456789012345678901",
                                     " 3456789012345678901 "])
def test_taobao_order_numbers_protected_from_excel_are_normalised(written: str) -> None:
    result = parse_pair([tb_order(written)], [tb_item("3456789012345678901")])
    assert [o.external_id for o in result.orders] == ["3456789012345678901"]


def test_a_scientific_order_number_matched_unambiguously_is_restored() -> None:
    # given an items report whose order number Excel displayed as 3.45679E+18, and exactly one order
    # in the orders report that rounds to it
    result = parse_pair([tb_order("3456789012345678901")], [tb_item("3.45679E+18")])
    # then the line is joined to that order
    assert result.errors == []
    assert result.orders[0].external_id == "3456789012345678901"


def test_an_ambiguous_scientific_order_number_is_reported_as_mangled() -> None:
    # given two orders that both round to 3.45679E+18
    result = parse_pair(
        [tb_order("3456789012345678901"), tb_order("3456789012345678902")],
        [tb_item("3.45679E+18"), tb_item("3456789012345678902")])
    # then the mangled line is an error and the order left without lines is rejected
    assert [o.external_id for o in result.orders] == ["3456789012345678902"]
    assert {(e.file, e.code) for e in result.errors} == {
        ("ExportOrderDetailList.csv", "mangled_order_number"),
        ("ExportOrderList.csv", "order_without_lines")}


def test_scientific_order_numbers_in_both_reports_cannot_be_trusted() -> None:
    result = parse_pair([tb_order("3.45679E+18")], [tb_item("3.45679E+18")])
    assert result.orders == []
    assert {e.code for e in result.errors} == {"mangled_order_number"}


def test_an_order_number_cut_to_fifteen_digits_is_matched_to_its_full_form() -> None:
    # given an items report where Excel kept 15 significant digits (3456789012345670000)
    result = parse_pair([tb_order("3456789012345678901")], [tb_item("3456789012345670000")])
    # then it is joined to the one order with those 15 leading digits
    assert result.errors == [] and result.orders[0].external_id == "3456789012345678901"


def test_taobao_orders_without_lines_and_lines_without_orders_are_errors() -> None:
    result = parse_pair([tb_order("1001"), tb_order("1002")], [tb_item("1001"), tb_item("9999")])
    assert [o.external_id for o in result.orders] == ["1001"]
    assert error_keys(result.errors) == {
        (3, "订单编号", "order_without_lines", "1002"),
        (3, "订单编号", "lines_without_order", "9999")}


def test_taobao_duplicate_order_rows_reject_the_order() -> None:
    result = parse_pair([tb_order("1001"), tb_order("1001")], [tb_item("1001")])
    assert result.orders == []
    assert [(e.line, e.code) for e in result.errors] == [(3, "duplicate_order_in_file")]


def test_taobao_line_quantities_must_add_up_to_the_order_total_quantity() -> None:
    result = parse_pair([tb_order("1001", count="3")], [tb_item("1001", quantity="2")])
    assert result.orders == []
    assert error_keys(result.errors) == {(2, "宝贝总数量", "quantity_mismatch", "3")}


def test_taobao_bad_line_and_unsplittable_address_are_reported_in_their_own_files() -> None:
    result = parse_pair([tb_order("1001", **{"收货地址 ": "火星 奥林匹斯山"})], [tb_item("1001", quantity="两")])
    assert {(e.file, e.column, e.code) for e in result.errors} == {
        ("ExportOrderList.csv", "收货地址", "missing_address"),
        ("ExportOrderDetailList.csv", "购买数量", "bad_quantity")}


