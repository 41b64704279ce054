"""Taobao / Tmall Open Platform (TOP): signed calls to the gateway (``https://eco.taobao.com/router/rest``).

Every call carries the system parameters ``method, app_key, session, timestamp`` (GMT+8,
``yyyy-MM-dd HH:mm:ss``), ``v=2.0, format=json, sign_method`` and ``sign``. The sign: the parameters
sorted by name, each name followed by its value, concatenated; ``md5``: MD5(secret + s + secret),
``hmac``: HMAC-MD5 with the secret as key, both as upper-case hex. A refused call answers
``{"error_response": {"code", "msg", "sub_code", "sub_msg"}}``.

Orders: ``taobao.trades.sold.increment.get`` over windows of modification time of at most one day
(``start_modified``..``end_modified``), page by page (``page_no``, ``use_has_next=true``). The cursor
is ``<start>|<end>|<page_no>`` inside a window and ``<start>`` between windows; an order modified
again during a pass moves out of the window and comes back in the next one, so paging forwards loses
nothing. Trades already shipped (by someone else) are not taken as new work; closed trades
(``TRADE_CLOSED``, ``TRADE_CLOSED_BY_TAOBAO``) cancel ours while the floor has not started them.
Shipments: ``taobao.logistics.offline.send`` (tid, out_sid, company_code), after ``taobao.trade.get``
says the trade still waits for shipping. Stock: ``taobao.item.quantity.update`` (type=1: absolute).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from erp_core.channels.adapters.base import (
    FeedError,
    FeedSettings,
    FetchPage,
    ShipmentNotice,
    StockLevel,
    feed_url_syntax,
)
from erp_core.channels.adapters.http import call
from erp_core.channels.importers.model import ParsedLine, ParsedOrder, order_error, sku_predicate
from erp_core.fileimport.values import clean
from erp_core.orders.regions import normalise_province

GATEWAY = "https://eco.taobao.com/router/rest"
CHINA = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
WINDOW = timedelta(days=1)
INITIAL_LOOKBACK = timedelta(days=3)
TRADE_FIELDS = ("tid,status,created,modified,pay_time,buyer_nick,buyer_message,seller_memo,post_fee,payment,"
                "receiver_name,receiver_mobile,receiver_phone,receiver_state,receiver_city,receiver_district,"
                "receiver_address,receiver_zip,orders.oid,orders.outer_sku_id,orders.outer_iid,orders.num,"
                "orders.price,orders.title")
CLOSED = frozenset({"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"})
#: Shipped (by anyone): nothing for the floor to do.
PAST_SHIPPING = frozenset({"SELLER_CONSIGNED_PART", "WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED",
                           "TRADE_FINISHED"})
#: Our carrier codes as TOP's logistics company codes (taobao.logistics.companies.get).
COMPANY_CODES = {"SF": "SF", "ZTO": "ZTO", "YTO": "YTO", "STO": "STO", "YUNDA": "YUNDA", "EMS": "EMS",
                 "JD": "JD", "BEST": "HTKY", "DBL": "DBKD", "JT": "JTSD"}


def sign(params: dict[str, str], secret: str, method: str = "md5") -> str:
    """TOP's signature of a request's parameters (every one but ``sign``)."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign" and params[name] != "")
    if method == "hmac":
        return hmac.new(secret.encode(), text.encode(), hashlib.md5).hexdigest().upper()
    # MD5 is what TOP specifies for this signature, not our choice of hash
    return hashlib.md5(f"{secret}{text}{secret}".encode(), usedforsecurity=False).hexdigest().upper()


def china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def parse_china_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)


class TaobaoAdapter:
    name = "taobao"

    def __init__(self, settings: FeedSettings) -> None:
        self.settings = settings
        self.gateway = feed_url_syntax(settings.url or GATEWAY)
        creds = settings.credentials
        self.app_key, self.secret = creds.get("app_key", ""), creds.get("app_secret", "")
        self.session = creds.get("session_key", "")
        self.sign_method = creds.get("sign_method") or "md5"
        if not (self.app_key and self.secret and self.session):
            raise FeedError("the shop needs its TOP app key, app secret and session key", code="credentials_missing",
                            channel=settings.channel_code)

    def request(self, method: str, **params: Any) -> dict:
        """One signed call; the body of ``<method>_response``, or FeedError with TOP's error."""
        values = {"method": method, "app_key": self.app_key, "session": self.session,
                  "timestamp": china_time(self.settings.clock()), "v": "2.0", "format": "json",
                  "sign_method": self.sign_method}
        values.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()
                       if v is not None and v != ""})
        values["sign"] = sign(values, self.secret, self.sign_method)
        answer = call("POST", self.gateway, form=urlencode(values).encode(), timeout=self.settings.timeout_seconds)
        payload = answer.payload if isinstance(answer.payload, dict) else {}
        refused = payload.get("error_response")
        if refused is not None:
            detail = refused.get("sub_msg") or refused.get("msg") or ""
            raise FeedError(f"Taobao refused {method}: {refused.get('code')} {detail} ({refused.get('sub_code', '')})",
                            code="platform_error", platform="Taobao", reason=f"{refused.get('code')} {detail}".strip(),
                            platform_code=str(refused.get("code", "")), sub_code=str(refused.get("sub_code", "")))
        if answer.status >= 400:
            raise FeedError(f"Taobao answered HTTP {answer.status}", code="platform_error", platform="Taobao",
                            http_status=answer.status, reason=f"HTTP {answer.status}")
        body = payload.get(method.removeprefix("taobao.").replace(".", "_") + "_response")
        if not isinstance(body, dict):
            raise FeedError(f"Taobao's answer to {method} is not in the documented shape", code="feed_bad_shape")
        return body

    def test_connection(self) -> str:
        user = self.request("taobao.user.seller.get", fields="nick").get("user") or {}
        return str(user.get("nick") or "")

    # --- orders ------------------------------------------------------------------------------------

    def fetch(self, cursor: str) -> FetchPage:
        now = self.settings.clock()
        parts = cursor.split("|") if cursor else []
        if len(parts) == 3:
            start, end, page_no = parse_china_time(parts[0]), parse_china_time(parts[1]), int(parts[2])
        else:
            start = parse_china_time(parts[0]) if parts else now - INITIAL_LOOKBACK
            end, page_no = min(start + WINDOW, now), 1
        body = self.request("taobao.trades.sold.increment.get", fields=TRADE_FIELDS,
                            start_modified=china_time(start), end_modified=china_time(end),
                            page_no=page_no, page_size=self.settings.page_size, use_has_next=True)
        trades = (body.get("trades") or {}).get("trade") or []
        page = FetchPage()
        for line, trade in enumerate(trades, start=(page_no - 1) * self.settings.page_size + 1):
            order, errors = map_trade(trade, line, self.settings)
            page.errors.extend(errors)
            if order is not None:
                page.orders.append(order)
        if body.get("has_next"):
            page.next_cursor, page.has_more = f"{china_time(start)}|{china_time(end)}|{page_no + 1}", True
        else:
            page.next_cursor, page.has_more = china_time(end), end < now - timedelta(minutes=1)
        return page

    # --- shipments and stock -----------------------------------------------------------------------

    def confirm_shipment(self, notice: ShipmentNotice) -> str:
        trade = self.request("taobao.trade.get", tid=notice.order_number, fields="tid,status").get("trade") or {}
        if trade.get("status") in PAST_SHIPPING:
            return "already_shipped"
        company = COMPANY_CODES.get(notice.carrier_code.upper(), notice.carrier_code.upper())
        shipping = self.request("taobao.logistics.offline.send", tid=notice.order_number,
                                out_sid=notice.tracking_number, company_code=company).get("shipping") or {}
        if not shipping.get("is_success"):
            raise FeedError("Taobao did not confirm the shipment", code="platform_error", platform="Taobao",
                            reason="is_success false")
        return "sent"

    def push_stock(self, level: StockLevel) -> None:
        self.request("taobao.item.quantity.update", num_iid=level.platform_item_id,
                     sku_id=level.platform_sku_id or None, quantity=level.quantity, type=1)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        return Decimal("-1")


def _time(value: Any) -> datetime | None:
    try:
        return parse_china_time(str(value)).astimezone(UTC) if value else None
    except ValueError:
        return None


def map_trade(raw: Any, line: int, settings: FeedSettings) -> tuple[ParsedOrder | None, list]:
    """One TOP trade as a ``ParsedOrder``; None with its errors when it cannot be stored, None alone
    for a trade already shipped elsewhere."""
    source = settings.source
    tid = clean(str(raw.get("tid") or "")) if isinstance(raw, dict) else ""
    if not tid:
        return None, [order_error(source, line, "tid", "missing_order_number")]
    status = str(raw.get("status") or "")
    if status in PAST_SHIPPING:
        return None, []
    cancelled = status in CLOSED
    known = sku_predicate(settings.known_skus)
    errors, lines = [], []
    for index, item in enumerate((raw.get("orders") or {}).get("order") or []):
        sku = clean(str(item.get("outer_sku_id") or item.get("outer_iid") or ""))
        column = f"orders[{index}].outer_sku_id"
        if not sku:
            errors.append(order_error(source, line, column, "missing_sku", tid))
        elif known is not None and not known(sku):
            errors.append(order_error(source, line, column, "unknown_sku", sku))
        quantity = item.get("num")
        if not isinstance(quantity, int) or not 1 <= quantity <= 1_000_000:
            errors.append(order_error(source, line, f"orders[{index}].num", "bad_quantity", str(quantity)))
            quantity = 0
        price = _money(item.get("price"))
        if price < 0:
            errors.append(order_error(source, line, f"orders[{index}].price", "bad_number", str(item.get("price"))))
        lines.append(ParsedLine(sku, quantity, price, str(item.get("title") or ""), source_line=line,
                                source_file=source))
    if not lines:
        errors.append(order_error(source, line, "orders", "order_without_lines", tid))
    if not cancelled:
        for field, code in (("receiver_name", "missing_recipient"), ("receiver_address", "missing_address"),
                            ("receiver_state", "missing_address")):
            if not raw.get(field):
                errors.append(order_error(source, line, field, code, tid))
    created_at = _time(raw.get("created"))
    if created_at is None:
        errors.append(order_error(source, line, "created", "bad_date", str(raw.get("created") or "")))
    if errors:
        return None, errors
    province = str(raw.get("receiver_state") or "")
    return ParsedOrder(
        external_id=tid, platform=settings.platform or "taobao", buyer_id=str(raw.get("buyer_nick") or ""),
        buyer_nick=str(raw.get("buyer_nick") or ""), name=str(raw.get("receiver_name") or ""),
        phone=str(raw.get("receiver_mobile") or raw.get("receiver_phone") or ""),
        province=normalise_province(province) if province else "", city=str(raw.get("receiver_city") or ""),
        district=str(raw.get("receiver_district") or ""), address=str(raw.get("receiver_address") or ""),
        postcode=str(raw.get("receiver_zip") or ""), country="CN",
        buyer_note=str(raw.get("buyer_message") or ""), seller_note=str(raw.get("seller_memo") or ""),
        created_at=created_at, paid_at=_time(raw.get("pay_time")), total=_money(raw.get("payment")),
        shipping_fee=_money(raw.get("post_fee")), currency="CNY", status=status, cancelled=cancelled,
        lines=lines, source_file=source, source_line=line,
    ), []
