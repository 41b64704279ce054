"""The interface every channel adapter implements: fetch one page of orders from a cursor.

Adapters are plain code (no Flask, no database): built from a channel's feed settings, they speak
to a platform and turn its orders into the same ``ParsedOrder`` / ``RowError`` data the file
importers produce. The ``pull_channel`` service stores what they return and keeps the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from erp_core.channels.importers.model import ParsedOrder, SkuCheck
from erp_core.errors import DomainError, ValidationFailed
from erp_core.fileimport import RowError
from erp_core.net_guard import check_outbound_url

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

    ``known_skus`` checks SKUs like the file importers do (``None`` skips the check);
    ``credentials`` holds the platform's secrets in plain text (decrypted by the caller, never logged);
    ``clock`` gives the current UTC time (a test sets it).
    """

    channel_code: str
    url: str
    token: str = ""
    platform: str = ""
    known_skus: SkuCheck = None
    page_size: int = 100
    timeout_seconds: float = 10.0
    credentials: Mapping[str, str] = field(default_factory=dict)
    location_id: str = ""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), compare=False)

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


@dataclass(frozen=True, slots=True)
class ShipmentNotice:
    """A shipped order to tell its platform about (发货回传): the platform's order number, the
    carrier's code and the tracking number."""

    order_number: str
    carrier_code: str
    tracking_number: str


@dataclass(frozen=True, slots=True)
class StockLevel:
    """The quantity to offer for one SKU on the platform (库存同步)."""

    sku: str
    platform_item_id: str
    platform_sku_id: str
    quantity: int


class PlatformAdapter(ChannelAdapter, Protocol):
    """An adapter of a platform's own API: besides pulling orders it can prove its credentials,
    confirm shipments and set stock levels."""

    def test_connection(self) -> str:
        """The platform's cheapest authenticated request; returns what it says the shop is called."""
        ...

    def confirm_shipment(self, notice: ShipmentNotice) -> str:
        """Tell the platform the order shipped; idempotent (an order already shipped there is left
        alone). Returns ``sent`` or ``already_shipped``."""
        ...

    def push_stock(self, level: StockLevel) -> None:
        """Set the quantity offered for one SKU."""
        ...


def feed_url_syntax(url: str) -> str:
    """Return ``url`` trimmed when it is an absolute http(s) URL with a host; raise FeedError otherwise.

    Other schemes (``file:``, ``ftp:``, ``data:``) would let a feed setting read local files.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedError("the feed URL must be an http:// or https:// address", code="feed_bad_url")
    return url


def check_feed_url(url: str) -> str:
    """``feed_url_syntax``, then ``erp_core.net_guard.check_outbound_url``: a loopback, private or
    cloud-metadata address (or plain http) is refused unless the app's configuration allows it.
    Called when the URL is saved and again right before each request."""
    url = feed_url_syntax(url)
    try:
        return check_outbound_url(url)
    except ValidationFailed as error:
        raise FeedError(error.message, code=error.code, **error.details) from error
