"""Pure rules of the shops' platforms: the offered stock level, TOP's signature, Shopify's Link header
and shop address."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp_core.channels.adapters.shopify import next_page_info, shop_base_url
from erp_core.channels.adapters.taobao import sign
from erp_core.channels.stock_sync import offered_quantity


@pytest.mark.parametrize(("available", "ratio", "buffer", "offered"), [
    (15, 100, 0, 15), (15, 50, 2, 5), (3, 50, 2, 0), (7, 33, 0, 2), (0, 100, 0, 0), (10, 100, 20, 0)])
def test_the_offered_level_is_floored_and_never_negative(available, ratio, buffer, offered):
    assert offered_quantity(available, ratio, buffer) == offered


@given(st.integers(min_value=-5, max_value=10_000), st.integers(min_value=0, max_value=100),
       st.integers(min_value=0, max_value=10_000))
def test_the_offered_level_is_never_more_than_available_nor_below_zero(available, ratio, buffer):
    assert 0 <= offered_quantity(available, ratio, buffer) <= max(available, 0)


def test_the_top_md5_sign_wraps_the_sorted_name_value_pairs_in_the_secret():
    params = {"method": "taobao.user.seller.get", "app_key": "12345678", "v": "2.0", "fields": "nick"}
    text = "app_key12345678fieldsnickmethodtaobao.user.seller.getv2.0"
    assert sign(params, "s3cret") == hashlib.md5(f"s3cret{text}s3cret".encode()).hexdigest().upper()  # noqa: S324
    assert sign({**params, "sign": "ignored"}, "s3cret") == sign(params, "s3cret")


def test_the_top_hmac_sign_keys_hmac_md5_with_the_secret():
    params = {"b": "2", "a": "1"}
    assert sign(params, "k", "hmac") == hmac.new(b"k", b"a1b2", hashlib.md5).hexdigest().upper()


def test_the_next_page_info_is_read_from_the_link_header():
    header = ('<https://s.myshopify.com/admin/api/2024-07/orders.json?limit=2&page_info=abc>; rel="previous", '
              '<https://s.myshopify.com/admin/api/2024-07/orders.json?limit=2&page_info=def>; rel="next"')
    assert next_page_info(header) == "def"
    assert next_page_info('<https://s.myshopify.com/x.json?page_info=abc>; rel="previous"') == ""
    assert next_page_info("") == ""


def test_a_shop_domain_becomes_its_https_address():
    assert shop_base_url("tea-house.myshopify.com") == "https://tea-house.myshopify.com"
    assert shop_base_url("https://tea-house.myshopify.com/admin") == "https://tea-house.myshopify.com"
