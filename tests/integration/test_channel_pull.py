"""Pulling orders from a channel's JSON feed, served by a real HTTP server on 127.0.0.1 in the test:
pages and cursors, safe re-runs, updates and cancellations, bad orders and bad pages, the lease,
the screens, the command line and the scheduler."""

from __future__ import annotations

import copy
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf

TOKEN = "feed-token-7f3a"
SKUS = ("TEA-LJ-250", "MUG-CER-350")


class FakeFeed:
    """A JSON order feed: ``pages`` maps a cursor to a page (a dict), an HTTP status (an int) or raw
    bytes. ``gate``, when set, holds every request until it is opened."""

    def __init__(self) -> None:
        self.pages: dict[str, object] = {}
        self.requests: list[dict] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                cursor = query.get("cursor", [""])[0]
                feed.requests.append({"path": urlsplit(self.path).path, "cursor": cursor,
                                      "limit": query.get("limit", [""])[0],
                                      "authorization": self.headers.get("Authorization", "")})
                if feed.gate is not None:
                    feed.entered.set()
                    feed.gate.wait(30)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, b'{"error": "bad token"}')
                entry = feed.pages.get(cursor, {"orders": [], "next_cursor": cursor, "has_more": False})
                if isinstance(entry, int):
                    return self._send(entry, b"Internal Server Error")
                if isinstance(entry, tuple):  # ("redirect", location)
                    self.send_response(302)
                    self.send_header("Location", entry[1])
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                if isinstance(entry, bytes):
                    return self._send(200, entry)
                return self._send(200, json.dumps(entry, ensure_ascii=False).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/orders?shop=7"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def page(self, cursor: str, *orders: dict, next_cursor: str, has_more: bool = False) -> None:
        self.pages[cursor] = {"orders": list(orders), "next_cursor": next_cursor, "has_more": has_more}


def feed_order(external_id: str, **changes) -> dict:
    order = {
        "id": external_id, "status": "paid",
        "created_at": "2026-11-20T10:31:07+08:00", "paid_at": "2026-11-20T10:32:00+08:00",
        "buyer": {"id": f"buyer-{external_id}", "nick": "小王"},
        "receiver": {"name": "王芳", "phone": "13800138000", "province": "浙江", "city": "杭州市",
                     "district": "西湖区", "address": "文三路 478 号", "postcode": "310012", "country": "CN"},
        "buyer_note": "", "seller_note": "", "currency": "CNY", "shipping_fee": "8.00",
        "items": [{"sku": "TEA-LJ-250", "quantity": 2, "price": "59.90", "title": "龙井茶"}],
    }
    for key, value in changes.items():
        if key in order["receiver"]:
            order["receiver"][key] = value
        else:
            order[key] = value
    return copy.deepcopy(order)


@pytest.fixture(autouse=True)
def _local_feeds_allowed(app, monkeypatch):
    """The fake feed is plain http on 127.0.0.1: allowed here only (net_guard refuses both by default)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_HTTP", True)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", True)


@pytest.fixture
def feed():
    fake = FakeFeed()
    fake.thread.start()
    yield fake
    if fake.gate is not None:
        fake.gate.set()
    fake.server.shutdown()
    fake.server.server_close()


def make_channel(code: str, url: str, **settings) -> int:
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    values = {"adapter": "json_feed", "feed_url": url, "feed_token": TOKEN, "pull_interval_minutes": 15}
    values.update(settings)
    channel = Channel(code=code, name=f"{code} shop", platform="tmall", **values)
    db.session.add(channel)
    db.session.commit()
    return channel.id


@pytest.fixture
def shop(app, feed):
    """Two SKUs and a channel reading the fake feed; returns the channel id."""
    from erp_core.catalog.services import create_sku

    with app.app_context():
        for code in SKUS:
            create_sku(code, code.title())
        return make_channel("FEED", feed.url)


def channel_row(channel_id: int):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    db.session.expire_all()
    return db.session.get(Channel, channel_id)


def order_by_external(external_id: str):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return db.session.scalar(select(Order).filter_by(external_id=external_id))


def order_count() -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    return db.session.scalar(select(func.count(Order.id)))


# --- pages and cursors -----------------------------------------------------------------------------


def test_the_first_pull_creates_the_orders_and_stores_the_cursor(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    # given a feed of two pages
    feed.page("", feed_order("A-1"), feed_order("A-2"), next_cursor="c1", has_more=True)
    feed.page("c1", feed_order("A-3", province="上海", city="上海市"), next_cursor="c2")
    # when the channel is pulled
    result = pull_channel(shop)
    # then every order is created once and the cursor is the last page's next cursor
    assert (result.pages, len(result.created), result.errors, result.failure) == (2, 3, [], "")
    assert result.cursor == "c2" and not result.has_more
    channel = channel_row(shop)
    assert channel.pull_cursor == "c2" and channel.last_pull_error == "" and channel.last_pulled_at is not None
    order = order_by_external("A-1")
    assert order.status == "pending" and order.ship_province == "浙江省" and order.ship_address == "文三路 478 号"
    assert order.lines[0].quantity == 2 and order.lines[0].unit_price == Decimal("59.90")
    assert order.shipping_fee == Decimal("8.00") and order.paid_at is not None
    assert order_by_external("A-3").ship_province == "上海市"
    # and the feed was asked page by page with the bearer token, the page size and its own parameters
    assert [(r["cursor"], r["limit"], r["authorization"]) for r in feed.requests] == [
        ("", "100", f"Bearer {TOKEN}"), ("c1", "100", f"Bearer {TOKEN}")]
    assert feed.requests[0]["path"] == "/api/orders"


def test_a_rerun_from_an_old_cursor_creates_nothing_twice(ctx, feed, shop):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import pull_channel
    from erp_core.extensions import db

    # given a pull that stored three orders
    feed.page("", feed_order("A-1"), feed_order("A-2"), next_cursor="c1", has_more=True)
    feed.page("c1", feed_order("A-3"), next_cursor="c2")
    pull_channel(shop)
    # when the cursor is lost (a crash after storing the orders but before saving the cursor)
    db.session.get(Channel, shop).pull_cursor = ""
    db.session.commit()
    again = pull_channel(shop)
    # then the pages are read again and nothing is created twice
    assert again.created == [] and sorted(again.duplicates) == ["A-1", "A-2", "A-3"]
    assert order_count() == 3 and channel_row(shop).pull_cursor == "c2"


def test_a_crash_after_storing_a_page_keeps_the_cursor_so_the_page_is_read_again(ctx, feed, shop, monkeypatch):
    import erp_core.channels.pull as pull
    from erp_core.channels.pull import pull_channel

    # given a pull that dies right after the page's orders were stored
    feed.page("", feed_order("A-1"), feed_order("A-2"), next_cursor="c1")
    real_store = pull.store_parsed_orders

    def store_then_crash(*args, **kwargs):
        real_store(*args, **kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(pull, "store_parsed_orders", store_then_crash)
    with pytest.raises(RuntimeError):
        pull_channel(shop)
    # then the orders are stored but the cursor was not moved, and the lease is given back
    channel = channel_row(shop)
    assert order_count() == 2 and channel.pull_cursor == ""
    assert channel.last_pull_error == "unexpected error: RuntimeError: power cut"
    # when it runs again, the page is read again and nothing is created twice
    monkeypatch.setattr(pull, "store_parsed_orders", real_store)
    again = pull_channel(shop)
    assert again.created == [] and sorted(again.duplicates) == ["A-1", "A-2"]
    assert order_count() == 2 and channel_row(shop).pull_cursor == "c1"


def test_a_changed_address_on_a_resent_order_updates_it(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    # given an imported order
    feed.page("", feed_order("A-1"), next_cursor="c1")
    pull_channel(shop)
    # when the platform sends it again with a new address
    feed.page("c1", feed_order("A-1", address="文一西路 969 号", phone="13900139000"), next_cursor="c2")
    result = pull_channel(shop)
    # then the order takes the new address and says so in its history
    order = order_by_external("A-1")
    assert result.updated == [order.id] and result.created == []
    assert order.ship_address == "文一西路 969 号" and order.ship_phone == "13900139000"
    assert "address_changed" in [event.kind for event in order.events]
    assert order_count() == 1


def test_a_cancellation_on_the_platform_cancels_the_order(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    feed.page("", feed_order("A-1"), next_cursor="c1")
    pull_channel(shop)
    feed.page("c1", feed_order("A-1", status="cancelled"), next_cursor="c2")
    result = pull_channel(shop)
    order = order_by_external("A-1")
    assert result.updated == [order.id] and order.status == "cancelled"


def test_a_page_with_a_bad_order_imports_the_others_and_reports_the_error(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    # given a page whose second order has an unknown SKU
    bad = feed_order("A-2", items=[{"sku": "NOPE-9", "quantity": 1, "price": "1.00"}])
    feed.page("", feed_order("A-1"), bad, feed_order("A-3"), next_cursor="c1")
    # when it is pulled
    result = pull_channel(shop)
    # then the good orders are imported, the bad one reported where it is, and the cursor moves on
    assert len(result.created) == 2 and order_by_external("A-2") is None
    assert [(e.file, e.line, e.column, e.code, e.value) for e in result.errors] == [
        ("feed:FEED", 2, "items[0].sku", "unknown_sku", "NOPE-9")]
    channel = channel_row(shop)
    assert channel.pull_cursor == "c1"
    # and the rejection stays visible on the channel, since the cursor has passed it
    assert channel.last_pull_error.startswith("1 order(s) rejected: line 2 items[0].sku")


@pytest.mark.parametrize(("answer", "message"), [
    (500, "the feed answered HTTP 500"),
    (b"<html>Bad Gateway</html>", "the feed did not answer valid JSON"),
    (b'{"orders": "none"}', 'the feed page is not {"orders": [...], ...}'),
])
def test_a_page_that_cannot_be_read_leaves_the_cursor_and_records_the_error(ctx, feed, shop, answer, message):
    from erp_core.channels.pull import pull_channel

    # given a feed whose second page fails
    feed.page("", feed_order("A-1"), next_cursor="c1", has_more=True)
    feed.pages["c1"] = answer
    # when it is pulled
    result = pull_channel(shop)
    # then the first page is kept, the cursor stays before the failing page and the error is recorded
    assert len(result.created) == 1 and result.failure.startswith(message)
    channel = channel_row(shop)
    assert channel.pull_cursor == "c1" and channel.last_pull_error.startswith(message)
    # and once the feed is fixed, the next pull carries on from there and clears the error
    feed.page("c1", feed_order("A-2"), next_cursor="c2")
    again = pull_channel(shop)
    assert len(again.created) == 1 and again.failure == ""
    channel = channel_row(shop)
    assert channel.pull_cursor == "c2" and channel.last_pull_error == ""


def test_a_wrong_token_is_refused_and_nothing_moves(ctx, feed, shop):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import pull_channel
    from erp_core.extensions import db

    feed.page("", feed_order("A-1"), next_cursor="c1")
    db.session.get(Channel, shop).feed_token = "wrong"
    db.session.commit()
    result = pull_channel(shop)
    assert result.failure == "the feed answered HTTP 401 (check the feed token)" and result.created == []
    assert channel_row(shop).pull_cursor == "" and order_count() == 0


def test_a_redirect_is_followed_on_the_same_host_but_never_to_another(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    # given a feed that moved to another path on the same server
    port = feed.server.server_address[1]
    feed.pages[""] = ("redirect", f"http://127.0.0.1:{port}/v2/orders?cursor=moved")
    feed.page("moved", feed_order("A-1"), next_cursor="c1")
    # then the redirect is followed with the token
    assert len(pull_channel(shop).created) == 1
    assert feed.requests[-1]["path"] == "/v2/orders" and feed.requests[-1]["authorization"] == f"Bearer {TOKEN}"
    # given a feed that redirects to another host (which would receive the bearer token)
    feed.pages["c1"] = ("redirect", f"http://localhost:{port}/orders?cursor=stolen")
    requests_before = len(feed.requests)
    result = pull_channel(shop)
    # then the redirect is refused and the other host never asked
    assert result.failure.startswith("the feed redirected to another server (localhost)")
    assert len(feed.requests) == requests_before + 1 and channel_row(shop).pull_cursor == "c1"


def test_an_unreachable_feed_is_recorded_as_the_last_error(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    feed.server.shutdown()
    feed.server.server_close()
    result = pull_channel(shop)
    assert result.failure.startswith("the feed cannot be reached")
    assert channel_row(shop).last_pull_error.startswith("the feed cannot be reached")


def test_a_pull_stops_at_max_pages_and_says_more_are_waiting(ctx, feed, shop):
    from erp_core.channels.pull import pull_channel

    for number in range(4):
        feed.page(f"c{number}" if number else "", feed_order(f"A-{number}"), next_cursor=f"c{number + 1}",
                  has_more=True)
    result = pull_channel(shop, max_pages=2)
    assert (result.pages, len(result.created), result.has_more, result.cursor) == (2, 2, True, "c2")
    assert channel_row(shop).pull_cursor == "c2"


# --- the lease -------------------------------------------------------------------------------------


def _pull_in_thread(app, channel_id: int, outcomes: list, done: threading.Event | None = None,
                    barrier: threading.Barrier | None = None, expected: int = 0) -> threading.Thread:
    from erp_core.channels.pull import PullInProgress, pull_channel
    from erp_core.extensions import db

    def run():
        with app.app_context():
            if barrier is not None:
                barrier.wait(30)
            try:
                outcomes.append(pull_channel(channel_id))
            except PullInProgress as error:
                outcomes.append(error)
            finally:
                db.session.remove()
            if done is not None and len(outcomes) >= expected:
                done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_lease_stops_a_second_concurrent_pull(app, feed, shop):
    from erp_core.channels.pull import PullInProgress, pull_channel, pull_due_channels

    # given a pull that is busy fetching a page
    feed.page("", feed_order("A-1"), next_cursor="c1")
    feed.gate = threading.Event()
    outcomes: list = []
    first = _pull_in_thread(app, shop, outcomes)
    assert feed.entered.wait(30)
    with app.app_context():
        # when another pull of the same channel starts
        with pytest.raises(PullInProgress):
            pull_channel(shop)
        # then it is refused, and the scheduler skips the channel too
        assert pull_due_channels() == []
        assert channel_row(shop).pull_lease_token != ""
    feed.gate.set()
    first.join(30)
    # and the first pull finishes normally, having been the only one to ask the feed
    assert len(outcomes) == 1 and len(outcomes[0].created) == 1
    assert len(feed.requests) == 1
    with app.app_context():
        assert channel_row(shop).last_pull_error == "" and order_count() == 1


def test_of_four_pulls_started_together_exactly_one_runs(app, feed, shop):
    from erp_core.channels.pull import PullInProgress, PullResult

    # given four pulls of one channel released at the same instant, the feed holding its answer
    feed.page("", feed_order("A-1"), next_cursor="c1")
    feed.gate = threading.Event()
    outcomes: list = []
    losers_done = threading.Event()
    barrier = threading.Barrier(4)
    threads = [_pull_in_thread(app, shop, outcomes, losers_done, barrier, expected=3) for _ in range(4)]
    # when the three that lost the claim have given up
    assert losers_done.wait(60)
    feed.gate.set()
    for thread in threads:
        thread.join(30)
    # then exactly one pulled, and the others were refused by the lease
    assert sum(isinstance(o, PullResult) for o in outcomes) == 1
    assert sum(isinstance(o, PullInProgress) for o in outcomes) == 3
    assert len(feed.requests) == 1


def test_a_lease_left_by_a_crashed_pull_runs_out(ctx, feed, shop):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import PullInProgress, pull_channel
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    feed.page("", feed_order("A-1"), next_cursor="c1")
    channel = db.session.get(Channel, shop)
    # given a lease taken 30 seconds ago by a process that died
    channel.pull_lease_token, channel.pull_lease_until = "dead", utcnow() + timedelta(seconds=90)
    db.session.commit()
    with pytest.raises(PullInProgress):
        pull_channel(shop)
    # when its lease has run out (after two minutes)
    channel = db.session.get(Channel, shop)
    channel.pull_lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    # then the channel can be pulled again
    assert len(pull_channel(shop).created) == 1


def test_pull_due_channels_pulls_only_active_feeds_whose_interval_has_passed(ctx, feed, shop):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import pull_due_channels
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    # given channels pulled at different times, one inactive and one without a feed
    feed.page("", feed_order("A-1"), next_cursor="c1")
    recent = make_channel("RECENT", feed.url, last_pulled_at=utcnow() - timedelta(minutes=5))
    make_channel("STALE", feed.url, last_pulled_at=utcnow() - timedelta(minutes=20))
    make_channel("OFF", feed.url, active=False)
    make_channel("NOFEED", "", adapter="")
    # when the due channels are pulled
    results = pull_due_channels()
    # then only the never-pulled and the stale channel were pulled
    assert sorted(r.channel_code for r in results) == ["FEED", "STALE"]
    assert all(len(r.created) == 1 for r in results)
    assert db.session.get(Channel, recent).pull_cursor == ""
    # and right after, none is due
    assert pull_due_channels() == []


# --- screens ---------------------------------------------------------------------------------------


def test_the_pull_now_button_pulls_with_csrf_and_shows_the_result(app, feed, shop, login_as):
    feed.page("", feed_order("A-1"), feed_order("A-2", items=[{"sku": "NOPE-9", "quantity": 1, "price": "1"}]),
              next_cursor="c1")
    client = login_as("supervisor")
    # given the feeds page, which lists the channel, its feed and a Pull now form
    page = client.get("/intake/feeds/").get_data(as_text=True)
    assert "FEED" in page and feed.url.replace("&", "&amp;") in page and f"/intake/feeds/{shop}/pull" in page
    assert TOKEN not in page
    # when Pull now is posted without the CSRF token, nothing happens
    assert client.post(f"/intake/feeds/{shop}/pull").status_code == 400
    with app.app_context():
        assert order_count() == 0
    # when it is posted with the token
    response = client.post(f"/intake/feeds/{shop}/pull", data={"csrf_token": page_csrf(client, "/intake/feeds/")})
    # then the result page shows what was created and the error table
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="pull-created"><span class="num">1<' in html and 'id="pull-errors"><span class="num">1<' in html
    assert "items[0].sku" in html and "NOPE-9" in html
    with app.app_context():
        assert order_count() == 1 and channel_row(shop).pull_cursor == "c1"
    # and the list shows the cursor and the rejection
    listing = client.get("/intake/feeds/").get_data(as_text=True)
    assert "<code>c1</code>" in listing and "1 order(s) rejected" in listing


def test_a_picker_may_not_see_or_pull_feeds_and_a_viewer_may_only_look(app, feed, shop, login_as, client):
    picker = login_as("picker")
    token = page_csrf(picker, "/")
    assert picker.get("/intake/feeds/").status_code == 403
    assert picker.post(f"/intake/feeds/{shop}/pull", data={"csrf_token": token}).status_code == 403
    assert picker.get(f"/intake/feeds/{shop}").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    viewer = login_as("viewer")
    page = viewer.get("/intake/feeds/")
    assert page.status_code == 200 and "Pull now" not in page.get_data(as_text=True)
    assert viewer.post(f"/intake/feeds/{shop}/pull", data={"csrf_token": page_csrf(viewer, "/")}).status_code == 403
    assert feed.requests == []


def test_a_pull_while_another_runs_is_refused_on_the_page(app, feed, shop, login_as):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    with app.app_context():
        channel = db.session.get(Channel, shop)
        channel.pull_lease_token, channel.pull_lease_until = "other", utcnow() + timedelta(seconds=60)
        db.session.commit()
    client = login_as("admin")
    listing = client.get("/intake/feeds/").get_data(as_text=True)
    assert 'data-state="pulling"' in listing
    response = client.post(f"/intake/feeds/{shop}/pull", data={"csrf_token": page_csrf(client, "/intake/feeds/")},
                           follow_redirects=True)
    assert "being pulled right now" in response.get_data(as_text=True) and feed.requests == []



def test_the_result_page_says_why_a_pull_stopped_in_the_readers_language(app, feed, shop, login_as):
    feed.page("", feed_order("A-1"), next_cursor="c1", has_more=True)
    feed.pages["c1"] = 500
    client = login_as("supervisor")
    token = page_csrf(client, "/intake/feeds/")
    zh = client.post(f"/intake/feeds/{shop}/pull", data={"csrf_token": token}, headers={"Accept-Language": "zh-CN"})
    assert "接口返回 HTTP 500（如为 401 或 403，请检查接口令牌）。" in zh.get_data(as_text=True)
    # the channel keeps the English sentence it always kept
    with app.app_context():
        assert channel_row(shop).last_pull_error.startswith("the feed answered HTTP 500")

def test_the_feed_token_is_write_only_and_blank_keeps_it(app, feed, shop, login_as):
    client = login_as("supervisor")
    # given the edit page, which never shows the token back
    page = client.get(f"/intake/feeds/{shop}").get_data(as_text=True)
    assert TOKEN not in page and "A token is saved" in page
    form = {"csrf_token": page_csrf(client, f"/intake/feeds/{shop}"), "adapter": "json_feed",
            "feed_url": "https://mw.example.com/orders", "feed_token": "", "interval": "5"}
    # when it is saved with a blank token, the old token stays
    assert client.post(f"/intake/feeds/{shop}", data=form).status_code == 302
    from erp_core.crypto import decrypt

    with app.app_context():
        channel = channel_row(shop)
        assert (channel.feed_url, channel.pull_interval_minutes, decrypt(channel.feed_token)) == (
            "https://mw.example.com/orders", 5, TOKEN)
        # and the token saved in plain before is encrypted now
        assert channel.feed_token.startswith("fernet:") and TOKEN not in channel.feed_token
    # when a new token is given, it replaces the old one; "remove" clears it
    client.post(f"/intake/feeds/{shop}", data={**form, "feed_token": "new-token"})
    with app.app_context():
        assert decrypt(channel_row(shop).feed_token) == "new-token"
    client.post(f"/intake/feeds/{shop}", data={**form, "clear_token": "y"})
    with app.app_context():
        assert channel_row(shop).feed_token == ""


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/orders"])
def test_a_feed_url_that_is_not_http_is_refused(app, feed, shop, login_as, url):
    client = login_as("admin")
    form = {"csrf_token": page_csrf(client, f"/intake/feeds/{shop}"), "adapter": "json_feed", "feed_url": url,
            "interval": "15"}
    response = client.post(f"/intake/feeds/{shop}", data=form)
    assert response.status_code == 200 and "http:// or https://" in response.get_data(as_text=True)
    with app.app_context():
        assert channel_row(shop).feed_url == feed.url


def test_starting_again_from_the_beginning_resets_the_cursor(app, feed, shop, login_as):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    with app.app_context():
        db.session.get(Channel, shop).pull_cursor = "c9"
        db.session.commit()
    client = login_as("admin")
    form = {"csrf_token": page_csrf(client, f"/intake/feeds/{shop}"), "adapter": "json_feed", "feed_url": feed.url,
            "interval": "15"}
    client.post(f"/intake/feeds/{shop}", data=form)
    with app.app_context():
        assert channel_row(shop).pull_cursor == "c9"
    client.post(f"/intake/feeds/{shop}", data={**form, "reset_cursor": "y"})
    with app.app_context():
        assert channel_row(shop).pull_cursor == ""


# --- command line and scheduler --------------------------------------------------------------------


def test_the_pull_orders_command_pulls_a_channel_or_every_due_one(app, feed, shop):
    feed.page("", feed_order("A-1"), next_cursor="c1")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["pull-orders"]).exit_code == 2
    one = runner.invoke(args=["pull-orders", "--channel", "FEED"])
    assert one.exit_code == 0, one.output
    assert "FEED: 1 page(s), 1 created" in one.output
    due = runner.invoke(args=["pull-orders", "--all-due"])
    assert due.exit_code == 0 and "no channel is due" in due.output
    assert runner.invoke(args=["pull-orders", "--channel", "NOPE"]).exit_code == 1


def test_the_pull_orders_command_fails_when_the_feed_fails(app, feed, shop):
    feed.pages[""] = 500
    result = app.test_cli_runner().invoke(args=["pull-orders", "--channel", "FEED"])
    assert result.exit_code == 1 and "HTTP 500" in result.output


def test_the_periodic_pull_task_pulls_due_channels(app, feed, shop):
    from huey.api import PeriodicTask

    from erp_core.jobs.queue import huey

    # given a due channel with one order waiting
    feed.page("", feed_order("A-1"), next_cursor="c1")
    # when the consumer's scheduler runs the periodic pull (huey's periodic task of run_due_pulls)
    periodic = {task.name: task for task in huey._registry.periodic_tasks}
    assert isinstance(periodic["periodic.run_due_pulls"], PeriodicTask)
    huey.execute(periodic["periodic.run_due_pulls"])
    # then the order was pulled
    with app.app_context():
        assert order_count() == 1 and channel_row(shop).pull_cursor == "c1"


def test_a_failing_round_of_the_scheduler_is_logged_not_raised(app, monkeypatch, caplog):
    import wms.scheduler

    def broken():
        raise RuntimeError("database is down")

    monkeypatch.setattr(wms.scheduler, "pull_due_channels", broken)
    assert wms.scheduler.run_due_pulls(app) == 0
    assert "scheduled order pull failed" in caplog.text


# --- where a feed may point ------------------------------------------------------------------------


def test_a_feed_at_the_cloud_metadata_address_is_refused_at_save_and_before_each_request(ctx, app, monkeypatch,
                                                                                            feed, shop):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import pull_channel, update_feed_settings
    from erp_core.errors import ValidationFailed
    from erp_core.extensions import db

    # given the server's default outbound rules (https only, no private or link-local address)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_HTTP", False)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", False)
    # when an office user saves the metadata service as the feed, then it is refused
    with pytest.raises(ValidationFailed) as refused:
        update_feed_settings(shop, adapter="json_feed", feed_url="https://169.254.169.254/latest/meta-data",
                             interval_minutes=15)
    assert refused.value.code == "url_not_allowed"
    # and a feed URL already stored (the local fake feed) is checked again before the request
    result = pull_channel(shop)
    assert result.failure_error is not None and result.failure_error.code == "url_not_allowed"
    assert feed.requests == [] and db.session.get(Channel, shop).last_pull_error
