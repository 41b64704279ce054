"""Shops (店铺): create, change and deactivate a shop; its platform credentials, kept encrypted and
never shown again (write-only: a page or an API answer says only whether they are set); the
"Test connection" check; the plain settings an adapter is built from.

Credentials per platform (``CREDENTIAL_FIELDS``): Shopify's Admin API access token; Taobao/Tmall's
TOP app key, app secret and session key; the JSON feed's token (``channels.feed_token``, encrypted
on the next save of the shop; a token saved before encryption still reads as it is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from ..crypto import decrypt, encrypt
from ..db import atomic
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from .adapters import ADAPTERS, PLATFORM_ADAPTERS, FeedError, FeedSettings, check_feed_url, make_adapter
from .adapters.shopify import shop_base_url
from .adapters.taobao import GATEWAY
from .models import Channel

#: Platforms a new shop may be on (``api`` is kept for shops created before this list).
SHOP_PLATFORMS = ("taobao", "tmall", "jd", "pinduoduo", "douyin", "shopify", "manual", "other")
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "shopify": ("access_token",), "taobao": ("app_key", "app_secret", "session_key"),
    "json_feed": ("token",),
}
SIGN_METHODS = ("md5", "hmac")
MAX_INTERVAL_MINUTES = 24 * 60
MAX_SECRET_LENGTH = 500
_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
#: Fields ``create_shop`` / ``update_shop`` take, with the column each one sets.
SETTINGS = ("name", "platform", "active", "warehouse_id", "adapter", "feed_url", "pull_interval_minutes",
            "stock_sync_enabled", "stock_interval_minutes", "stock_ratio_percent", "stock_buffer",
            "platform_location_id")


def credentials_of(channel: Channel) -> dict[str, str]:
    """The shop's credentials in plain text (for an adapter only: never shown or logged)."""
    values = json.loads(decrypt(channel.credentials) or "{}")
    token = decrypt(channel.feed_token)
    if token:
        values["token"] = token
    return values


def credentials_set(channel: Channel) -> bool:
    """Whether the credentials its adapter needs are saved (what pages and the API may tell)."""
    needed = CREDENTIAL_FIELDS.get(channel.adapter, ())
    if not needed:
        return bool(channel.credentials or channel.feed_token)
    try:
        values = credentials_of(channel)
    except DomainError:
        return False
    return all(values.get(name) for name in needed)


def feed_settings(channel: Channel, **extra) -> FeedSettings:
    """The plain settings the channel's adapter is built from (credentials decrypted)."""
    values = credentials_of(channel)
    return FeedSettings(channel_code=channel.code, url=channel.feed_url, token=values.get("token", ""),
                        platform=channel.platform, credentials=values, location_id=channel.platform_location_id,
                        **extra)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    shop_name: str = ""
    error: DomainError | None = None


def test_connection(channel_id: int) -> ConnectionCheck:
    """Make the adapter's cheapest authenticated request; says OK (with the shop's name on the
    platform) or why not. Changes nothing."""
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("no such shop", code="unknown_channel")
    if channel.adapter not in ADAPTERS:
        return ConnectionCheck(False, error=ValidationFailed("the shop has no platform connection to test",
                                                             code="no_platform_adapter", channel=channel.code))
    try:
        adapter = make_adapter(channel.adapter, feed_settings(channel, page_size=1))
        return ConnectionCheck(True, shop_name=adapter.test_connection())
    except DomainError as error:
        return ConnectionCheck(False, error=error)


# --- create and change ------------------------------------------------------------------------------


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not _CODE_RE.fullmatch(code):
        raise ValidationFailed("a shop code is 1 to 40 letters, digits, '-', '_' or '.'", code="bad_shop_code",
                               shop=code[:40])
    return code


def _clean(values: Mapping[str, object]) -> dict[str, object]:
    """Check the settings given (only those given) against the columns' ranges."""
    clean: dict[str, object] = {}
    for key, value in values.items():
        if key not in SETTINGS:
            raise ValidationFailed(f"unknown shop setting {key}", code="validation_error")
        if value is None and key != "warehouse_id":
            continue  # not given
        clean[key] = value.strip() if isinstance(value, str) else value
    if "name" in clean and not 1 <= len(str(clean["name"] or "")) <= 120:
        raise ValidationFailed("a shop needs a name of at most 120 characters", code="bad_shop_name")
    if "platform" in clean and clean["platform"] not in SHOP_PLATFORMS:
        raise ValidationFailed(f"unknown platform {clean['platform']}", code="unknown_platform",
                               platform=clean["platform"])
    for key in ("pull_interval_minutes", "stock_interval_minutes"):
        if key in clean and not (isinstance(clean[key], int) and 1 <= clean[key] <= MAX_INTERVAL_MINUTES):
            raise ValidationFailed("the interval must be 1 to 1440 minutes", code="bad_interval")
    if "stock_ratio_percent" in clean and not (isinstance(clean["stock_ratio_percent"], int)
                                               and 0 <= clean["stock_ratio_percent"] <= 100):
        raise ValidationFailed("the share of stock offered is 0 to 100 percent", code="bad_stock_ratio")
    if "stock_buffer" in clean and not (isinstance(clean["stock_buffer"], int)
                                        and 0 <= clean["stock_buffer"] <= 1_000_000):
        raise ValidationFailed("the stock buffer is 0 to 1000000 units", code="bad_stock_buffer")
    if "platform_location_id" in clean and len(str(clean["platform_location_id"] or "")) > 40:
        raise ValidationFailed("the location id is at most 40 characters", code="too_long")
    if clean.get("warehouse_id") is not None:
        warehouse = db.session.get(Warehouse, clean["warehouse_id"])
        if warehouse is None or not warehouse.active:
            raise ValidationFailed("no such active warehouse", code="unknown_warehouse",
                                   warehouse=str(clean["warehouse_id"]))
    return clean


def _check_connection(channel: Channel) -> None:
    """The adapter and its address fit together; the address may be called (net_guard)."""
    if not channel.adapter:
        return
    if channel.adapter not in ADAPTERS:
        raise ValidationFailed(f"no channel adapter called {channel.adapter!r}", code="unknown_adapter",
                               adapter=channel.adapter)
    try:
        if channel.adapter == "shopify":
            channel.feed_url = shop_base_url(channel.feed_url) if channel.feed_url else ""
        elif channel.adapter == "taobao":
            channel.feed_url = channel.feed_url or GATEWAY
        if not channel.feed_url:
            raise ValidationFailed("the shop's address (feed URL or shop domain) is missing",
                                   code="feed_not_configured", channel=channel.code)
        if len(channel.feed_url) > 500:
            raise ValidationFailed("the feed URL and token are limited to 500 characters", code="too_long")
        check_feed_url(channel.feed_url)
    except FeedError as error:
        raise ValidationFailed(error.message, code=error.code, **error.details) from error


def _store_credentials(channel: Channel, given: Mapping[str, str] | None, clear: bool) -> None:
    """Blank values keep what is saved; ``clear`` removes every saved secret first."""
    current = {} if clear else credentials_of(channel)
    for name, value in (given or {}).items():
        value = (value or "").strip()
        if name not in {f for fields in CREDENTIAL_FIELDS.values() for f in fields} | {"sign_method"}:
            raise ValidationFailed(f"unknown credential {name}", code="validation_error")
        if len(value) > MAX_SECRET_LENGTH:
            raise ValidationFailed("a credential is at most 500 characters", code="too_long")
        if name == "sign_method" and value and value not in SIGN_METHODS:
            raise ValidationFailed("the TOP sign method is md5 or hmac", code="validation_error")
        if value:
            current[name] = value
    token = current.pop("token", "")
    channel.feed_token = encrypt(token)
    channel.credentials = encrypt(json.dumps(current, sort_keys=True)) if current else ""


def _apply(channel: Channel, settings: dict[str, object], credentials, clear_credentials: bool) -> None:
    for key, value in settings.items():
        setattr(channel, key, value)
    if "adapter" not in settings and not channel.adapter and any((credentials or {}).values()):
        # credentials for the platform's own API, and no other way chosen: pull through that API
        channel.adapter = PLATFORM_ADAPTERS.get(channel.platform, "")
    _check_connection(channel)
    _store_credentials(channel, credentials, clear_credentials)


def create_shop(code: str, name: str, platform: str, *, credentials: Mapping[str, str] | None = None,
                **settings) -> Channel:
    """A new active shop. Raises Conflict ``shop_exists`` for a code taken, ValidationFailed for a
    bad setting or an address the server may not call."""
    code = _check_code(code)
    clean = _clean({"name": name, "platform": platform, **settings})
    with atomic():
        if db.session.scalar(select(Channel.id).filter_by(code=code)) is not None:
            raise Conflict(f"a shop {code} exists already", code="shop_exists", shop=code)
        channel = Channel(code=code, name=str(clean.pop("name")), platform=str(clean.pop("platform")), active=True)
        db.session.add(channel)
        _apply(channel, {"platform": channel.platform, **clean}, credentials, False)
        db.session.flush()
    return channel


def update_shop(channel_id: int, *, credentials: Mapping[str, str] | None = None, clear_credentials: bool = False,
                **settings) -> Channel:
    """Change the settings given (others stay); new credentials replace the saved ones field by field
    (blank keeps), ``clear_credentials`` removes them. Saving re-encrypts a token stored in plain."""
    clean = _clean(settings)
    with atomic():
        channel = db.session.get(Channel, channel_id, with_for_update=True)
        if channel is None:
            raise NotFound("no such shop", code="unknown_channel")
        _apply(channel, clean, credentials, clear_credentials)
        db.session.flush()
    return channel


def shop_by_code(code: str) -> Channel:
    channel = db.session.scalar(select(Channel).filter_by(code=code))
    if channel is None:
        raise NotFound(f"no shop {code}", code="unknown_channel", channel=code)
    return channel
