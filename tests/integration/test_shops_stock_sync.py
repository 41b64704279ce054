"""Stock sync back to the platforms (库存同步): offered = floor(available x ratio% - buffer), pushed
through the outbox when it changes and again at the shop's interval, with the push log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.platform_fakes import SHOPIFY_TOKEN, TOP_APP_KEY, TOP_SECRET, TOP_SESSION, FakeShopify, FakeTop


@pytest.fixture(autouse=True)
def _local_platforms_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_HTTP", True)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", True)


@pytest.fixture
def top():
    fake = FakeTop()
    yield fake
    fake.close()


@pytest.fixture
def shopify():
    fake = FakeShopify()
    yield fake
    fake.close()


def _taobao_shop(top, **settings) -> int:
    from erp_core.channels.shops import create_shop
    from erp_core.channels.stock_sync import set_sku_link

    shop = create_shop("TB-1", "龙井茶旗舰店", "taobao", adapter="taobao", feed_url=top.url, stock_sync_enabled=True,
                       credentials={"app_key": TOP_APP_KEY, "app_secret": TOP_SECRET, "session_key": TOP_SESSION},
                       **settings)
    set_sku_link(shop.id, "A", platform_item_id="520001", platform_sku_id="31001")
    set_sku_link(shop.id, "B", platform_item_id="520002")
    return shop.id


def _pushed(top) -> dict[str, int]:
    return {call["num_iid"]: int(call["quantity"]) for call in top.quantities}


def test_the_offered_level_is_the_available_stock_times_the_ratio_less_the_buffer(ctx, world, top):
    from erp_core.channels.stock_sync import run_stock_sync

    # given a shop offering 50% of its stock less 2 units: A has 15 available, B 3
    _taobao_shop(top, stock_ratio_percent=50, stock_buffer=2)
    # when the stock is synced
    outcome = run_stock_sync()
    # then A offers floor(15 x 0.5) - 2 = 5 and B never goes below zero, in TOP's format (type=1: absolute)
    assert outcome == {"queued": 2, "sent": 2, "failed": 0}
    assert _pushed(top) == {"520001": 5, "520002": 0}
    call = next(c for c in top.quantities if c["num_iid"] == "520001")
    assert (call["method"], call["sku_id"], call["type"]) == ("taobao.item.quantity.update", "31001", "1")


def test_the_shops_warehouse_bounds_what_it_offers_and_never_more_than_is_available(ctx, world, top):
    from erp_core.channels.stock_sync import run_stock_sync

    # given a shop shipping from Shanghai only, offering all of it
    _taobao_shop(top, warehouse_id=world["sh"])
    run_stock_sync()
    # then B (only in Shenzhen) offers nothing and A offers exactly its 15
    assert _pushed(top) == {"520001": 15, "520002": 0}


def test_a_stock_change_is_pushed_at_the_next_round_and_an_unchanged_level_is_not(ctx, world, top):
    from erp_core.channels.models import ChannelSkuLink
    from erp_core.channels.stock_sync import run_stock_sync
    from erp_core.extensions import db
    from erp_core.inventory.services import adjust

    # given a first full sync
    shop = _taobao_shop(top)
    run_stock_sync()
    top.quantities.clear()
    # when nothing changes, then nothing is pushed
    assert run_stock_sync()["queued"] == 0 and top.quantities == []
    # when 5 units of A are counted lost in the reserve bin
    adjust(world["a"], world["sh_res"], 0, reason_note="count: lost")
    outcome = run_stock_sync()
    # then only A is pushed, with its new level, and the push log says so
    assert outcome["queued"] == 1 and _pushed(top) == {"520001": 10}
    db.session.expire_all()
    link = db.session.scalar(select(ChannelSkuLink).filter_by(channel_id=shop, sku_id=world["a"]))
    assert (link.pushed_quantity, link.queued_quantity, link.push_error) == (10, None, "")
    assert link.pushed_at is not None


def test_every_linked_sku_is_pushed_again_when_the_shops_interval_has_passed(ctx, world, top):
    from erp_core.channels.models import Channel
    from erp_core.channels.stock_sync import run_stock_sync
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    shop = _taobao_shop(top, stock_interval_minutes=30)
    run_stock_sync()
    top.quantities.clear()
    with atomic():
        db.session.get(Channel, shop).last_stock_sync_at = utcnow() - timedelta(minutes=31)
    assert run_stock_sync()["queued"] == 2 and _pushed(top) == {"520001": 15, "520002": 3}


def test_a_refused_push_is_kept_in_the_push_log_and_retried(ctx, world, top):
    from erp_core.channels.models import ChannelSkuLink
    from erp_core.channels.shops import update_shop
    from erp_core.channels.stock_sync import run_stock_sync
    from erp_core.extensions import db

    shop = _taobao_shop(top)
    update_shop(shop, credentials={"app_secret": "wrong"})
    assert run_stock_sync()["failed"] == 2
    db.session.expire_all()
    link = db.session.scalar(select(ChannelSkuLink).filter_by(channel_id=shop, sku_id=world["a"]))
    assert "Invalid signature" in link.push_error and link.pushed_quantity is None
    # when the secret is right again, the waiting messages go through
    update_shop(shop, credentials={"app_secret": TOP_SECRET})
    assert run_stock_sync()["sent"] == 2 and _pushed(top) == {"520001": 15, "520002": 3}


def test_shopify_levels_are_set_at_the_shops_location(ctx, world, shopify):
    from erp_core.channels.shops import create_shop
    from erp_core.channels.stock_sync import run_stock_sync, set_sku_link

    shop = create_shop("SHOPIFY-1", "Tea House", "shopify", adapter="shopify", feed_url=shopify.base,
                       credentials={"access_token": SHOPIFY_TOKEN}, platform_location_id="655441491",
                       stock_sync_enabled=True, stock_buffer=1)
    set_sku_link(shop.id, "A", platform_item_id="39072856", platform_sku_id="808950810")
    run_stock_sync()
    assert shopify.levels == [{"location_id": 655441491, "inventory_item_id": 808950810, "available": 14}]
