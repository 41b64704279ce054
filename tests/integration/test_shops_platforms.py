"""Shopify and Taobao/Tmall adapters against local fake platform servers that answer in the
documented formats: pulls with cursors and pagination, the TOP signature (checked by the fake
server), re-sent and cancelled orders, test connection, and the tracking upload after shipping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.platform_fakes import (
    SHOPIFY_TOKEN,
    TOP_APP_KEY,
    TOP_SECRET,
    TOP_SESSION,
    FakeShopify,
    FakeTop,
    shopify_order,
    top_trade,
)

SKUS = ("TEA-LJ-250", "MUG-CER-350")


@pytest.fixture(autouse=True)
def _local_platforms_allowed(app, monkeypatch):
    """The fakes are plain http on 127.0.0.1: allowed in these tests only."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_HTTP", True)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", True)


@pytest.fixture
def shopify():
    fake = FakeShopify()
    yield fake
    fake.close()


@pytest.fixture
def top():
    fake = FakeTop()
    yield fake
    fake.close()


def _skus():
    from erp_core.catalog.services import create_sku

    for code in SKUS:
        create_sku(code, code.title())


@pytest.fixture
def shopify_shop(ctx, shopify):
    from erp_core.channels.shops import create_shop

    _skus()
    return create_shop("SHOPIFY-1", "Tea House", "shopify", adapter="shopify", feed_url=shopify.base,
                       credentials={"access_token": SHOPIFY_TOKEN}, platform_location_id="655441491").id


@pytest.fixture
def taobao_shop(ctx, top):
    from erp_core.channels.shops import create_shop

    _skus()
    return create_shop("TB-1", "龙井茶旗舰店", "taobao", adapter="taobao", feed_url=top.url,
                       credentials={"app_key": TOP_APP_KEY, "app_secret": TOP_SECRET,
                                    "session_key": TOP_SESSION}).id


def _set_cursor(channel_id: int, cursor: str) -> None:
    from erp_core.channels.models import Channel
    from erp_core.db import atomic
    from erp_core.extensions import db

    with atomic():
        db.session.get(Channel, channel_id).pull_cursor = cursor


def _order(external_id: str):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    db.session.expire_all()
    return db.session.scalar(select(Order).filter_by(external_id=external_id))


def _orders() -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    return db.session.scalar(select(func.count(Order.id)))


def _small_pages(monkeypatch, size: int = 2) -> None:
    import erp_core.channels.pull as pull
    from erp_core.channels.shops import feed_settings

    monkeypatch.setattr(pull, "feed_settings", lambda channel, **kw: feed_settings(channel, page_size=size, **kw))


# --- Shopify ---------------------------------------------------------------------------------------


def test_a_shopify_pull_follows_the_link_header_cursor_and_stores_each_order_once(shopify, shopify_shop,
                                                                                    monkeypatch):
    from erp_core.channels.pull import pull_channel

    # given five orders on Shopify, read two per page
    for n in range(5):
        shopify.add_order(shopify_order(450789469 + n, f"#{1001 + n}", updated_at=f"2026-11-20T10:3{n}:00+08:00"))
    _set_cursor(shopify_shop, "2026-11-19T00:00:00+00:00|")
    _small_pages(monkeypatch)
    # when the shop is pulled
    result = pull_channel(shopify_shop)
    # then three pages were read, the later ones by page_info alone, with the access token each time
    assert (result.pages, len(result.created), result.errors, result.failure) == (3, 5, [], "")
    gets = [r for r in shopify.requests if r["path"].endswith("/orders.json")]
    assert gets[0]["query"]["status"] == ["any"] and gets[0]["query"]["updated_at_min"] == [
        "2026-11-19T00:00:00+00:00"]
    assert "page_info" in gets[1]["query"] and set(gets[1]["query"]) == {"limit", "page_info"}
    assert all(r["headers"]["X-Shopify-Access-Token"] == SHOPIFY_TOKEN for r in shopify.requests)
    # and the order is stored under its name, as the Shopify CSV import does
    order = _order("#1001")
    assert order.ship_province == "浙江省" and order.ship_name == "王芳" and order.lines[0].quantity == 2
    # and the cursor keeps the last updated_at for the next pass
    from erp_core.channels.models import Channel
    from erp_core.extensions import db

    assert db.session.get(Channel, shopify_shop).pull_cursor == "2026-11-20T10:34:00+08:00|"


def test_a_resent_shopify_order_updates_nothing_twice_and_a_cancelled_one_cancels_ours(shopify, shopify_shop):
    from erp_core.channels.pull import pull_channel

    # given two orders pulled once
    shopify.add_order(shopify_order(1, "#1001"))
    shopify.add_order(shopify_order(2, "#1002"))
    _set_cursor(shopify_shop, "2026-11-19T00:00:00+00:00|")
    assert len(pull_channel(shopify_shop).created) == 2
    # when Shopify sends #1001 again unchanged and #1002 cancelled
    shopify.orders[1]["updated_at"] = "2026-11-20T11:00:00+08:00"
    shopify.orders[2].update(updated_at="2026-11-20T11:01:00+08:00", cancelled_at="2026-11-20T11:01:00+08:00")
    again = pull_channel(shopify_shop)
    # then nothing is created twice, #1001 is left as it was, and #1002 is cancelled by the cancel service
    assert again.created == [] and "#1001" in again.duplicates and _orders() == 2
    assert _order("#1001").status == "pending"
    cancelled = _order("#1002")
    assert cancelled.status == "cancelled" and again.updated == [cancelled.id]


def test_test_connection_says_ok_or_shows_shopifys_refusal(app, shopify, shopify_shop):
    from erp_core.channels.shops import test_connection, update_shop
    from erp_core.messages import describe

    assert test_connection(shopify_shop).shop_name == "Tea House"
    update_shop(shopify_shop, credentials={"access_token": "shpat_wrong"})
    check = test_connection(shopify_shop)
    assert not check.ok and check.error.code == "platform_error"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "401" in describe(check.error) and "Invalid API key" in describe(check.error)


def _publish_shipped(channel_id: int, external_id: str, tracking: str = "SF1234567890", carrier: str = "SF"):
    from erp_core.db import atomic
    from erp_core.outbox import publish

    order = _order(external_id)
    with atomic():
        publish("channel.ship_confirmation", {
            "channel_id": channel_id, "order_id": order.id, "order_number": order.external_id,
            "carrier_code": carrier, "tracking_number": tracking, "shipment": f"SHP-{order.id}",
            "packages": [tracking]}, key=f"ship:SHP-{order.id}")


def test_a_shipped_shopify_order_is_fulfilled_with_its_tracking_once(shopify, shopify_shop):
    from erp_core.channels.pull import pull_channel
    from erp_core.outbox import send_pending

    # given an order pulled from Shopify
    shopify.add_order(shopify_order(450789469, "#1001"))
    _set_cursor(shopify_shop, "2026-11-19T00:00:00+00:00|")
    pull_channel(shopify_shop)
    # when it ships (the shipping desk publishes the confirmation) and the outbox is sent, twice over
    _publish_shipped(shopify_shop, "#1001")
    _publish_shipped(shopify_shop, "#1001")
    assert send_pending(topics=["channel.ship_confirmation"]) == {"sent": 2, "failed": 0}
    # then Shopify got one fulfillment of the open fulfillment order, with number and company
    assert len(shopify.fulfillments) == 1
    fulfillment = shopify.fulfillments[0]
    assert fulfillment["tracking_info"] == {"number": "SF1234567890", "company": "SF Express"}
    assert fulfillment["line_items_by_fulfillment_order"] == [{
        "fulfillment_order_id": 7000 + 450789469,
        "fulfillment_order_line_items": [{"id": 8000, "quantity": 2}]}]


# --- Taobao / Tmall (TOP) --------------------------------------------------------------------------


def test_a_taobao_pull_pages_through_a_window_with_a_signature_the_gateway_verifies(top, taobao_shop, monkeypatch):
    from erp_core.channels.models import Channel
    from erp_core.channels.pull import pull_channel
    from erp_core.extensions import db

    # given three paid trades modified on one day, read two per page
    for n in range(3):
        top.trades[3000 + n] = top_trade(3000 + n, modified=f"2026-11-20 10:4{n}:00")
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    _small_pages(monkeypatch)
    # when the shop is pulled
    result = pull_channel(taobao_shop)
    # then every trade is an order once, with no error (every signature passed the gateway's check)
    assert (len(result.created), result.errors, result.failure) == (3, [], "")
    first, second = top.calls[0], top.calls[1]
    assert first["method"] == "taobao.trades.sold.increment.get" and first["use_has_next"] == "true"
    assert (first["start_modified"], first["end_modified"], first["page_no"]) == (
        "2026-11-20 00:00:00", "2026-11-21 00:00:00", "1")
    assert second["page_no"] == "2" and first["v"] == "2.0" and first["sign_method"] == "md5"
    order = _order("3000")
    assert order.ship_province == "浙江省" and order.ship_district == "西湖区" and order.paid_at is not None
    # and the cursor moved window by window up to now
    assert db.session.get(Channel, taobao_shop).pull_cursor[:4] == "2026"


def test_a_wrong_app_secret_is_refused_by_the_gateway_and_its_error_is_shown(app, top, taobao_shop):
    from erp_core.channels.pull import pull_channel
    from erp_core.channels.shops import test_connection, update_shop
    from erp_core.messages import describe

    # given the shop's secret typed wrong
    update_shop(taobao_shop, credentials={"app_secret": "not-the-secret"})
    # when the connection is tested, or orders are pulled
    check = test_connection(taobao_shop)
    result = pull_channel(taobao_shop)
    # then the gateway's error_response is what the office reads, and nothing was stored
    assert not check.ok and check.error.details["sub_code"] == "isv.invalid-signature"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert "Invalid signature" in describe(check.error)  # TOP's own words, in any language
    assert result.failure and "Invalid signature" in result.failure and _orders() == 0


def test_the_hmac_sign_method_is_accepted_too(top, taobao_shop):
    from erp_core.channels.shops import test_connection, update_shop

    update_shop(taobao_shop, credentials={"sign_method": "hmac"})
    check = test_connection(taobao_shop)
    assert check.ok and check.shop_name == "龙井茶旗舰店" and top.calls[-1]["sign_method"] == "hmac"


def test_a_closed_trade_cancels_our_order_and_a_resent_one_changes_nothing(top, taobao_shop):
    from erp_core.channels.pull import pull_channel

    top.trades[3000] = top_trade(3000)
    top.trades[3001] = top_trade(3001)
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    assert len(pull_channel(taobao_shop).created) == 2
    # when the buyer closes 3001 and 3000 comes again unchanged
    top.trades[3001].update(status="TRADE_CLOSED", modified="2026-11-20 12:00:00")
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    again = pull_channel(taobao_shop)
    assert again.created == [] and "3000" in again.duplicates
    assert _order("3001").status == "cancelled" and _order("3000").status == "pending" and _orders() == 2


def test_a_trade_already_shipped_elsewhere_is_not_taken_as_new_work(top, taobao_shop):
    from erp_core.channels.pull import pull_channel

    top.trades[3002] = top_trade(3002, status="WAIT_BUYER_CONFIRM_GOODS")
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    assert pull_channel(taobao_shop).created == [] and _orders() == 0


def test_a_shipped_taobao_order_is_sent_offline_once(top, taobao_shop):
    from erp_core.channels.pull import pull_channel
    from erp_core.outbox import send_pending

    top.trades[3000] = top_trade(3000)
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    pull_channel(taobao_shop)
    _publish_shipped(taobao_shop, "3000", tracking="ZT7000000001", carrier="ZTO")
    _publish_shipped(taobao_shop, "3000", tracking="ZT7000000001", carrier="ZTO")
    assert send_pending(topics=["channel.ship_confirmation"]) == {"sent": 2, "failed": 0}
    assert [(s["tid"], s["out_sid"], s["company_code"]) for s in top.sent] == [("3000", "ZT7000000001", "ZTO")]


def test_a_refused_tracking_upload_stays_in_the_outbox_to_retry(top, taobao_shop):
    from erp_core.channels.pull import pull_channel
    from erp_core.channels.shops import update_shop
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage, send_pending

    top.trades[3000] = top_trade(3000)
    _set_cursor(taobao_shop, "2026-11-20 00:00:00")
    pull_channel(taobao_shop)
    update_shop(taobao_shop, credentials={"session_key": "expired-session"})
    _publish_shipped(taobao_shop, "3000")
    assert send_pending(topics=["channel.ship_confirmation"]) == {"sent": 0, "failed": 1}
    message = db.session.scalar(select(OutboxMessage).filter_by(topic="channel.ship_confirmation"))
    assert message.status == "pending" and "Invalid session" in message.last_error and top.sent == []
