"""One HTTP call of a platform adapter: the outbound-URL guard before it, JSON in and out, no
redirects (a platform API never redirects an authenticated call; following one could carry the
access token to another server), a size limit, and every failure as a ``FeedError``."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from erp_core.channels.adapters.base import FeedError, check_feed_url

MAX_RESPONSE_BYTES = 20 * 1024 * 1024
USER_AGENT = "warehouse-floor-shops/1"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    payload: Any


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise FeedError(f"the platform redirected the request to {newurl[:120]}; check the shop's address",
                        code="platform_redirected", url=newurl[:120])


def _decode(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise FeedError(f"the platform did not answer valid JSON: {error}", code="platform_bad_json") from error


def call(method: str, url: str, *, headers: dict[str, str] | None = None, json_body: Any = None,
         form: bytes | None = None, timeout: float = 10.0) -> Answer:
    """Send one request; an HTTP error status comes back as an ``Answer`` too (the adapter words it),
    an unreachable server or a body that is not JSON raises ``FeedError``."""
    check_feed_url(url)
    data = None
    sent = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body, default=str).encode()
        sent["Content-Type"] = "application/json"
    elif form is not None:
        data = form
        sent["Content-Type"] = "application/x-www-form-urlencoded;charset=utf-8"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310  (http(s), guarded)
    opener = urllib.request.build_opener(_NoRedirects())
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
            status, answer_headers = response.status, dict(response.headers.items())
    except urllib.error.HTTPError as error:
        body = error.read(MAX_RESPONSE_BYTES + 1) if error.fp is not None else b""
        status, answer_headers = error.code, dict(error.headers.items()) if error.headers else {}
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FeedError(f"the platform cannot be reached: {reason}", code="platform_unreachable",
                        reason=str(reason)) from error
    if len(body) > MAX_RESPONSE_BYTES:
        raise FeedError("the platform's answer is larger than 20 MB", code="feed_too_large")
    try:
        payload = _decode(body)
    except FeedError:
        if status >= 400:
            payload = None  # an error page: the status says enough
        else:
            raise
    return Answer(status, {k.lower(): v for k, v in answer_headers.items()}, payload)
