"""Split a one-string Chinese address (Taobao's 收货地址) into province, city, district and detail.

Taobao writes ``浙江省 杭州市 西湖区 文三路478号华星时代广场(310012)``: three administrative parts
separated by spaces, then the street detail, often with the postcode in brackets at the end. For the
four municipalities the first part is the short name (``上海 上海市 浦东新区 ...``). When an address
has no spaces (typed by hand), the parts are found by their suffixes instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from erp_core.orders.regions import SHORT_NAMES_LONGEST_FIRST, Province, find_province

_POSTCODE_RE = re.compile(r"[(（]\s*(\d{6})\s*[)）]\s*$")
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟")
_DISTRICT_SUFFIXES = ("区", "县", "市", "旗", "林区")
_SAR_CITIES = ("香港岛", "九龙", "新界", "澳门半岛", "离岛", "氹仔", "路环")
_CITY_RE = re.compile(r"(.{1,9}?(?:自治州|地区|市|盟))")
_DISTRICT_RE = re.compile(r"(.{1,9}?(?:林区|区|县|市|旗))")
_PREFECTURE_PLACEHOLDERS = ("省直辖县级行政区划", "自治区直辖县级行政区划", "县", "市辖区")


@dataclass(frozen=True, slots=True)
class CnAddress:
    """A Chinese address in parts; empty strings for the parts that could not be found."""

    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postcode: str = ""


def split_cn_address(text: str) -> CnAddress:
    """Split ``text`` into a ``CnAddress``; unknown provinces leave everything in ``detail``."""
    text = text.strip()
    postcode = ""
    found_postcode = _POSTCODE_RE.search(text)
    if found_postcode:
        postcode = found_postcode.group(1)
        text = text[: found_postcode.start()].rstrip()
    if postcode == "000000":  # Taobao's placeholder when the buyer gave none
        postcode = ""
    parts = text.split()
    province = find_province(parts[0]) if parts else None
    if province is None or len(parts) < 2:
        return CnAddress(*_split_joined(text), postcode)
    return CnAddress(*_split_tokens(province, parts[1:]), postcode)


def _split_tokens(province: Province, rest: list[str]) -> tuple[str, str, str, str]:
    city = ""
    if rest and (rest[0].endswith(_CITY_SUFFIXES) or rest[0] in _SAR_CITIES or
                 rest[0] in _PREFECTURE_PLACEHOLDERS or find_province(rest[0]) is province):
        city = rest.pop(0)
    if province.municipality and (not city or find_province(city) is province):
        city = province.name
    elif city in _PREFECTURE_PLACEHOLDERS:
        city = ""
    district = ""
    if rest and len(rest) > 1 and rest[0].endswith(_DISTRICT_SUFFIXES):
        district = rest.pop(0)
    if not city and district:  # 省直辖县级市 such as 湖北省 仙桃市: the county-level city is the city
        city = district
    return province.name, city, district, " ".join(rest)


def _split_joined(text: str) -> tuple[str, str, str, str]:
    compact = "".join(text.split())
    province = None
    rest = compact
    for short in SHORT_NAMES_LONGEST_FIRST:
        if compact.startswith(short):
            province = find_province(short)
            assert province is not None
            rest = compact[len(province.name):] if compact.startswith(province.name) else compact[len(short):]
            break
    if province is None:
        return "", "", "", text
    city = ""
    if province.municipality:
        city = province.name
        for prefix in (province.name, province.short):
            if rest.startswith(prefix):
                rest = rest[len(prefix):]
                break
    else:
        found_city = _CITY_RE.match(rest)
        if found_city:
            city, rest = found_city.group(1), rest[found_city.end():]
    district = ""
    found_district = _DISTRICT_RE.match(rest)
    if found_district and found_district.end() < len(rest):
        district, rest = found_district.group(1), rest[found_district.end():]
    return province.name, city, district, rest
