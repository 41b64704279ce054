"""Pull orders from a channel's feed: page by page from the stored cursor, safe to re-run.

Each page's orders are stored first (one transaction per order, deduplicated by (channel, external
id) in ``store_parsed_orders``), and only then is the page's ``next_cursor`` saved. A crash between
the two re-fetches that page next time, and the dedupe makes that harmless. A page that cannot be
read (HTTP error, not JSON) stores nothing and leaves the cursor where it was.

Two processes never pull one channel at once: a pull first claims a lease with a conditional UPDATE
of the channel row (row count checked), which writes ``last_pulled_at = now``, its token into
``pull_lease_token`` and ``pull_lease_until``. The lease lasts ``LEASE_SECONDS`` and is renewed with
every page; the lease of a crashed process simply runs out. Scheduled pulls also need the channel's interval to
have passed since ``last_pulled_at``; a pull started by hand skips that check, never the lease.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..catalog.models import Sku
from ..crypto import decrypt, encrypt
from ..db import atomic, end_transaction, in_transaction
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..fileimport import RowError
from ..models_base import utcnow
from .adapters import ADAPTERS, ChannelAdapter, FeedError, check_feed_url, make_adapter
from .models import Channel
from .services import ImportReport, store_parsed_orders
from .shops import feed_settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 120
MAX_INTERVAL_MINUTES = 24 * 60


class PullInProgress(Conflict):
    code = "pull_in_progress"


class _Overtaken(Exception):
    """The lease ran out and another pull took over, or someone reset the cursor meanwhile."""


@dataclass
class PullResult:
    """What one pull did. ``created``/``updated`` are order ids, ``duplicates`` external ids of orders
    already stored unchanged; ``failure`` says why the pull stopped before the end ("" when it did
    not), ``failure_error`` is the feed's error when that was the reason (for a translated sentence);
    ``has_more`` is true when it stopped at ``max_pages`` with pages still waiting."""

    channel_code: str
    pages: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False
    failure: str = ""
    failure_error: DomainError | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.failure and not self.errors


def pull_channel(channel_id: int, *, user_id: int | None = None, max_pages: int = 50) -> PullResult:
    """Pull a channel's feed now, whatever its interval; raises PullInProgress while another pull
    holds the channel's lease, and ValidationFailed when the channel has no usable feed settings.

    Runs its own transactions (several per page), so it must not be called inside ``atomic()``.
    """
    result = _pull(channel_id, user_id=user_id, max_pages=max_pages, due_only=False)
    assert result is not None
    return result


def pull_due_channels(*, max_pages: int = 50) -> list[PullResult]:
    """Pull every active channel with a feed whose interval has passed since its last pull.

    A channel another process is pulling, or one not due yet, is skipped; a channel whose pull fails
    does not stop the others (its failure is in its result and in ``last_pull_error``).
    """
    _refuse_outer_transaction()
    channels = list(db.session.execute(select(Channel.id, Channel.code).where(
        Channel.active.is_(True), Channel.feed_url != "", Channel.adapter != "").order_by(Channel.id)))
    _close_read_transaction()
    results: list[PullResult] = []
    for channel_id, code in channels:
        try:
            result = _pull(channel_id, user_id=None, max_pages=max_pages, due_only=True)
        except DomainError as error:
            log.warning("channel %s not pulled: %s", code, error.message)
            continue
        except Exception as error:  # one broken channel must not stop the others; already recorded
            log.exception("pulling channel %s failed", code)
            results.append(PullResult(channel_code=code, failure=f"unexpected error: {error}"))
            continue
        if result is not None:
            results.append(result)
    return results


def update_feed_settings(channel_id: int, *, adapter: str, feed_url: str, interval_minutes: int,
                         feed_token: str | None = None, clear_token: bool = False,
                         reset_cursor: bool = False) -> Channel:
    """Change a channel's feed: adapter, URL, interval; a new token only when one is given (blank
    keeps the old one), ``clear_token`` removes it; ``reset_cursor`` starts again from the beginning
    (safe: orders already stored are not stored twice)."""
    feed_url = feed_url.strip()
    if adapter and adapter not in ADAPTERS:
        raise ValidationFailed(f"no channel adapter called {adapter!r}", code="unknown_adapter", adapter=adapter)
    if feed_url:
        if not adapter:
            raise ValidationFailed("choose how to read the feed (an adapter)", code="unknown_adapter")
        try:
            check_feed_url(feed_url)
        except FeedError as error:
            raise ValidationFailed(error.message, code=error.code, **error.details) from error
    if len(feed_url) > 500 or len((feed_token or "").strip()) > 500:
        raise ValidationFailed("the feed URL and token are limited to 500 characters", code="too_long")
    if not 1 <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise ValidationFailed("the interval must be 1 to 1440 minutes", code="bad_interval")
    with atomic():
        channel = db.session.get(Channel, channel_id)
        if channel is None:
            raise NotFound(f"no channel {channel_id}", code="unknown_channel")
        channel.adapter = adapter
        channel.feed_url = feed_url
        channel.pull_interval_minutes = interval_minutes
        if clear_token:
            channel.feed_token = ""
        elif feed_token and feed_token.strip():
            channel.feed_token = encrypt(feed_token.strip())
        else:  # kept: a token saved before encryption is encrypted now
            channel.feed_token = encrypt(decrypt(channel.feed_token))
        if reset_cursor:
            channel.pull_cursor = ""
    return channel


def pull_state(channel: Channel, now: datetime | None = None) -> str:
    """``pulling`` while a live lease is held, ``interrupted`` when a pull died holding it,
    ``failed`` when the last pull recorded an error, else ``ok`` (or ``never`` before any pull)."""
    if channel.pull_lease_token:
        now = now or utcnow()
        return "pulling" if channel.pull_lease_until and channel.pull_lease_until > now else "interrupted"
    if channel.last_pull_error:
        return "failed"
    return "ok" if channel.last_pulled_at else "never"


# --- the pull itself -------------------------------------------------------------------------------


def _pull(channel_id: int, *, user_id: int | None, max_pages: int, due_only: bool) -> PullResult | None:
    _refuse_outer_transaction()
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}", code="unknown_channel")
    if not channel.active:
        raise ValidationFailed(f"channel {channel.code} is not active", code="channel_inactive",
                               channel=channel.code)
    if not channel.feed_url or channel.adapter not in ADAPTERS:
        raise ValidationFailed(f"channel {channel.code} has no feed to pull", code="feed_not_configured",
                               channel=channel.code)
    code, interval = channel.code, max(channel.pull_interval_minutes or 1, 1)
    token = secrets.token_hex(8)
    now = utcnow()
    if not _claim(channel_id, token, now, now - timedelta(minutes=interval) if due_only else None):
        if due_only:
            return None
        raise PullInProgress(f"channel {code} is being pulled right now; try again in a few minutes",
                             channel=code)
    try:
        # Read the settings and cursor after the claim: the previous holder may have just moved it.
        channel = db.session.get(Channel, channel_id)
        adapter_name, cursor = channel.adapter, channel.pull_cursor
        result = PullResult(channel_code=code, cursor=cursor)
        try:
            settings = feed_settings(channel, known_skus=_known_skus())
            _close_read_transaction()
            adapter = make_adapter(adapter_name, settings)
        except DomainError as error:  # a FeedError, or credentials the data key cannot open
            result.failure, result.failure_error = error.message, error
        else:
            _read_pages(channel_id, token, adapter, result, user_id, max_pages)
    except BaseException as error:
        _release(channel_id, token, f"unexpected error: {type(error).__name__}: {error}")
        raise
    _release(channel_id, token, _outcome(result))
    _log(result)
    return result


def _read_pages(channel_id: int, token: str, adapter: ChannelAdapter, result: PullResult, user_id: int | None,
                max_pages: int) -> None:
    for _ in range(max_pages):
        try:
            page = adapter.fetch(result.cursor)
        except FeedError as error:
            result.failure, result.failure_error = error.message, error
            return
        report = ImportReport(format="feed", errors=list(page.errors))
        store_parsed_orders(db.session.get(Channel, channel_id), page.orders, report, user_id=user_id)
        result.pages += 1
        result.created += report.created
        result.updated += report.updated
        result.duplicates += report.already_imported
        result.errors += report.errors
        try:
            _advance(channel_id, token, result.cursor, page.next_cursor)
        except _Overtaken:
            result.failure = "the pull was overtaken (its lease ran out or the cursor was reset); stopped"
            return
        result.cursor = page.next_cursor
        result.has_more = page.has_more
        if not page.has_more:
            return


def _claim(channel_id: int, token: str, now: datetime, due_before: datetime | None) -> bool:
    """Take the channel's lease: one conditional UPDATE, so of two racing pulls exactly one wins."""
    free = or_(Channel.pull_lease_token == "", Channel.pull_lease_until.is_(None), Channel.pull_lease_until <= now)
    conditions = [Channel.id == channel_id, free]
    if due_before is not None:
        conditions.append(or_(Channel.last_pulled_at.is_(None), Channel.last_pulled_at <= due_before))
    with atomic():
        claimed = db.session.execute(
            update(Channel).where(*conditions)
            .values(last_pulled_at=now, pull_lease_token=token, pull_lease_until=now + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def _advance(channel_id: int, token: str, cursor: str, next_cursor: str) -> None:
    """Save the cursor after a stored page, renewing the lease; only while the lease is still ours
    and nobody reset the cursor meanwhile."""
    with atomic():
        moved = db.session.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.pull_lease_token == token, Channel.pull_cursor == cursor)
            .values(pull_cursor=next_cursor, last_pulled_at=utcnow(),
                    pull_lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise _Overtaken


def _release(channel_id: int, token: str, outcome: str) -> None:
    """End the lease, recording how the pull went ("" = fine)."""
    with atomic():
        db.session.execute(
            update(Channel).where(Channel.id == channel_id, Channel.pull_lease_token == token)
            .values(last_pulled_at=utcnow(), last_pull_error=outcome[:500], pull_lease_token="",
                    pull_lease_until=None)
            .execution_options(synchronize_session=False))


def _outcome(result: PullResult) -> str:
    """What ``last_pull_error`` keeps: the failure, else the rejected orders (the cursor has moved
    past them, so someone must see them), else nothing."""
    if result.failure:
        return result.failure
    if not result.errors:
        return ""
    lines = {(error.file, error.line) for error in result.errors}
    first = "; ".join(f"line {e.line}{' ' + e.column if e.column else ''}: {e.reason}" for e in result.errors[:3])
    return f"{len(lines)} order(s) rejected: {first}"


def _known_skus() -> set[str]:
    return set(db.session.scalars(select(Sku.code).where(Sku.active.is_(True))))


def _refuse_outer_transaction() -> None:
    if in_transaction():
        raise RuntimeError("a pull commits page by page; call it outside atomic()")


def _close_read_transaction() -> None:
    # Nothing is pending here (every write goes through atomic()); this only ends the read
    # transaction so no connection idles in a transaction while the feed is fetched over HTTP.
    end_transaction()


def _log(result: PullResult) -> None:
    log.info("pulled %s: %d page(s), %d created, %d updated, %d duplicates, %d errors%s",
             result.channel_code, result.pages, len(result.created), len(result.updated),
             len(result.duplicates), len(result.errors), f", failed: {result.failure}" if result.failure else "")
