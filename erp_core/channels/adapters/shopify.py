"""Shopify's REST Admin API (version ``API_VERSION``), authenticated with a custom app's Admin API
access token in the ``X-Shopify-Access-Token`` header.

Orders: ``GET /admin/api/<ver>/orders.json?status=any&updated_at_min=<watermark>&order=updated_at asc
&limit=<n>``, then the pages that the ``Link: <...page_info=...>; rel="next"`` header names (with
``page_info`` only ``limit`` may be sent). The cursor is ``<watermark>|<page_info>``: the
``updated_at`` of the last order seen, and the next page of the pass under way ("" between passes).
A pass re-reads the order at the watermark itself (``updated_at_min`` is inclusive); the dedupe by
(channel, external id) makes that harmless. The external id is the order's ``name`` ("#1001"), as
in the Shopify order export.

Shipments: ``GET /orders.json?name=...`` finds the order's id, ``GET /orders/{id}/fulfillment_orders.json``
lists what is left to fulfil, ``POST /fulfillments.json`` fulfils it with ``tracking_info``.
Stock: ``POST /inventory_levels/set.json {location_id, inventory_item_id, available}``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from erp_core.channels.adapters.base import (
    MAX_CURSOR_LENGTH,
    FeedError,
    FeedSettings,
    FetchPage,
    ShipmentNotice,
    StockLevel,
    feed_url_syntax,
)
from erp_core.channels.adapters.http import Answer, call
from erp_core.channels.importers.model import ParsedLine, ParsedOrder, order_error, sku_predicate
from erp_core.fileimport.values import clean
from erp_core.orders.regions import is_mainland_china, normalise_province

API_VERSION = "2024-07"
INITIAL_LOOKBACK = timedelta(days=3)
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
OPEN_FULFILLMENT = frozenset({"open", "in_progress"})
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
#: Our carrier codes as Shopify's tracking company names (Shopify builds tracking links for these).
TRACKING_COMPANIES = {"SF": "SF Express", "ZTO": "ZTO Express", "YTO": "YTO Express", "STO": "STO Express",
                      "YUNDA": "Yunda Express", "EMS": "China Post", "JD": "JD Logistics", "DHL": "DHL Express",
                      "UPS": "UPS", "FEDEX": "FedEx"}


def shop_base_url(shop: str) -> str:
    """``https://<shop>.myshopify.com`` from a shop domain or a whole address (no path kept)."""
    shop = (shop or "").strip().rstrip("/")
    if "://" not in shop:
        shop = f"https://{shop}"
    parts = urlsplit(feed_url_syntax(shop))
    return f"{parts.scheme}://{parts.netloc}"


def next_page_info(link_header: str) -> str:
    """The ``page_info`` of the ``rel="next"`` link ("" when there is no next page)."""
    for match in _NEXT_LINK.finditer(link_header or ""):
        return parse_qs(urlsplit(match.group(1)).query).get("page_info", [""])[0]
    return ""


class ShopifyAdapter:
    name = "shopify"

    def __init__(self, settings: FeedSettings) -> None:
        self.settings = settings
        self.base = shop_base_url(settings.url)
        self.token = settings.credentials.get("access_token", "")
        if not self.token:
            raise FeedError("the shop has no Shopify Admin API access token", code="credentials_missing",
                            channel=settings.channel_code)

    # --- requests ----------------------------------------------------------------------------------

    def _url(self, path: str, query: dict[str, str] | None = None) -> str:
        url = f"{self.base}/admin/api/{API_VERSION}/{path}"
        return f"{url}?{urlencode(query)}" if query else url

    def _call(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> Answer:
        answer = call(method, self._url(path, query), headers={"X-Shopify-Access-Token": self.token},
                      json_body=body, timeout=self.settings.timeout_seconds)
        if answer.status >= 400:
            raise FeedError(f"Shopify answered HTTP {answer.status}: {_shopify_errors(answer.payload)}",
                            code="platform_error", platform="Shopify", http_status=answer.status,
                            reason=f"HTTP {answer.status} {_shopify_errors(answer.payload)}")
        return answer

    def test_connection(self) -> str:
        shop = (self._call("GET", "shop.json").payload or {}).get("shop") or {}
        return str(shop.get("name") or shop.get("domain") or "")

    # --- orders ------------------------------------------------------------------------------------

    def fetch(self, cursor: str) -> FetchPage:
        watermark, _, page_info = cursor.partition("|")
        if not watermark:
            watermark = (self.settings.clock() - INITIAL_LOOKBACK).isoformat(timespec="seconds")
        if page_info:
            query = {"limit": str(self.settings.page_size), "page_info": page_info}
        else:
            query = {"status": "any", "updated_at_min": watermark, "order": "updated_at asc",
                     "limit": str(self.settings.page_size)}
        answer = self._call("GET", "orders.json", query)
        raw_orders = (answer.payload or {}).get("orders")
        if not isinstance(raw_orders, list):
            raise FeedError('Shopify\'s answer has no "orders" list', code="feed_bad_shape")
        page = FetchPage()
        for line, raw in enumerate(raw_orders, start=1):
            watermark = max(watermark, str(raw.get("updated_at") or ""), key=_moment_key)
            self._map(raw, line, page)
        following = next_page_info(answer.headers.get("link", ""))
        page.next_cursor = f"{watermark}|{following}"
        page.has_more = bool(following)
        if len(page.next_cursor) > MAX_CURSOR_LENGTH:
            raise FeedError("Shopify's page cursor is too long to keep", code="feed_bad_shape")
        return page

    def _map(self, raw: dict, line: int, page: FetchPage) -> None:
        order, errors = map_shopify_order(raw, line, self.settings)
        page.errors.extend(errors)
        if order is not None:
            page.orders.append(order)

    # --- shipments and stock -----------------------------------------------------------------------

    def _order_id(self, name: str) -> str:
        found = (self._call("GET", "orders.json", {"name": name, "status": "any", "fields": "id,name"}).payload
                 or {}).get("orders") or []
        match = next((o for o in found if o.get("name") == name), None)
        if match is None:
            raise FeedError(f"Shopify has no order {name}", code="platform_order_missing", order=name)
        return str(match["id"])

    def confirm_shipment(self, notice: ShipmentNotice) -> str:
        order_id = self._order_id(notice.order_number)
        listed = self._call("GET", f"orders/{quote(order_id)}/fulfillment_orders.json").payload or {}
        groups = []
        for fulfillment_order in listed.get("fulfillment_orders") or []:
            if fulfillment_order.get("status") not in OPEN_FULFILLMENT:
                continue
            items = [{"id": item["id"], "quantity": int(item.get("fulfillable_quantity") or 0)}
                     for item in fulfillment_order.get("line_items") or []
                     if int(item.get("fulfillable_quantity") or 0) > 0]
            if items:
                groups.append({"fulfillment_order_id": fulfillment_order["id"],
                               "fulfillment_order_line_items": items})
        if not groups:
            return "already_shipped"  # a retry after Shopify took it, or fulfilled there by hand
        company = TRACKING_COMPANIES.get(notice.carrier_code.upper(), notice.carrier_code)
        self._call("POST", "fulfillments.json", body={"fulfillment": {
            "line_items_by_fulfillment_order": groups, "notify_customer": True,
            "tracking_info": {"number": notice.tracking_number, "company": company}}})
        return "sent"

    def push_stock(self, level: StockLevel) -> None:
        if not self.settings.location_id:
            raise FeedError("the shop has no Shopify location id for its stock", code="credentials_missing",
                            channel=self.settings.channel_code)
        self._call("POST", "inventory_levels/set.json", body={
            "location_id": _as_int(self.settings.location_id), "inventory_item_id": _as_int(level.platform_sku_id),
            "available": level.quantity})


def _as_int(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _moment_key(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _shopify_errors(payload: Any) -> str:
    if isinstance(payload, dict) and "errors" in payload:
        errors = payload["errors"]
        return errors if isinstance(errors, str) else str(errors)[:300]
    return "no details"


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        return Decimal("-1")
    return amount


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def map_shopify_order(raw: Any, line: int, settings: FeedSettings) -> tuple[ParsedOrder | None, list]:
    """One Shopify order as a ``ParsedOrder`` (None with the errors when it cannot be stored; None
    and no errors for an order with nothing to ship, or already fulfilled on Shopify before we knew it)."""
    source = settings.source
    name = clean(str(raw.get("name") or "")) if isinstance(raw, dict) else ""
    if not name:
        return None, [order_error(source, line, "name", "missing_order_number")]
    known = sku_predicate(settings.known_skus)
    errors, lines = [], []
    for index, item in enumerate(raw.get("line_items") or []):
        if item.get("requires_shipping") is False:
            continue
        sku, column = clean(str(item.get("sku") or "")), f"line_items[{index}].sku"
        quantity, price = item.get("quantity"), _money(item.get("price"))
        if not sku:
            errors.append(order_error(source, line, column, "missing_sku", name))
        elif known is not None and not known(sku):
            errors.append(order_error(source, line, column, "unknown_sku", sku))
        if not isinstance(quantity, int) or not 1 <= quantity <= 1_000_000:
            errors.append(order_error(source, line, f"line_items[{index}].quantity", "bad_quantity", str(quantity)))
        if price < 0:
            errors.append(order_error(source, line, f"line_items[{index}].price", "bad_number", str(item.get("price"))))
        lines.append(ParsedLine(sku, quantity if isinstance(quantity, int) else 0, price, str(item.get("title") or ""),
                                source_line=line, source_file=source))
    cancelled = bool(raw.get("cancelled_at"))
    if not lines or (raw.get("fulfillment_status") == "fulfilled" and not cancelled):
        return None, []
    address = raw.get("shipping_address") or {}
    country = str(address.get("country_code") or "").upper()
    in_china = is_mainland_china(country) if country else False
    province = str(address.get("province") or address.get("province_code") or "")
    for field, code in (("name", "missing_recipient"), ("address1", "missing_address")):
        if not address.get(field) and not cancelled:
            errors.append(order_error(source, line, f"shipping_address.{field}", code, name))
    created_at = _moment(raw.get("created_at"))
    if created_at is None:
        errors.append(order_error(source, line, "created_at", "bad_date", str(raw.get("created_at") or "")))
    if errors:
        return None, errors
    customer = raw.get("customer") or {}
    paid = str(raw.get("financial_status") or "") in PAID_STATUSES
    shipping_fee = sum((_money(s.get("price")) for s in raw.get("shipping_lines") or []), Decimal("0"))
    return ParsedOrder(
        external_id=name, platform="shopify",
        buyer_id=str(raw.get("email") or customer.get("id") or ""),
        buyer_nick=" ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p),
        name=str(address.get("name") or ""), phone=str(address.get("phone") or raw.get("phone") or ""),
        province=normalise_province(province) if in_china else province, city=str(address.get("city") or ""),
        address=", ".join(p for p in (address.get("address1"), address.get("address2")) if p),
        postcode=str(address.get("zip") or ""), country="CN" if in_china else country,
        buyer_note=str(raw.get("note") or ""), created_at=created_at,
        paid_at=_moment(raw.get("processed_at")) or created_at if paid else None,
        total=_money(raw.get("total_price")), shipping_fee=shipping_fee,
        currency=str(raw.get("currency") or "USD").upper(), status=str(raw.get("financial_status") or ""),
        cancelled=cancelled, lines=lines, source_file=source, source_line=line,
    ), []
