"""The JSON order feed: a page of platform orders becomes ParsedOrders, and every bad value is
reported with its place in the page and its JSON path (pure: no app, no network)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erp_core.channels.adapters import ADAPTERS, FeedError, FeedSettings, JsonFeedAdapter, make_adapter
from erp_core.channels.adapters.json_feed import map_order, page_url, parse_page

SETTINGS = FeedSettings(channel_code="TMALL", url="https://feed.example.com/orders", platform="tmall",
                        known_skus={"TEA-LJ-250", "MUG-CER-350"})

ORDER = {
    "id": "3876543210123456",
    "status": "paid",
    "created_at": "2026-11-20T10:31:07+08:00",
    "paid_at": "2026-11-20T10:32:00+08:00",
    "buyer": {"id": "tb_buyer_01", "nick": "小王"},
    "receiver": {"name": "王芳", "phone": "13800138000", "province": "浙江", "city": "杭州市",
                 "district": "西湖区", "address": "文三路 478 号", "postcode": "310012", "country": "CN"},
    "buyer_note": "请尽快发货",
    "seller_note": "",
    "currency": "CNY",
    "shipping_fee": "8.00",
    "items": [{"sku": "TEA-LJ-250", "quantity": 2, "price": "59.90", "title": "龙井茶 250g"},
              {"sku": "MUG-CER-350", "quantity": 1, "price": 35.5, "title": "Mug"}],
}


def order(**changes) -> dict:
    """The sample order with some fields replaced (``receiver__city="..."`` reaches inside)."""
    raw = copy.deepcopy(ORDER)
    for key, value in changes.items():
        target = raw
        *parents, last = key.split("__")
        for parent in parents:
            target = target[parent]
        if value is _DROP:
            target.pop(last, None)
        else:
            target[last] = value
    return raw


_DROP = object()


def page(*orders, next_cursor="c2", has_more=False) -> bytes:
    return json.dumps({"orders": list(orders), "next_cursor": next_cursor, "has_more": has_more}).encode()


def errors_of(raw, line: int = 1) -> list[tuple[str, str]]:
    parsed, errors = map_order(json.loads(json.dumps(raw), parse_float=Decimal), line, SETTINGS)
    assert (parsed is None) == bool(errors)
    return [(e.column, e.code) for e in errors]


# --- a good order ----------------------------------------------------------------------------------


def test_a_paid_order_maps_to_a_parsed_order_with_exact_money_and_utc_times():
    # given a page with one complete paid order
    result = parse_page(page(ORDER), "c1", SETTINGS)
    # then it becomes one ParsedOrder, nothing rejected
    assert result.errors == [] and len(result.orders) == 1
    parsed = result.orders[0]
    assert parsed.external_id == "3876543210123456" and parsed.platform == "tmall"
    assert parsed.created_at == datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)
    assert parsed.paid_at == datetime(2026, 11, 20, 2, 32, tzinfo=UTC) and parsed.paid
    assert parsed.province == "浙江省" and parsed.city == "杭州市" and parsed.district == "西湖区"
    assert (parsed.name, parsed.phone, parsed.postcode, parsed.country) == ("王芳", "13800138000", "310012", "CN")
    assert (parsed.buyer_id, parsed.buyer_nick, parsed.buyer_note) == ("tb_buyer_01", "小王", "请尽快发货")
    assert [(line.sku, line.quantity, line.unit_price) for line in parsed.lines] == [
        ("TEA-LJ-250", 2, Decimal("59.90")), ("MUG-CER-350", 1, Decimal("35.5"))]
    assert parsed.shipping_fee == Decimal("8.00") and parsed.total == Decimal("163.30")
    assert isinstance(parsed.lines[1].unit_price, Decimal)  # a JSON number is read exactly, never as float
    assert parsed.source_file == "feed:TMALL" and parsed.source_line == 1
    assert not parsed.cancelled and parsed.status == "paid"


def test_the_page_cursor_and_has_more_are_passed_on():
    result = parse_page(page(ORDER, next_cursor="c9", has_more=True), "c1", SETTINGS)
    assert (result.next_cursor, result.has_more) == ("c9", True)


def test_whole_numbers_are_accepted_for_ids_and_phones():
    parsed, errors = map_order(order(id=3876543210123456789, receiver__phone=13800138000), 1, SETTINGS)
    assert errors == []
    assert parsed.external_id == "3876543210123456789" and parsed.phone == "13800138000"


@pytest.mark.parametrize("status", ["cancelled", "canceled", "CLOSED"])
def test_a_cancelled_order_is_marked_cancelled(status):
    parsed, errors = map_order(order(status=status, paid_at=None), 1, SETTINGS)
    assert errors == [] and parsed.cancelled


def test_an_unpaid_order_is_kept_without_a_payment_time():
    parsed, errors = map_order(order(status="unpaid", paid_at=None), 1, SETTINGS)
    assert errors == [] and not parsed.paid and not parsed.cancelled


def test_a_foreign_address_needs_no_province_or_city():
    parsed, errors = map_order(order(receiver__country="US", receiver__province=None, receiver__city=""), 1,
                               SETTINGS)
    assert errors == [] and parsed.country == "US" and parsed.province == ""


def test_missing_optional_fields_take_their_defaults():
    parsed, errors = map_order(order(buyer=_DROP, currency=_DROP, shipping_fee=None, receiver__country=_DROP),
                               1, SETTINGS)
    assert errors == []
    assert (parsed.currency, parsed.shipping_fee, parsed.country, parsed.buyer_id) == ("CNY", Decimal("0"), "CN", "")


def test_no_sku_check_is_made_without_known_skus():
    settings = FeedSettings(channel_code="X", url="http://127.0.0.1/feed")
    parsed, errors = map_order(order(items=[{"sku": "ANYTHING", "quantity": 1, "price": "1"}]), 1, settings)
    assert errors == [] and parsed.lines[0].sku == "ANYTHING" and parsed.platform == "json_feed"


# --- bad orders ------------------------------------------------------------------------------------


def test_an_unknown_sku_rejects_the_order_and_points_at_the_item():
    # given a page whose second order has an unknown SKU in its second item
    bad = order(id="B-2", items=[ORDER["items"][0], {"sku": "NOPE-1", "quantity": 1, "price": "1.00"}])
    result = parse_page(page(ORDER, bad, order(id="C-3")), "", SETTINGS)
    # then the others are kept and the error names the feed, the place in the page and the JSON path
    assert [o.external_id for o in result.orders] == ["3876543210123456", "C-3"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.file, error.line, error.column, error.code, error.value) == (
        "feed:TMALL", 2, "items[1].sku", "unknown_sku", "NOPE-1")
    assert error.reason == "SKU does not exist in the catalogue"


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001, "two", 1.5, True, None, [2]])
def test_a_bad_quantity_is_reported_at_its_path(quantity):
    assert errors_of(order(items=[{"sku": "TEA-LJ-250", "quantity": quantity, "price": "1"}])) == [
        ("items[0].quantity", "bad_quantity")]


def test_a_quantity_written_as_text_or_2_point_0_is_accepted():
    parsed, errors = map_order(order(items=[{"sku": "TEA-LJ-250", "quantity": "3", "price": "1"},
                                            {"sku": "MUG-CER-350", "quantity": Decimal("2.0"), "price": "1"}]),
                               1, SETTINGS)
    assert errors == [] and [line.quantity for line in parsed.lines] == [3, 2]


@pytest.mark.parametrize("price", ["-1", "abc", None, True, "NaN", 1e20])
def test_a_bad_price_is_reported(price):
    assert errors_of(order(items=[{"sku": "TEA-LJ-250", "quantity": 1, "price": price}])) == [
        ("items[0].price", "bad_number")]


@pytest.mark.parametrize(("field", "code"), [
    ("receiver__address", "missing_address"), ("receiver__name", "missing_recipient"),
    ("receiver__phone", "missing_phone"), ("receiver__province", "missing_address"),
    ("receiver__city", "missing_address"),
])
def test_a_missing_part_of_a_chinese_address_is_reported(field, code):
    assert errors_of(order(**{field: ""})) == [(field.replace("__", "."), code)]


def test_an_order_without_a_receiver_is_rejected():
    assert errors_of(order(receiver=_DROP)) == [("receiver", "missing_address")]
    assert errors_of(order(receiver="somewhere")) == [("receiver", "not_an_object")]


@pytest.mark.parametrize("items", [[], None, "TEA-LJ-250"])
def test_an_order_without_items_is_rejected(items):
    assert errors_of(order(items=items)) == [("items", "order_without_lines")]


def test_an_item_that_is_not_an_object_is_rejected():
    assert errors_of(order(items=["TEA-LJ-250"])) == [("items[0]", "not_an_object")]


def test_an_empty_sku_is_missing():
    assert errors_of(order(items=[{"sku": " ", "quantity": 1, "price": "1"}])) == [("items[0].sku", "missing_sku")]


@pytest.mark.parametrize(("value", "code"), [
    ("2026-11-20 10:31:07", "date_without_offset"),
    ("20 Nov 2026", "bad_date"),
    (1763605867, "bad_date"),
    (None, "bad_date"),
])
def test_the_order_time_must_be_iso_8601_with_an_offset(value, code):
    assert errors_of(order(created_at=value)) == [("created_at", code)]


def test_a_utc_z_time_is_accepted():
    parsed, errors = map_order(order(created_at="2026-11-20T02:31:07Z"), 1, SETTINGS)
    assert errors == [] and parsed.created_at == datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)


def test_a_paid_order_needs_its_payment_time():
    assert errors_of(order(paid_at=None)) == [("paid_at", "missing_paid_at")]


def test_an_order_id_must_be_present_and_text_or_a_whole_number():
    assert errors_of(order(id="")) == [("id", "missing_order_number")]
    assert errors_of(order(id=_DROP)) == [("id", "missing_order_number")]
    assert errors_of(order(id=12.5)) == [("id", "bad_order_number")]
    assert errors_of(order(id="X" * 65)) == [("id", "too_long")]


def test_text_longer_than_the_order_field_is_rejected_before_it_reaches_the_database():
    assert errors_of(order(receiver__address="路" * 256)) == [("receiver.address", "too_long")]


def test_a_value_of_the_wrong_type_is_reported():
    assert errors_of(order(receiver__name=["王芳"])) == [("receiver.name", "bad_text")]
    assert errors_of(order(buyer={"id": {"x": 1}})) == [("buyer.id", "bad_text")]


def test_currency_and_country_must_be_codes():
    assert errors_of(order(currency="RMB¥")) == [("currency", "bad_currency")]
    assert errors_of(order(receiver__country="United States")) == [("receiver.country", "bad_country")]
    parsed, errors = map_order(order(receiver__country="中国", currency="usd"), 1, SETTINGS)
    assert errors == [] and parsed.country == "CN" and parsed.currency == "USD"


def test_every_error_of_an_order_is_reported_at_once():
    bad = order(id="", receiver__phone="", items=[{"sku": "NOPE", "quantity": 0, "price": "x"}])
    assert sorted(errors_of(bad, line=7)) == sorted([
        ("id", "missing_order_number"), ("receiver.phone", "missing_phone"), ("items[0].sku", "unknown_sku"),
        ("items[0].quantity", "bad_quantity"), ("items[0].price", "bad_number")])
    assert {e.line for e in map_order(bad, 7, SETTINGS)[1]} == {7}


def test_an_order_that_is_not_an_object_is_rejected_and_the_rest_kept():
    result = parse_page(page("3876543210", ORDER), "", SETTINGS)
    assert len(result.orders) == 1
    assert [(e.line, e.column, e.code) for e in result.errors] == [(1, "", "not_an_object")]


# --- bad pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b"", b'{"orders": [', b"\xff\xfe\x00",
                                  b'{"orders": [], "next_cursor": NaN}'])
def test_a_body_that_is_not_json_raises_a_feed_error(body):
    with pytest.raises(FeedError) as raised:
        parse_page(body, "c1", SETTINGS)
    assert raised.value.code == "feed_bad_json"


@pytest.mark.parametrize("payload", [
    [], {"items": []}, {"orders": {}}, {"orders": [], "has_more": "yes"}, {"orders": [], "next_cursor": ["x"]},
    {"orders": [], "next_cursor": "x" * 201},
    {"orders": [], "next_cursor": "c1", "has_more": True},
])
def test_a_page_of_the_wrong_shape_raises_a_feed_error(payload):
    with pytest.raises(FeedError) as raised:
        parse_page(json.dumps(payload), "c1", SETTINGS)
    assert raised.value.code == "feed_bad_shape"


def test_a_page_without_a_next_cursor_keeps_the_current_one():
    result = parse_page(json.dumps({"orders": [], "has_more": False}), "c7", SETTINGS)
    assert (result.next_cursor, result.has_more, result.orders) == ("c7", False, [])
    assert parse_page(json.dumps({"orders": [], "next_cursor": 42}), "c7", SETTINGS).next_cursor == "42"


# --- the request -----------------------------------------------------------------------------------


def test_the_page_url_carries_the_cursor_and_the_page_size_and_keeps_other_parameters():
    assert page_url("https://mw.example.com/v1/orders?shop=12&cursor=old", "a b&c", 100) == (
        "https://mw.example.com/v1/orders?shop=12&cursor=a+b%26c&limit=100")
    assert page_url("http://127.0.0.1:8080/feed", "", 100) == "http://127.0.0.1:8080/feed?cursor=&limit=100"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/orders", "example.com/orders",
                                 "http:///no-host", "javascript:alert(1)"])
def test_only_http_and_https_feed_urls_are_accepted(url):
    with pytest.raises(FeedError) as raised:
        JsonFeedAdapter(FeedSettings(channel_code="X", url=url))
    assert raised.value.code == "feed_bad_url"


def test_adapters_are_built_by_name_from_plain_settings():
    assert ADAPTERS["json_feed"] is JsonFeedAdapter
    assert isinstance(make_adapter("json_feed", SETTINGS), JsonFeedAdapter)
    with pytest.raises(FeedError) as raised:
        make_adapter("carrier_pigeon", SETTINGS)
    assert raised.value.code == "unknown_adapter"
