"""Replays: a state-changing API call or handheld scan sent again with the same Idempotency-Key, 1 to
20 times one after the other and 5 times at once (threads, each with its own test client): exactly
one effect (rows counted, ledger moves counted) and the same answer (status and body) every time.

The idempotent routes are enumerated from the app (every view wrapped in @idempotent: the API's
creating POSTs, which the OpenAPI document lists with the Idempotency-Key header, and the handheld's
scan routes). Each is either replayed (SCENARIOS here, in test_replays_api.py or test_replays_floor.py) or
listed in those files' NOT_REPLAYED_YET, so a new one cannot go unnoticed."""

from __future__ import annotations

import json
import re
import threading
import uuid

import pytest
from sqlalchemy import func, select

from erp_core.api import idempotency
from tests.access_helpers import two_warehouses
from tests.conftest import login, page_csrf

CONCURRENT = 5
SEQUENTIAL = 20
SCENARIOS = {"api.Orders", "api.Skus", "purchasing_api.Suppliers", "api.OrderIntercept", "picking.sort_scan",
             "shops_api.Shops", "webhooks_api.Webhooks"}


def _is_idempotent(fn) -> bool:
    wrapper_code = idempotency.idempotent(lambda: None).__code__
    for _ in range(20):
        if fn is None:
            return False
        if getattr(fn, "__code__", None) is wrapper_code:
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


def idempotent_endpoints(app) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}:
            fn = getattr(view.view_class, method.lower(), None) if hasattr(view, "view_class") else view
            if _is_idempotent(fn):
                found.add(rule.endpoint)
    return found


def test_every_idempotent_route_is_replayed_or_listed(app):
    from . import test_replays_api, test_replays_floor

    found = idempotent_endpoints(app)
    listed = SCENARIOS | test_replays_api.SCENARIOS | test_replays_floor.SCENARIOS
    not_yet = test_replays_api.NOT_REPLAYED_YET | test_replays_floor.NOT_REPLAYED_YET
    assert not listed & not_yet, sorted(listed & not_yet)
    assert found == listed | not_yet, (sorted(found - listed - not_yet), sorted((listed | not_yet) - found))
    # and the OpenAPI document names the key on each API one
    spec = app.test_client().get("/api/v1/openapi.json")
    if spec.status_code == 200:
        keyed = {op.get("operationId") for path in spec.json["paths"].values() for op in path.values()
                 if isinstance(op, dict) and any(p.get("name") == idempotency.HEADER for p in op.get("parameters", []))}
        assert keyed, "the OpenAPI document names no Idempotency-Key"


# --- the harness ---------------------------------------------------------------------------------

def _answer(response) -> tuple:
    return response.status_code, response.get_data(as_text=True), response.headers.get("HX-Trigger")


def _body(send: dict) -> dict:
    """The request's body: a dict, or a function making it afresh (an upload's file is read once)."""
    return send["body"]() if callable(send["body"]) else send["body"]


def _headers(send: dict, i: int, key: str) -> dict:
    """The request's headers for client i (a list: each client's own, say its CSRF token) and the key."""
    headers = send.get("headers", {})
    return {**(headers[i] if isinstance(headers, list) else headers), idempotency.HEADER: key}


def replayed(app, clients: list, path: str, send: dict, effect) -> None:
    """Send one request with one key SEQUENTIAL times from the first client, then another key
    CONCURRENT times at once from every client: one effect each, the same answer each time. `send` may
    name a path of its own ("path": a transition's object; its "next" another object in that state)."""
    path = send.get("path", path)
    before = effect()
    key = uuid.uuid4().hex
    first = _answer(clients[0].post(path, headers=_headers(send, 0, key), **_body(send)))
    assert 200 <= first[0] < 300, first[:2]
    after_one = effect()
    assert after_one != before, "the first request had no effect"
    for n in range(2, SEQUENTIAL + 1):
        again = _answer(clients[0].post(path, headers=_headers(send, 0, key), **_body(send)))
        assert again == first, f"replay {n} answered differently"
        assert effect() == after_one, f"replay {n} had an effect"
    if "next" in send:  # the concurrent part needs a request of its own (a scan's next unit)
        send = send["next"]()
        path = send.get("path", path)
    key, answers, start = uuid.uuid4().hex, [None] * len(clients), threading.Barrier(len(clients))

    def one(i: int) -> None:
        start.wait()
        answers[i] = _answer(clients[i].post(path, headers=_headers(send, i, key), **_body(send)))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(a is not None for a in answers), "a concurrent request did not finish"
    assert len(set(answers)) == 1, [a[:2] for a in answers]
    assert 200 <= answers[0][0] < 300, answers[0][:2]
    effect_after = effect()
    assert effect_after != after_one and _one_step(after_one, effect_after), (after_one, effect_after)


def _one_step(a, b) -> bool:
    """The concurrent key had exactly the effect of one request (counts grew by one request's worth)."""
    return all(y - x == d for x, y, d in zip(a, b, STEP.get("delta", (1,) * len(a)), strict=True))


STEP: dict = {}


def _count(app, *what) -> tuple[int, ...]:
    """Rows now, each of a table (its name) or matching a condition (Order.status == "cancelled")."""
    from erp_core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(db.metadata.tables[w]) if isinstance(w, str)
                                  else select(func.count()).where(w)).scalar() for w in what)


@pytest.fixture
def api_clients(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _token, secret = create_api_token(users["admin"], "replays", users["admin"])
    return [app.test_client() for _ in range(CONCURRENT)], {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def catalogue(app):
    from tests.builders import FloorBuilder

    (FloorBuilder().warehouse("SH1", "Shanghai", province="上海").bin("P-01", "pick", key="p")
     .channel("TMALL", "Tmall", "tmall").channel("TM", "Tmall shop", "tmall", key="tm")
     .sku("CUP-1", "Cup").stock("CUP-1", "p", 50).build(app))


def test_an_order_pushed_again_is_created_once_with_the_same_answer(app, api_clients, catalogue):
    clients, auth = api_clients
    STEP.clear()

    def order(external_id: str) -> dict:
        return {"headers": auth, "body": {"json": {
            "channel": "TMALL", "external_id": external_id, "ship_name": "王芳", "ship_phone": "13800138000",
            "ship_province": "上海", "ship_city": "上海市", "ship_address": "中山路 1 号",
            "lines": [{"sku": "CUP-1", "quantity": 1, "unit_price": "9.00"}]}}}

    replayed(app, clients, "/api/v1/orders", {**order("R-1"), "next": lambda: order("R-2")},
             lambda: _count(app, "orders", "order_lines"))


def test_a_sku_and_a_supplier_created_again_are_created_once(app, api_clients):
    clients, auth = api_clients
    STEP.clear()
    replayed(app, clients, "/api/v1/skus", {"headers": auth, "body": {"json": {"code": "S-1", "name": "One"}},
                                            "next": lambda: {"headers": auth, "body": {"json": {"code": "S-2",
                                                                                                "name": "Two"}}}},
             lambda: _count(app, "skus"))
    replayed(app, clients, "/api/v1/suppliers",
             {"headers": auth, "body": {"json": {"code": "SUP-1", "name": "One"}},
              "next": lambda: {"headers": auth, "body": {"json": {"code": "SUP-2", "name": "Two"}}}},
             lambda: _count(app, "suppliers"))


def test_a_shop_and_a_webhook_created_again_are_created_once(app, api_clients, monkeypatch):
    clients, auth = api_clients
    STEP.clear()
    replayed(app, clients, "/api/v1/shops",
             {"headers": auth, "body": {"json": {"code": "SHOP-1", "name": "One", "platform": "manual"}},
              "next": lambda: {"headers": auth, "body": {"json": {"code": "SHOP-2", "name": "Two",
                                                                  "platform": "manual"}}}},
             lambda: _count(app, "channels"))
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["hooks.example.com"])
    replayed(app, clients, "/api/v1/webhooks",
             {"headers": auth, "body": {"json": {"url": "https://hooks.example.com/a", "events": ["order.created"]}},
              "next": lambda: {"headers": auth, "body": {"json": {"url": "https://hooks.example.com/b",
                                                                  "events": ["order.created"]}}}},
             lambda: _count(app, "webhook_subscriptions"))


def test_an_interception_sent_again_stops_the_order_once(app, api_clients, catalogue):
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderEvent
    from tests.integration.conftest import make_order

    clients, auth = api_clients
    with app.app_context():
        first, second = make_order("I-1", [("CUP-1", 1)]), make_order("I-2", [("CUP-1", 1)], phone="13800138001")
    STEP.clear()

    def effect():
        with app.app_context():
            db.session.expire_all()
            stopped = db.session.scalar(select(func.count()).select_from(Order).where(Order.status.in_(
                ("cancelled", "intercepted"))))
            return stopped, db.session.scalar(select(func.count()).select_from(OrderEvent))

    body = {"headers": auth, "body": {"json": {"reason": "the buyer cancelled"}}}
    STEP["delta"] = (1, None)
    replayed_intercept(app, clients, first, second, body, effect)


def replayed_intercept(app, clients, first: int, second: int, body: dict, effect) -> None:
    """The interception's path names its order: the concurrent part stops the second order."""
    before = effect()
    key = uuid.uuid4().hex
    answers = [_answer(clients[0].post(f"/api/v1/orders/{first}/intercept",
                                       headers={**body["headers"], idempotency.HEADER: key}, **body["body"]))
               for _ in range(SEQUENTIAL)]
    assert len(set(answers)) == 1 and answers[0][0] == 200, answers[0][:2]
    once = effect()
    assert once[0] == before[0] + 1
    key, start, out = uuid.uuid4().hex, threading.Barrier(CONCURRENT), [None] * CONCURRENT

    def one(i):
        start.wait()
        out[i] = _answer(clients[i].post(f"/api/v1/orders/{second}/intercept",
                                         headers={**body["headers"], idempotency.HEADER: key}, **body["body"]))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(set(out)) == 1 and out[0][0] == 200, [o[:2] for o in out if o]
    assert effect()[0] == once[0] + 1 and effect()[1] - once[1] == once[1] - before[1]


def test_a_put_wall_scan_sent_again_sorts_one_unit(app, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    two = two_warehouses(app, users)
    clients = []
    for _ in range(CONCURRENT):
        client = app.test_client()
        assert login(client, "sh_packer").status_code == 302
        clients.append(client)
    each = [{"X-CSRFToken": page_csrf(client, "/m/"), "HX-Request": "true"} for client in clients]
    hx = each[0]
    sh = two["sh"]
    assert clients[0].post("/picking/sort/scan", data={"step": "cart", "code": sh["cart"]},
                           headers={**hx, idempotency.HEADER: uuid.uuid4().hex}).status_code == 200

    def slot_step(sku_code: str) -> dict:
        shown = clients[0].post("/picking/sort/scan", data={"step": "item", "list_id": sh["list"], "code": sku_code},
                                headers={**hx, idempotency.HEADER: uuid.uuid4().hex})
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', shown.get_data(as_text=True)))
        assert fields.get("step") == "slot", json.loads(shown.headers["HX-Trigger"])
        with app.app_context():
            label = db.session.scalar(select(Location.barcode).filter_by(
                warehouse_id=sh["wh"], code=f"PW-{int(fields['slot']):02d}"))
        return {"headers": each, "body": {"data": {**fields, "code": label}}}

    STEP.clear()
    STEP["delta"] = (1,)
    replayed(app, clients, "/picking/sort/scan", {**slot_step("BC-A"), "next": lambda: slot_step("BC-B")},
             lambda: _count(app, "stock_moves"))


# --- harness extensions for the floor's replays (test_replays_floor.py) --------------------------

def handhelds(app, username: str, page: str = "/m/") -> tuple[list, list[dict]]:
    """CONCURRENT browsers logged in as one user, each with its own session, and each one's headers
    as the scan queue sends them (htmx, and its own CSRF token read from `page`)."""
    clients = []
    for _ in range(CONCURRENT):
        client = app.test_client()
        assert login(client, username).status_code == 302
        clients.append(client)
    return clients, [{"X-CSRFToken": page_csrf(client, page), "HX-Request": "true"} for client in clients]


def measured(app, *parts) -> tuple[int, ...]:
    """What a replay may change only once, read as committed: each part a table's name (its rows
    counted) or a select of one number (a sum of quantities, the rows in some state)."""
    from erp_core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(db.metadata.tables[part]) if isinstance(
            part, str) else part).scalar() or 0) for part in parts)


class _Aimed:
    """A test client whose POSTs go to the path it is aimed at now (see `replayed_across`)."""

    def __init__(self, client, aim: list[str]):
        self.client, self.aim = client, aim

    def post(self, _path: str, **kwargs):
        return self.client.post(self.aim[0], **kwargs)


def replayed_across(app, clients: list, send: dict, effect) -> None:
    """`replayed` for a request whose object is done by it (a task put away, a shipment re-labelled):
    the concurrent request goes to the path its own "next" dict names (send["path"] first)."""
    aim = [send["path"]]

    def following() -> dict:
        upcoming = send["next"]()
        aim[0] = upcoming["path"]
        return upcoming

    replayed(app, [_Aimed(client, aim) for client in clients], aim[0], {**send, "next": following}, effect)
