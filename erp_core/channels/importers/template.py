"""Our own order import template (CSV or XLSX): one row per order line.

Columns are documented in ``docs/import-formats.md``; English names and Chinese aliases are both
accepted. Order-level columns may be repeated on every line of an order or left blank after the first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from operator import itemgetter

from erp_core.channels.importers.assembly import Draft, DraftCollector, LineReader, lines_total
from erp_core.channels.importers.model import ParsedOrder, order_error
from erp_core.fileimport.columns import Columns, header_key
from erp_core.fileimport.errors import RowError
from erp_core.fileimport.tables import Table
from erp_core.fileimport.values import clean_code
from erp_core.orders.regions import is_mainland_china, normalise_province

#: Template column -> (field it fills, accepted aliases). The first name is the one in the template.
TEMPLATE_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "order_no": ("external_id", ("订单号", "订单编号", "外部订单号", "平台订单号", "order_number",
                                 "order_id")),
    "order_date": ("created_at", ("下单时间", "订单日期", "创建时间", "订单创建时间", "order_time",
                                  "created_at")),
    "paid_at": ("paid_at", ("付款时间", "支付时间", "订单付款时间", "payment_time")),
    "buyer_id": ("buyer_id", ("买家id", "买家账号", "买家会员名", "customer_id")),
    "buyer_nick": ("buyer_nick", ("买家昵称", "nickname")),
    "buyer_name": ("name", ("收货人", "收货人姓名", "收件人", "recipient", "consignee")),
    "phone": ("phone", ("手机", "手机号", "联系手机", "收货人手机", "联系电话", "电话", "mobile", "tel")),
    "province": ("province", ("省", "省份", "state")),
    "city": ("city", ("市", "城市")),
    "district": ("district", ("区", "区县", "县区", "county")),
    "address": ("address", ("详细地址", "地址", "街道地址", "address1", "street")),
    "postcode": ("postcode", ("邮编", "邮政编码", "zip", "zip_code", "postal_code")),
    "country": ("country", ("国家", "国家地区", "country_code")),
    "sku": ("sku", ("商家编码", "商品编码", "sku编码", "货号", "seller_sku", "sku_code")),
    "quantity": ("quantity", ("数量", "购买数量", "商品数量", "qty")),
    "unit_price": ("unit_price", ("单价", "价格", "商品单价", "price")),
    "title": ("title", ("商品名称", "标题", "宝贝标题", "product_name")),
    "shipping_fee": ("shipping_fee", ("运费", "邮费", "shipping")),
    "total": ("total", ("订单金额", "实付金额", "订单总额", "order_total")),
    "currency": ("currency", ("币种", "货币")),
    "buyer_note": ("buyer_note", ("买家留言", "买家备注", "customer_note")),
    "seller_note": ("seller_note", ("卖家备注", "商家备注", "客服备注", "internal_note")),
}
REQUIRED_COLUMNS = ("order_no", "buyer_name", "phone", "province", "city", "address", "sku", "quantity",
                    "unit_price")

TEMPLATE_ALIASES: dict[str, str] = {}
for _column, (_field, _aliases) in TEMPLATE_COLUMNS.items():
    for _alias in (_column, *_aliases):
        TEMPLATE_ALIASES[header_key(_alias)] = _field
_FIELD_TO_COLUMN = {field_name: column for column, (field_name, _) in TEMPLATE_COLUMNS.items()}
_LINE_FIELDS = ("sku", "quantity", "unit_price", "title")
_ORDER_FIELDS = tuple(f for f, _ in TEMPLATE_COLUMNS.values() if f not in _LINE_FIELDS)


def template_columns(header: list[str]) -> Columns:
    """Resolve a header against the template's names and aliases."""
    return Columns.resolve(header, TEMPLATE_ALIASES)


def looks_like_template(header: list[str]) -> bool:
    """A header is a template when it has an order number column and three more template columns
    (so a template missing a required column is still recognised, and told which one is missing)."""
    columns = template_columns(header)
    return columns.has("external_id") and len(columns.found) >= 4


def parse_template(table: Table, known_sku: Callable[[str], bool] | None, local_tz: tzinfo
                   ) -> tuple[list[ParsedOrder], list[RowError], list[str]]:
    """Parse a template table into (orders, errors, rejected order numbers)."""
    columns = template_columns(table.header)
    missing = columns.missing([TEMPLATE_COLUMNS[c][0] for c in REQUIRED_COLUMNS])
    if missing:
        return [], [order_error(table.file, table.header_line, _FIELD_TO_COLUMN[name], "missing_column")
                     for name in missing], []
    collector = DraftCollector(table.file, columns, _ORDER_FIELDS, blank_key_continues=True)
    add, read = collector.add, LineReader(columns, known_sku).read
    for line, cells in table.rows:
        draft = add(line, cells)
        if draft is not None:
            read(draft, line, cells)
    orders: list[ParsedOrder] = []
    errors = list(collector.errors)
    rejected: list[str] = []
    provinces: dict[str, str] = {}
    for draft in collector.drafts:
        order = _finish(draft, columns, local_tz, provinces)
        if draft.errors:
            errors.extend(draft.errors)
            rejected.append(draft.key)
        else:
            orders.append(order)
    errors.sort(key=lambda e: (e.line or 0))
    return orders, errors, rejected


_CODE_PREFIXES = ("=", "'", "`")
_REQUIRED_ANYWHERE = (("name", "missing_recipient"), ("phone", "missing_phone"), ("address", "missing_address"))
_REQUIRED_IN_CHINA = (*_REQUIRED_ANYWHERE, ("province", "missing_address"), ("city", "missing_address"))


#: The order-level texts ``_finish`` reads, all in one call (a field without a column reads as "").
_ORDER_TEXTS = ("country", "name", "phone", "province", "city", "district", "address", "postcode",
                "buyer_id", "buyer_nick", "buyer_note", "seller_note", "currency", "total")
_read_order_texts = itemgetter(*_ORDER_TEXTS)
_NO_TEXTS = dict.fromkeys(_ORDER_TEXTS, "")


def _finish(draft: Draft, columns: Columns, local_tz: tzinfo, provinces: dict[str, str]) -> ParsedOrder:
    """The order of a draft; its problems are recorded on the draft in the order a person reads them.
    ``provinces`` remembers normalised province names across the drafts of a file."""
    (country, name, phone, province, city, district, address, postcode, buyer_id, buyer_nick, buyer_note,
     seller_note, currency, total) = _read_order_texts({**_NO_TEXTS, **draft.values})
    country = country.upper() or "CN"
    in_china = is_mainland_china(country)
    if not (name and phone and address and (province and city or not in_china)):
        text = draft.text
        for field_name, code in _REQUIRED_IN_CHINA if in_china else _REQUIRED_ANYWHERE:
            if not text(field_name):
                draft.fail(*draft.where(field_name, columns), code)
    shipping_fee = draft.money("shipping_fee", columns)
    total = (draft.money("total", columns, required=True) if total
             else lines_total(draft.lines) + shipping_fee)
    if in_china:
        province = provinces.get(province) or provinces.setdefault(province, normalise_province(province))
    paid_at = draft.moment("paid_at", columns, local_tz)
    return ParsedOrder(
        external_id=draft.key,
        platform="template",
        buyer_id=buyer_id,
        buyer_nick=buyer_nick or buyer_id,
        name=name,
        phone=_code(phone),
        province=province,
        city=city,
        district=district,
        address=address,
        postcode=_code(postcode),
        country="CN" if in_china else country,
        buyer_note=buyer_note,
        seller_note=seller_note,
        created_at=draft.moment("created_at", columns, local_tz),
        paid_at=paid_at,
        total=total,
        shipping_fee=shipping_fee,
        currency=currency.upper() or "CNY",
        status="paid" if paid_at is not None else "unpaid",
        lines=draft.lines,
        source_file=draft.file,
        source_line=draft.first_line,
    )


def _code(value: str) -> str:
    """``clean_code`` of an order-level value, which is trimmed already: only a spreadsheet's
    ``=``, apostrophe or backtick prefix is left to undo."""
    return clean_code(value) if value.startswith(_CODE_PREFIXES) else value
