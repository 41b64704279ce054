"""Channel adapters: orders pulled from a platform, page by page, behind one interface.

``ADAPTERS`` maps the name stored in ``channels.adapter`` to its class; ``make_adapter`` builds one
from plain feed settings. Adapters never touch the database: ``erp_core.channels.pull`` does.
"""

from erp_core.channels.adapters.base import (
    MAX_CURSOR_LENGTH,
    ChannelAdapter,
    FeedError,
    FeedSettings,
    FetchPage,
    PlatformAdapter,
    ShipmentNotice,
    StockLevel,
    check_feed_url,
)
from erp_core.channels.adapters.json_feed import JsonFeedAdapter
from erp_core.channels.adapters.shopify import ShopifyAdapter
from erp_core.channels.adapters.taobao import TaobaoAdapter

ADAPTERS: dict[str, type] = {"json_feed": JsonFeedAdapter, "shopify": ShopifyAdapter, "taobao": TaobaoAdapter}
#: The adapters that speak a platform's own API (they confirm shipments and take stock levels).
PLATFORM_ADAPTERS: dict[str, str] = {"shopify": "shopify", "taobao": "taobao", "tmall": "taobao"}


def make_adapter(name: str, settings: FeedSettings) -> ChannelAdapter:
    """The adapter called ``name``, built from ``settings``; FeedError when there is no such adapter."""
    adapter_class = ADAPTERS.get(name)
    if adapter_class is None:
        raise FeedError(f"no channel adapter called {name!r}", code="unknown_adapter", adapter=name)
    return adapter_class(settings)


__all__ = [
    "ADAPTERS",
    "MAX_CURSOR_LENGTH",
    "ChannelAdapter",
    "FeedError",
    "FeedSettings",
    "FetchPage",
    "JsonFeedAdapter",
    "PLATFORM_ADAPTERS",
    "PlatformAdapter",
    "ShipmentNotice",
    "ShopifyAdapter",
    "StockLevel",
    "TaobaoAdapter",
    "check_feed_url",
    "make_adapter",
]
