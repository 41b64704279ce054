"""Order file importers: addresses, times and amounts cell by cell."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

# --- cells: addresses, times, amounts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("浙江省 杭州市 西湖区 文三路478号华星时代广场A座(310012)",
         ("浙江省", "杭州市", "西湖区", "文三路478号华星时代广场A座", "310012")),
        ("上海 上海市 浦东新区 张江镇 碧波路690号(000000)", ("上海市", "上海市", "浦东新区", "张江镇 碧波路690号", "")),
        ("北京 朝阳区 建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号", "")),
        ("内蒙古自治区 呼和浩特市 新城区 兴安北路123号", ("内蒙古自治区", "呼和浩特市", "新城区", "兴安北路123号", "")),
        ("广西壮族自治区 南宁市 青秀区 民族大道100号", ("广西壮族自治区", "南宁市", "青秀区", "民族大道100号", "")),
        ("湖北省 仙桃市 干河街道 仙桃大道1号", ("湖北省", "仙桃市", "", "干河街道 仙桃大道1号", "")),
        ("广东省深圳市南山区科技园南区高新南一道9号（518057）",
         ("广东省", "深圳市", "南山区", "科技园南区高新南一道9号", "518057")),
        ("重庆市渝中区解放碑民族路188号", ("重庆市", "重庆市", "渝中区", "解放碑民族路188号", "")),
        ("火星 奥林匹斯山", ("", "", "", "火星 奥林匹斯山", "")),
    ],
)
def test_chinese_addresses_are_split_into_province_city_district_and_detail(
        text: str, parts: tuple[str, str, str, str, str]) -> None:
    from erp_core.channels.importers import split_cn_address

    address = split_cn_address(text)
    assert (address.province, address.city, address.district, address.detail, address.postcode) == parts


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2026-11-20 10:31:07", datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)),
        ("2026/11/20 10:31", datetime(2026, 11, 20, 2, 31, tzinfo=UTC)),
        ("2026/1/5 9:03", datetime(2026, 1, 5, 1, 3, tzinfo=UTC)),
        ("2026年11月20日 10:31:07", datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
        ("2026-11-20 10:31:07 +0800", datetime(2026, 11, 20, 2, 31, 7, tzinfo=UTC)),
        ("2026-11-20T10:31:07-05:00", datetime(2026, 11, 20, 15, 31, 7, tzinfo=UTC)),
        ("2026-11-20T10:31:07Z", datetime(2026, 11, 20, 10, 31, 7, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_usual_spelling_become_utc(raw: str, utc: datetime) -> None:
    from erp_core.fileimport.values import parse_datetime

    assert parse_datetime(raw) == utc


@pytest.mark.parametrize("raw", ["", "yesterday", "2026-02-30 10:00:00", "2026-11-20 24:00:00", "20/11/2026"])
def test_impossible_timestamps_are_refused(raw: str) -> None:
    from erp_core.fileimport.values import parse_datetime

    with pytest.raises(ValueError):
        parse_datetime(raw)


@pytest.mark.parametrize(("raw", "amount"), [("12.50", "12.50"), ("¥1,299.00", "1299.00"), ("$8", "8"),
                                             ("'0.10", "0.10"), (" 68 ", "68")])
def test_amounts_are_read_as_exact_decimals(raw: str, amount: str) -> None:
    from erp_core.fileimport.values import parse_money

    assert parse_money(raw) == Decimal(amount)


@pytest.mark.parametrize("raw", ["", "-5", "12,5", "1e3", "NaN", "十块"])
def test_doubtful_amounts_are_refused_rather_than_guessed(raw: str) -> None:
    from erp_core.fileimport.values import parse_money

    with pytest.raises(ValueError):
        parse_money(raw)


def test_scientific_notation_matches_only_numbers_that_round_to_it() -> None:
    from erp_core.fileimport.values import scientific_matches

    assert scientific_matches("2.34568E+18", "2345678901234567890")
    assert scientific_matches("2.34568E+18", "2345675000000000000")  # rounds half up
    assert not scientific_matches("2.34568E+18", "2345674999999999999")
    assert not scientific_matches("2.34568E+18", "234567890123456789")  # one digit short
