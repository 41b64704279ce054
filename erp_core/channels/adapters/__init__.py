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
    check_feed_url,
)
from erp_core.channels.adapters.json_feed import JsonFeedAdapter

ADAPTERS: dict[str, type] = {"json_feed": JsonFeedAdapter}


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
    "check_feed_url",
    "make_adapter",
]
