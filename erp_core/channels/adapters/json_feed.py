"""The generic JSON-over-HTTP order feed served by platform middlewares (聚合接口).

``GET <feed_url>?cursor=<cursor>&limit=100`` with ``Authorization: Bearer <token>`` answers
``{"orders": [...], "next_cursor": "...", "has_more": true}``; the format is documented in
``docs/json-order-feed.md``. Each order is checked like a row of an order file: an order with any
error is left out whole (and reported with its place in the page and the JSON path of the bad
value), the others are kept. A page that cannot be read at all raises ``FeedError``.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from erp_core.channels.adapters.base import (
    MAX_CURSOR_LENGTH,
    FeedError,
    FeedSettings,
    FetchPage,
    check_feed_url,
    feed_url_syntax,
)
from erp_core.channels.importers.model import REASONS, ParsedLine, ParsedOrder, sku_predicate
from erp_core.fileimport import RowError
from erp_core.fileimport.values import clean, parse_money, parse_quantity
from erp_core.orders.regions import is_mainland_china, normalise_province

#: Reasons of the errors a JSON feed words its own way (the others are the file importers' ``REASONS``).
FEED_REASONS: dict[str, str] = {
    "not_an_object": "must be a JSON object",
    "bad_order_number": "order id must be a string or a whole number",
    "bad_text": "must be a string",
    "too_long": "text is longer than the order field allows",
    "date_without_offset": "time has no UTC offset (write it like 2026-11-20T10:31:07+08:00)",
    "missing_paid_at": "a paid order needs paid_at",
    "bad_currency": "currency must be a three-letter code such as CNY",
    "bad_country": "country must be a two-letter code such as CN",
    "order_without_lines": "order has no items",
}
#: Longest text each field may hold; mirrors the orders table, where a longer value would fail the
#: insert (on PostgreSQL) and stop the whole feed at that page.
MAX_LENGTHS: dict[str, int] = {
    "id": 64, "buyer.id": 80, "receiver.name": 120, "receiver.phone": 40, "receiver.province": 40,
    "receiver.city": 60, "receiver.district": 60, "receiver.address": 255, "receiver.postcode": 20,
}
CANCELLED_STATUSES = frozenset({"cancelled", "canceled", "closed"})
MAX_MONEY = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")


class JsonFeedAdapter:
    """Pulls pages of orders from a JSON order feed (see ``docs/json-order-feed.md``)."""

    name = "json_feed"

    def __init__(self, settings: FeedSettings) -> None:
        feed_url_syntax(settings.url)
        self.settings = settings

    def fetch(self, cursor: str) -> FetchPage:
        body = self._get(page_url(self.settings.url, cursor, self.settings.page_size))
        return parse_page(body, cursor, self.settings)

    def _get(self, url: str) -> bytes:
        check_feed_url(url)  # right before the request: the host may resolve elsewhere since it was saved
        request = urllib.request.Request(url, headers={"Accept": "application/json",  # noqa: S310  (http(s) only)
                                                       "User-Agent": "warehouse-floor-feed/1"})
        if self.settings.token:
            request.add_header("Authorization", f"Bearer {self.settings.token}")
        opener = urllib.request.build_opener(_SameOriginRedirects(url))
        try:
            with opener.open(request, timeout=self.settings.timeout_seconds) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            hint = " (check the feed token)" if error.code in (401, 403) else ""
            raise FeedError(f"the feed answered HTTP {error.code}{hint}", code="feed_http_error",
                            http_status=error.code) from error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            raise FeedError(f"the feed cannot be reached: {reason}", code="feed_unreachable",
                            reason=str(reason)) from error
        if len(body) > MAX_RESPONSE_BYTES:
            raise FeedError("the feed page is larger than 20 MB; ask for smaller pages", code="feed_too_large")
        return body


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same host over http(s): the bearer token must not travel to
    another server, and no redirect may reach ``file:`` or ``ftp:``."""

    def __init__(self, url: str) -> None:
        self.host = urlsplit(url).hostname

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urlsplit(newurl)
        if target.scheme not in ("http", "https") or target.hostname != self.host:
            raise FeedError(f"the feed redirected to another server ({target.hostname}); use that URL instead",
                            code="feed_redirected", host=target.hostname or "")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def page_url(feed_url: str, cursor: str, limit: int) -> str:
    """``feed_url`` with ``cursor`` and ``limit`` set in its query (other parameters are kept)."""
    parts = urlsplit(feed_url_syntax(feed_url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("cursor", "limit")]
    query += [("cursor", cursor), ("limit", str(limit))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_page(body: bytes | str, cursor: str, settings: FeedSettings) -> FetchPage:
    """Turn one response body into a ``FetchPage``; raise FeedError when it is not a feed page."""
    try:
        payload = json.loads(body, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as error:
        raise FeedError(f"the feed did not answer valid JSON: {error}", code="feed_bad_json") from error
    return read_page(payload, cursor, settings)


def read_page(payload: Any, cursor: str, settings: FeedSettings) -> FetchPage:
    """Map a decoded feed page: the page's shape must be right, each order is checked on its own."""
    if not isinstance(payload, dict) or not isinstance(payload.get("orders"), list):
        raise FeedError('the feed page is not {"orders": [...], ...}', code="feed_bad_shape")
    has_more = payload.get("has_more", False)
    if not isinstance(has_more, bool):
        raise FeedError("has_more must be true or false", code="feed_bad_shape")
    next_cursor = payload.get("next_cursor")
    if next_cursor is None or next_cursor == "":
        next_cursor = cursor  # the end of the feed for now: ask again from the same place later
    elif isinstance(next_cursor, int) and not isinstance(next_cursor, bool):
        next_cursor = str(next_cursor)
    elif not isinstance(next_cursor, str):
        raise FeedError("next_cursor must be a string", code="feed_bad_shape")
    if len(next_cursor) > MAX_CURSOR_LENGTH:
        raise FeedError(f"next_cursor is longer than {MAX_CURSOR_LENGTH} characters", code="feed_bad_shape")
    if has_more and next_cursor == cursor:
        raise FeedError("has_more is true but next_cursor does not move on", code="feed_bad_shape")
    page = FetchPage(next_cursor=next_cursor, has_more=has_more)
    for line, raw in enumerate(payload["orders"], start=1):
        order, errors = map_order(raw, line, settings)
        if order is not None:
            page.orders.append(order)
        page.errors.extend(errors)
    return page


def map_order(raw: Any, line: int, settings: FeedSettings) -> tuple[ParsedOrder | None, list[RowError]]:
    """One feed order as a ``ParsedOrder``, or ``None`` and every error found in it.

    ``line`` is the order's 1-based place in its page; errors name the JSON path of the bad value.
    """
    reader = _OrderReader(settings.source, line)
    if not isinstance(raw, dict):
        reader.fail("", "not_an_object")
        return None, reader.errors
    external_id = reader.order_id(raw.get("id"))
    status = reader.text("status", raw).lower()
    created_at = reader.moment("created_at", raw.get("created_at"), required=True)
    paid_at = reader.moment("paid_at", raw.get("paid_at"))
    if status == "paid" and paid_at is None and not reader.failed("paid_at"):
        reader.fail("paid_at", "missing_paid_at")
    buyer = reader.section("buyer", raw, required=False)
    receiver = reader.section("receiver", raw, required=True)
    address = _read_receiver(reader, receiver)
    currency = (reader.text("currency", raw) or "CNY").upper()
    if not reader.failed("currency") and _CURRENCY_RE.fullmatch(currency) is None:
        reader.fail("currency", "bad_currency", currency)
    shipping_fee = reader.money("shipping_fee", raw.get("shipping_fee"), required=False)
    lines = _read_items(reader, raw.get("items"), sku_predicate(settings.known_skus))
    buyer_id, buyer_nick = reader.text("buyer.id", buyer, "id"), reader.text("buyer.nick", buyer, "nick")
    buyer_note, seller_note = reader.text("buyer_note", raw), reader.text("seller_note", raw)
    if reader.errors:
        return None, reader.errors
    return ParsedOrder(
        external_id=external_id, platform=settings.platform or "json_feed",
        buyer_id=buyer_id, buyer_nick=buyer_nick or buyer_id, buyer_note=buyer_note, seller_note=seller_note,
        created_at=created_at, paid_at=paid_at, shipping_fee=shipping_fee, currency=currency,
        total=sum((item.unit_price * item.quantity for item in lines), shipping_fee),
        status=status, cancelled=status in CANCELLED_STATUSES, lines=lines,
        source_file=settings.source, source_line=line, **address,
    ), []


def _read_receiver(reader: _OrderReader, receiver: dict) -> dict[str, str]:
    fields = {name: reader.text(f"receiver.{name}", receiver, name)
              for name in ("name", "phone", "province", "city", "district", "address", "postcode", "country")}
    in_china = is_mainland_china(fields["country"])
    country = "CN" if in_china else fields["country"].upper()
    if not reader.failed("receiver.country") and _COUNTRY_RE.fullmatch(country) is None:
        reader.fail("receiver.country", "bad_country", fields["country"])
    if reader.failed("receiver"):
        return {}
    for name, code in (("name", "missing_recipient"), ("phone", "missing_phone"), ("address", "missing_address")):
        if not fields[name] and not reader.failed(f"receiver.{name}"):
            reader.fail(f"receiver.{name}", code)
    if in_china:
        for name in ("province", "city"):
            if not fields[name] and not reader.failed(f"receiver.{name}"):
                reader.fail(f"receiver.{name}", "missing_address")
    province = normalise_province(fields["province"]) if in_china else fields["province"]
    return {"name": fields["name"], "phone": fields["phone"], "province": province, "city": fields["city"],
            "district": fields["district"], "address": fields["address"], "postcode": fields["postcode"],
            "country": country}


def _read_items(reader: _OrderReader, items: Any, known_sku) -> list[ParsedLine]:
    if not isinstance(items, list) or not items:
        reader.fail("items", "order_without_lines")
        return []
    lines: list[ParsedLine] = []
    for index, item in enumerate(items):
        path = f"items[{index}]"
        if not isinstance(item, dict):
            reader.fail(path, "not_an_object")
            continue
        before = len(reader.errors)
        sku = reader.text(f"{path}.sku", item, "sku")
        if not sku and not reader.failed(f"{path}.sku"):
            reader.fail(f"{path}.sku", "missing_sku")
        elif sku and known_sku is not None and not known_sku(sku):
            reader.fail(f"{path}.sku", "unknown_sku", sku)
        quantity = reader.quantity(f"{path}.quantity", item.get("quantity"))
        price = reader.money(f"{path}.price", item.get("price"), required=True)
        title = reader.text(f"{path}.title", item, "title")
        if len(reader.errors) == before:
            lines.append(ParsedLine(sku, quantity, price, title, source_line=reader.line, source_file=reader.file))
    return lines


class _OrderReader:
    """Reads the values of one order, collecting a ``RowError`` for each bad one."""

    def __init__(self, file: str, line: int) -> None:
        self.file = file
        self.line = line
        self.errors: list[RowError] = []

    def fail(self, path: str, code: str, value: Any = "") -> None:
        reason = FEED_REASONS.get(code) or REASONS[code]
        if isinstance(value, str):
            shown = value
        elif isinstance(value, int | Decimal):
            shown = str(value)
        else:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        self.errors.append(RowError(file=self.file, line=self.line, column=path, code=code, reason=reason,
                                    value=shown[:200]))

    def failed(self, path: str) -> bool:
        return any(error.column == path for error in self.errors)

    def section(self, path: str, raw: dict, *, required: bool) -> dict:
        value = raw.get(path)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(path, "missing_address" if value is None else "not_an_object", "" if value is None else value)
            return {}
        return value

    def text(self, path: str, raw: dict, key: str | None = None) -> str:
        """A text value; whole numbers are taken as text (phone numbers, buyer ids), null is empty."""
        value = raw.get(key or path)
        if value is None:
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(path, "bad_text", value)
            return ""
        value = clean(value)
        if len(value) > MAX_LENGTHS.get(path, 10_000):
            self.fail(path, "too_long", value)
        return value

    def order_id(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.fail("id", "bad_order_number", value)
            return ""
        text = clean(value)
        if not text:
            self.fail("id", "missing_order_number")
        elif len(text) > MAX_LENGTHS["id"]:
            self.fail("id", "too_long", text)
        return text

    def moment(self, path: str, value: Any, *, required: bool = False) -> datetime | None:
        """An ISO 8601 time with an offset, as aware UTC; null or "" is no time."""
        if value is None or value == "":
            if required:
                self.fail(path, "bad_date")
            return None
        if not isinstance(value, str):
            self.fail(path, "bad_date", value)
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(path, "bad_date", value)
            return None
        if moment.tzinfo is None:
            self.fail(path, "date_without_offset", value)
            return None
        return moment.astimezone(UTC)

    def money(self, path: str, value: Any, *, required: bool) -> Decimal:
        """A non-negative amount: a JSON number or a string like "59.00"; null is zero unless required.

        ``parse_page`` decodes JSON numbers as Decimal, so no amount ever passes through a float.
        """
        if value is None and not required:
            return Decimal("0")
        amount: Decimal | None = None
        if isinstance(value, str):
            try:
                amount = parse_money(value)
            except ValueError:
                amount = None
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            amount = Decimal(value)
        elif isinstance(value, float):  # decoded without parse_float=Decimal: repr gives the digits as sent
            amount = Decimal(repr(value))
        if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
            self.fail(path, "bad_number", "" if value is None else value)
            return Decimal("0")
        return amount

    def quantity(self, path: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
            self.fail(path, "bad_quantity", "" if value is None else value)
            return 0
        try:
            return parse_quantity(str(value))
        except ValueError:
            self.fail(path, "bad_quantity", value)
            return 0
