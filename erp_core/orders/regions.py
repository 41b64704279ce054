"""Chinese provinces (省级行政区) and the sales regions (大区) warehouses are usually assigned to.

One table serves the address splitter of the importers and the warehouse choice of allocation.
Province names are normalised to their full Chinese name (``浙江省``, ``上海市``, ``广西壮族自治区``)
from short names, pinyin or ISO 3166-2:CN codes.
"""

from __future__ import annotations

from dataclasses import dataclass

EAST, SOUTH, NORTH, CENTRAL = "华东", "华南", "华北", "华中"
SOUTHWEST, NORTHWEST, NORTHEAST = "西南", "西北", "东北"
REGIONS: tuple[str, ...] = (EAST, SOUTH, NORTH, CENTRAL, SOUTHWEST, NORTHWEST, NORTHEAST)


@dataclass(frozen=True, slots=True)
class Province:
    """A province-level division: full name, short name, pinyin, ISO code and default region."""

    name: str
    short: str
    pinyin: str
    code: str
    region: str
    municipality: bool = False


PROVINCES: tuple[Province, ...] = (
    Province("北京市", "北京", "Beijing", "BJ", NORTH, municipality=True),
    Province("天津市", "天津", "Tianjin", "TJ", NORTH, municipality=True),
    Province("河北省", "河北", "Hebei", "HE", NORTH),
    Province("山西省", "山西", "Shanxi", "SX", NORTH),
    Province("内蒙古自治区", "内蒙古", "Inner Mongolia", "NM", NORTH),
    Province("上海市", "上海", "Shanghai", "SH", EAST, municipality=True),
    Province("江苏省", "江苏", "Jiangsu", "JS", EAST),
    Province("浙江省", "浙江", "Zhejiang", "ZJ", EAST),
    Province("安徽省", "安徽", "Anhui", "AH", EAST),
    Province("福建省", "福建", "Fujian", "FJ", EAST),
    Province("江西省", "江西", "Jiangxi", "JX", EAST),
    Province("山东省", "山东", "Shandong", "SD", EAST),
    Province("台湾省", "台湾", "Taiwan", "TW", EAST),
    Province("广东省", "广东", "Guangdong", "GD", SOUTH),
    Province("广西壮族自治区", "广西", "Guangxi", "GX", SOUTH),
    Province("海南省", "海南", "Hainan", "HI", SOUTH),
    Province("香港特别行政区", "香港", "Hong Kong", "HK", SOUTH),
    Province("澳门特别行政区", "澳门", "Macao", "MO", SOUTH),
    Province("河南省", "河南", "Henan", "HA", CENTRAL),
    Province("湖北省", "湖北", "Hubei", "HB", CENTRAL),
    Province("湖南省", "湖南", "Hunan", "HN", CENTRAL),
    Province("重庆市", "重庆", "Chongqing", "CQ", SOUTHWEST, municipality=True),
    Province("四川省", "四川", "Sichuan", "SC", SOUTHWEST),
    Province("贵州省", "贵州", "Guizhou", "GZ", SOUTHWEST),
    Province("云南省", "云南", "Yunnan", "YN", SOUTHWEST),
    Province("西藏自治区", "西藏", "Tibet", "XZ", SOUTHWEST),
    Province("陕西省", "陕西", "Shaanxi", "SN", NORTHWEST),
    Province("甘肃省", "甘肃", "Gansu", "GS", NORTHWEST),
    Province("青海省", "青海", "Qinghai", "QH", NORTHWEST),
    Province("宁夏回族自治区", "宁夏", "Ningxia", "NX", NORTHWEST),
    Province("新疆维吾尔自治区", "新疆", "Xinjiang", "XJ", NORTHWEST),
    Province("辽宁省", "辽宁", "Liaoning", "LN", NORTHEAST),
    Province("吉林省", "吉林", "Jilin", "JL", NORTHEAST),
    Province("黑龙江省", "黑龙江", "Heilongjiang", "HL", NORTHEAST),
)

#: Default province -> region map (full Chinese province names). Pass your own to allocation to change it.
DEFAULT_PROVINCE_REGIONS: dict[str, str] = {p.name: p.region for p in PROVINCES}

_EXTRA_ALIASES = {
    "nei mongol": "内蒙古自治区",
    "xizang": "西藏自治区",
    "macau": "澳门特别行政区",
    "hongkong": "香港特别行政区",
    "内蒙": "内蒙古自治区",
}
_BY_ALIAS: dict[str, Province] = {}
for _province in PROVINCES:
    for _alias in (_province.name, _province.short, _province.pinyin.lower(), _province.code.lower()):
        _BY_ALIAS[_alias] = _province
    _BY_ALIAS[f"cn-{_province.code.lower()}"] = _province
for _alias, _name in _EXTRA_ALIASES.items():
    _BY_ALIAS[_alias] = next(p for p in PROVINCES if p.name == _name)

#: Short names longest first, so a prefix search finds 黑龙江 before a hypothetical 黑.
SHORT_NAMES_LONGEST_FIRST: tuple[str, ...] = tuple(
    sorted((p.short for p in PROVINCES), key=len, reverse=True)
)


def find_province(text: str) -> Province | None:
    """The province a name refers to (``浙江``, ``浙江省``, ``Zhejiang``, ``ZJ``, ``CN-ZJ``), or None."""
    key = text.strip()
    found = _BY_ALIAS.get(key) or _BY_ALIAS.get(key.lower())
    if found is None and key.lower().endswith((" sheng", " shi")):
        found = _BY_ALIAS.get(key.lower().rsplit(" ", 1)[0])
    return found


def normalise_province(text: str) -> str:
    """The full Chinese province name for ``text``, or ``text`` unchanged when it is not one."""
    found = find_province(text)
    return found.name if found else text.strip()


def region_of(province: str, province_regions: dict[str, str] | None = None) -> str | None:
    """The region of a province under ``province_regions`` (default: ``DEFAULT_PROVINCE_REGIONS``)."""
    mapping = DEFAULT_PROVINCE_REGIONS if province_regions is None else province_regions
    return mapping.get(normalise_province(province)) or mapping.get(province.strip())


_CHINA_NAMES = frozenset(
    {"", "CN", "CHN", "CHINA", "PRC", "MAINLAND CHINA", "中国", "中华人民共和国", "中国大陆"}
)


def is_mainland_china(country: str) -> bool:
    """Whether a country cell means mainland China (an empty cell does: it is the default market)."""
    return country.strip().upper() in _CHINA_NAMES
