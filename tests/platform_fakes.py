"""Local fake platform servers on 127.0.0.1 that answer in the platforms' documented formats.

``FakeShopify``: the REST Admin API (orders with Link-header cursor pagination, shop, fulfillment
orders, fulfillments, inventory levels), checking ``X-Shopify-Access-Token``.
``FakeTop``: the Taobao Open Platform gateway; it VERIFIES each request's signature (computed here
on its own, md5 or hmac) and answers TOP's ``error_response`` when it is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SHOPIFY_TOKEN = "shpat_test_0123456789"  # noqa: S105  (a test value)
TOP_APP_KEY, TOP_SECRET, TOP_SESSION = "12345678", "top-secret-9f8e", "session-6100"  # noqa: S105


class _Server:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                entry = {"method": method, "path": parts.path, "query": parse_qs(parts.query),
                         "headers": dict(self.headers.items()), "body": body}
                fake.requests.append(entry)
                status, payload, headers = fake.handle(entry)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._answer("GET")

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, entry: dict):
        raise NotImplementedError


class FakeShopify(_Server):
    API = "/admin/api/2024-07/"

    def __init__(self) -> None:
        self.orders: dict[int, dict] = {}
        self.fulfillment_orders: dict[int, list[dict]] = {}
        self.fulfillments: list[dict] = []
        self.levels: list[dict] = []
        self._pages: dict[str, list[dict]] = {}
        super().__init__()

    def add_order(self, order: dict) -> None:
        self.orders[order["id"]] = order
        self.fulfillment_orders.setdefault(order["id"], [{
            "id": 7000 + order["id"], "status": "open", "line_items": [
                {"id": 8000 + i, "line_item_id": item["id"], "fulfillable_quantity": item["quantity"]}
                for i, item in enumerate(order["line_items"])]}])

    def handle(self, entry: dict):
        if entry["headers"].get("X-Shopify-Access-Token") != SHOPIFY_TOKEN:
            return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, {}
        path = entry["path"].removeprefix(self.API)
        query = {k: v[0] for k, v in entry["query"].items()}
        body = json.loads(entry["body"] or b"null")
        if path == "shop.json":
            return 200, {"shop": {"name": "Tea House", "domain": "tea-house.myshopify.com"}}, {}
        if path == "orders.json":
            return self._orders(query)
        if path.startswith("orders/") and path.endswith("/fulfillment_orders.json"):
            order_id = int(path.split("/")[1])
            return 200, {"fulfillment_orders": self.fulfillment_orders.get(order_id, [])}, {}
        if path == "fulfillments.json" and entry["method"] == "POST":
            fulfillment = body["fulfillment"]
            self.fulfillments.append(fulfillment)
            for group in fulfillment["line_items_by_fulfillment_order"]:
                for orders in self.fulfillment_orders.values():
                    for fo in orders:
                        if fo["id"] == group["fulfillment_order_id"]:
                            fo["status"] = "closed"
                            for item in fo["line_items"]:
                                item["fulfillable_quantity"] = 0
            return 201, {"fulfillment": {"id": len(self.fulfillments), "status": "success"}}, {}
        if path == "inventory_levels/set.json" and entry["method"] == "POST":
            self.levels.append(body)
            return 200, {"inventory_level": {**body, "updated_at": "2026-11-20T10:00:00+08:00"}}, {}
        return 404, {"errors": "Not Found"}, {}

    def _orders(self, query: dict):
        limit = int(query.get("limit", 50))
        if "page_info" in query:
            if set(query) - {"page_info", "limit"}:
                return 400, {"errors": {"page_info": ["Only limit and fields may be given with page_info"]}}, {}
            remaining = self._pages.pop(query["page_info"])
        elif "name" in query:
            return 200, {"orders": [{"id": o["id"], "name": o["name"]} for o in self.orders.values()
                                    if o["name"] == query["name"]]}, {}
        else:
            since = datetime.fromisoformat(query["updated_at_min"])
            remaining = sorted((o for o in self.orders.values() if datetime.fromisoformat(o["updated_at"]) >= since),
                               key=lambda o: o["updated_at"])
        page, rest = remaining[:limit], remaining[limit:]
        headers = {}
        if rest:
            token = f"eyJwYWdlIjo{len(self._pages) + 1}x"
            self._pages[token] = rest
            headers["Link"] = (f'<{self.base}{self.API}orders.json?limit={limit}&page_info={token}>; rel="next"')
        return 200, {"orders": page}, headers


def shopify_order(order_id: int, name: str, *, updated_at: str = "2026-11-20T10:31:07+08:00", **changes) -> dict:
    order = {
        "id": order_id, "name": name, "email": f"buyer{order_id}@example.com",
        "created_at": "2026-11-20T10:31:07+08:00", "updated_at": updated_at,
        "processed_at": "2026-11-20T10:32:00+08:00", "cancelled_at": None, "financial_status": "paid",
        "fulfillment_status": None, "currency": "CNY", "total_price": "127.80", "note": "",
        "customer": {"id": 99, "first_name": "Fang", "last_name": "Wang"},
        "shipping_address": {"name": "王芳", "address1": "文三路 478 号", "address2": "", "city": "杭州市",
                             "province": "浙江", "province_code": "ZJ", "country_code": "CN", "zip": "310012",
                             "phone": "13800138000"},
        "shipping_lines": [{"price": "8.00"}],
        "line_items": [{"id": order_id * 10, "sku": "TEA-LJ-250", "quantity": 2, "price": "59.90",
                        "title": "龙井茶", "requires_shipping": True}],
    }
    for key, value in changes.items():
        if key in order["shipping_address"]:
            order["shipping_address"][key] = value
        else:
            order[key] = value
    return order


def top_sign(params: dict[str, str], secret: str, method: str) -> str:
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    if method == "hmac":
        return hmac.new(secret.encode(), text.encode(), hashlib.md5).hexdigest().upper()
    return hashlib.md5((secret + text + secret).encode(), usedforsecurity=False).hexdigest().upper()


class FakeTop(_Server):
    def __init__(self) -> None:
        self.trades: dict[int, dict] = {}
        self.sent: list[dict] = []
        self.quantities: list[dict] = []
        self.calls: list[dict] = []
        super().__init__()
        self.url = f"{self.base}/router/rest"

    def handle(self, entry: dict):
        params = {k: v[0] for k, v in parse_qs(entry["body"].decode(), keep_blank_values=True).items()}
        self.calls.append(params)
        if params.get("app_key") != TOP_APP_KEY:
            return 200, _top_error(29, "Invalid app Key", "isv.appkey-not-exists"), {}
        if params.get("sign") != top_sign(params, TOP_SECRET, params.get("sign_method", "md5")):
            return 200, _top_error(25, "Invalid signature", "isv.invalid-signature"), {}
        if params.get("session") != TOP_SESSION:
            return 200, _top_error(27, "Invalid session", "invalid-sessionkey"), {}
        method = params["method"]
        if method == "taobao.user.seller.get":
            return 200, {"user_seller_get_response": {"user": {"nick": "龙井茶旗舰店"}}}, {}
        if method == "taobao.trades.sold.increment.get":
            return 200, self._increment(params), {}
        if method == "taobao.trade.get":
            trade = self.trades[int(params["tid"])]
            return 200, {"trade_get_response": {"trade": {"tid": trade["tid"], "status": trade["status"]}}}, {}
        if method == "taobao.logistics.offline.send":
            self.sent.append(params)
            self.trades[int(params["tid"])]["status"] = "WAIT_BUYER_CONFIRM_GOODS"
            return 200, {"logistics_offline_send_response": {"shipping": {"is_success": True}}}, {}
        if method == "taobao.item.quantity.update":
            self.quantities.append(params)
            return 200, {"item_quantity_update_response": {"item": {"num_iid": int(params["num_iid"]),
                                                                    "num": int(params["quantity"])}}}, {}
        return 200, _top_error(22, "Invalid method", "isv.method-not-exists"), {}

    def _increment(self, params: dict) -> dict:
        start, end = params["start_modified"], params["end_modified"]
        size, page_no = int(params["page_size"]), int(params["page_no"])
        window = sorted((t for t in self.trades.values() if start <= t["modified"] <= end),
                        key=lambda t: t["modified"], reverse=True)
        page = window[(page_no - 1) * size: page_no * size]
        body = {"has_next": len(window) > page_no * size}
        if page:
            body["trades"] = {"trade": page}
        return {"trades_sold_increment_get_response": body}


def _top_error(code: int, msg: str, sub_code: str) -> dict:
    return {"error_response": {"code": code, "msg": msg, "sub_code": sub_code, "request_id": "fake"}}


def top_trade(tid: int, *, status: str = "WAIT_SELLER_SEND_GOODS", modified: str = "2026-11-20 10:40:00",
              **changes) -> dict:
    trade = {
        "tid": tid, "status": status, "created": "2026-11-20 10:31:07", "modified": modified,
        "pay_time": "2026-11-20 10:32:00", "buyer_nick": "小王", "buyer_message": "", "seller_memo": "",
        "post_fee": "8.00", "payment": "127.80", "receiver_name": "王芳", "receiver_mobile": "13800138000",
        "receiver_state": "浙江省", "receiver_city": "杭州市", "receiver_district": "西湖区",
        "receiver_address": "文三路 478 号", "receiver_zip": "310012",
        "orders": {"order": [{"oid": tid * 10, "outer_sku_id": "TEA-LJ-250", "num": 2, "price": "59.90",
                              "title": "西湖龙井 250g"}]},
    }
    trade.update(changes)
    return trade
