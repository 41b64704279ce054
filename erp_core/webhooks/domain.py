"""The webhook's pure rules: the Stripe-style signature, its verification (what a receiver does) and the
retry schedule. No Flask, no database."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

# After the 1st, 2nd, ... failed try, the next one waits this long; after the last, the delivery fails.
BACKOFF: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                  timedelta(hours=2), timedelta(hours=12))
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-WMS-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when the header signs this raw body with the secret and its time is within `tolerance`
    seconds of `now` (a replayed old request is refused). Constant-time comparison."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def next_delay(failures: int) -> timedelta | None:
    """How long to wait after `failures` failed tries in a row; None when the delivery has failed for good."""
    return BACKOFF[failures - 1] if 1 <= failures <= len(BACKOFF) else None


def delivered(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
