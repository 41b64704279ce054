"""Shopify's order export CSV (Admin > Orders > Export): one row per line item.

The first row of an order carries the order-level columns; further rows of the same ``Name`` repeat
only a few of them. Times carry an offset (``2026-11-20 10:31:07 +0800``). Line items that do not
require shipping (gift cards, tips, digital goods) are not warehouse work and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from erp_core.channels.importers.assembly import Draft, DraftCollector, LineReader
from erp_core.channels.importers.model import ParsedOrder, order_error
from erp_core.fileimport.columns import Columns, header_key
from erp_core.fileimport.errors import RowError
from erp_core.fileimport.tables import Table
from erp_core.fileimport.values import clean_code
from erp_core.orders.regions import is_mainland_china, normalise_province

SHOPIFY_COLUMNS: dict[str, str] = {
    "Name": "external_id",
    "Email": "buyer_id",
    "Billing Name": "buyer_nick",
    "Financial Status": "status",
    "Paid at": "paid_at",
    "Created at": "created_at",
    "Cancelled at": "cancelled_at",
    "Total": "total",
    "Shipping": "shipping_fee",
    "Currency": "currency",
    "Notes": "buyer_note",
    "Shipping Name": "name",
    "Shipping Address1": "address1",
    "Shipping Address2": "address2",
    "Shipping City": "city",
    "Shipping Zip": "postcode",
    "Shipping Province": "province_code",
    "Shipping Province Name": "province",
    "Shipping Country": "country",
    "Shipping Phone": "phone",
    "Phone": "order_phone",
    "Lineitem sku": "sku",
    "Lineitem quantity": "quantity",
    "Lineitem price": "unit_price",
    "Lineitem name": "title",
    "Lineitem requires shipping": "requires_shipping",
}
REQUIRED = ("Name", "Created at", "Total", "Lineitem sku", "Lineitem quantity", "Lineitem price",
            "Shipping Name", "Shipping Address1", "Shipping City", "Shipping Country")
_ALIASES = {header_key(column): name for column, name in SHOPIFY_COLUMNS.items()}
_LINE_FIELDS = {"sku", "quantity", "unit_price", "title", "requires_shipping"}
_ORDER_FIELDS = tuple(name for name in SHOPIFY_COLUMNS.values() if name not in _LINE_FIELDS)


def looks_like_shopify(header: list[str]) -> bool:
    """Shopify's export is recognised by its ``Name`` and ``Lineitem ...`` columns."""
    keys = {header_key(cell) for cell in header}
    return {"name", "lineitem_sku", "lineitem_quantity", "financial_status"} <= keys


def parse_shopify(table: Table, known_sku: Callable[[str], bool] | None, local_tz: tzinfo
                  ) -> tuple[list[ParsedOrder], list[RowError], list[str], list[str]]:
    """Parse a Shopify export into (orders, errors, rejected names, skipped names)."""
    columns = Columns.resolve(table.header, _ALIASES)
    missing = [column for column in REQUIRED if not columns.has(SHOPIFY_COLUMNS[column])]
    if missing:
        return [], [order_error(table.file, table.header_line, c, "missing_column") for c in missing], [], []
    collector = DraftCollector(table.file, columns, _ORDER_FIELDS)
    lines = LineReader(columns, known_sku)
    for line, cells in table.rows:
        draft = collector.add(line, cells)
        if draft is None:
            continue
        if columns.get(cells, "requires_shipping").lower() == "false":
            draft.skipped_lines += 1
        else:
            lines.read(draft, line, cells)
    orders: list[ParsedOrder] = []
    errors = list(collector.errors)
    rejected: list[str] = []
    skipped: list[str] = []
    for draft in collector.drafts:
        order = _finish(draft, columns, local_tz)
        if draft.errors:
            errors.extend(draft.errors)
            rejected.append(draft.key)
        elif not order.lines:
            skipped.append(draft.key)
        else:
            orders.append(order)
    errors.sort(key=lambda e: (e.line or 0))
    return orders, errors, rejected, skipped


def _finish(draft: Draft, columns: Columns, local_tz: tzinfo) -> ParsedOrder:
    country = draft.text("country").upper()
    in_china = bool(country) and is_mainland_china(country)
    shippable = bool(draft.lines)
    if shippable:  # an order of gift cards only has no shipping address, and needs none
        draft.require("name", columns, "missing_recipient")
        draft.require("address1", columns, "missing_address")
        draft.require("country", columns, "missing_address")
        if in_china:
            draft.require("city", columns, "missing_address")
            if not (draft.text("province") or draft.text("province_code")):
                draft.fail(*draft.where("province_code", columns), "missing_address")
    province = draft.text("province") or draft.text("province_code")
    address = ", ".join(part for part in (draft.text("address1"), draft.text("address2")) if part)
    cancelled_at = draft.moment("cancelled_at", columns, local_tz)
    return ParsedOrder(
        external_id=draft.key,
        platform="shopify",
        buyer_id=draft.text("buyer_id") or clean_code(draft.text("order_phone")),
        buyer_nick=draft.text("buyer_nick"),
        name=draft.text("name"),
        phone=clean_code(draft.text("phone") or draft.text("order_phone")),
        province=normalise_province(province) if in_china else province,
        city=draft.text("city"),
        address=address,
        postcode=clean_code(draft.text("postcode")),
        country=country,
        buyer_note=draft.text("buyer_note"),
        created_at=draft.moment("created_at", columns, local_tz, required=True),
        paid_at=draft.moment("paid_at", columns, local_tz),
        total=draft.money("total", columns, required=True),
        shipping_fee=draft.money("shipping_fee", columns),
        currency=draft.text("currency").upper(),
        status=draft.text("status"),
        cancelled=cancelled_at is not None,
        lines=draft.lines,
        source_file=draft.file,
        source_line=draft.first_line,
    )
