"""The interface every channel adapter implements: fetch one page of orders from a cursor.

Adapters are plain code (no Flask, no database): built from a channel's feed settings, they speak
to a platform and turn its orders into the same ``ParsedOrder`` / ``RowError`` data the file
importers produce. The ``pull_channel`` service stores what they return and keeps the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from erp_core.channels.importers.model import ParsedOrder, SkuCheck
from erp_core.errors import DomainError
from erp_core.fileimport import RowError

#: Longest cursor a channel can store (``channels.pull_cursor`` is VARCHAR(200)).
MAX_CURSOR_LENGTH = 200


class FeedError(DomainError):
    """The feed could not be read: unreachable, refused, not JSON, or not the documented shape.

    A page that raises this is not stored at all, so the cursor stays where it was.
    """

    code = "feed_error"
    status = 502


@dataclass(slots=True)
class FetchPage:
    """One page of a feed: the good orders, the rejected ones (as errors), and where to go next.

    ``next_cursor`` is the cursor to ask for after this page; ``has_more`` says whether the feed
    already has another page waiting.
    """

    orders: list[ParsedOrder] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """What an adapter needs from a channel, as plain values.

    ``known_skus`` checks SKUs like the file importers do (``None`` skips the check).
    """

    channel_code: str
    url: str
    token: str = ""
    platform: str = ""
    known_skus: SkuCheck = None
    page_size: int = 100
    timeout_seconds: float = 10.0

    @property
    def source(self) -> str:
        """The ``file`` of the row errors this feed produces, e.g. ``feed:TMALL-FLAGSHIP``."""
        return f"feed:{self.channel_code}"


class ChannelAdapter(Protocol):
    """A way of pulling orders from a platform."""

    def fetch(self, cursor: str) -> FetchPage:
        """Fetch the page that starts at ``cursor`` (``""`` = the beginning); raise FeedError when
        the page cannot be read."""
        ...


def check_feed_url(url: str) -> str:
    """Return ``url`` trimmed when it is an absolute http(s) URL with a host; raise FeedError otherwise.

    Other schemes (``file:``, ``ftp:``, ``data:``) would let a feed setting read local files.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedError("the feed URL must be an http:// or https:// address", code="feed_bad_url")
    return url
