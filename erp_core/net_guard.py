"""Where the server may send requests: channel feeds, platform APIs, webhooks, carriers' APIs.

A URL an office user types is a way into the network behind the server (a cloud metadata address,
the database, an admin page on localhost). `check_outbound_url` refuses, before any request:
- a scheme other than https (http too when OUTBOUND_ALLOW_HTTP is on: test rigs, a LAN printer);
- a host that is, or resolves to, a loopback, private, link-local (169.254.169.254: the metadata
  service), shared (100.64/10), multicast, reserved or unspecified address — unless the host is
  listed in OUTBOUND_ALLOWED_HOSTS, or OUTBOUND_ALLOW_PRIVATE is on (a fake platform server in tests,
  an ERP on the seller's LAN).
The host is resolved here; the request that follows resolves it again, so call the check right before
sending as well as when the URL is saved (a name that changes its address between the two is caught
at the send).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app, has_app_context

from .errors import ValidationFailed

MAX_URL_LENGTH = 500


def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def _refused(url: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"this address may not be called: {reason}", code="url_not_allowed",
                            url=url[:120], reason=reason)


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified
            or (isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10")))


def check_outbound_url(url: str) -> str:
    """The URL, stripped, when the server may call it; else ValidationFailed `url_not_allowed` with the
    reason (scheme, no host, private address, unresolvable)."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise _refused(url, "longer than 500 characters")
    parts = urlsplit(url)
    allowed_schemes = {"https", "http"} if _config("OUTBOUND_ALLOW_HTTP", False) else {"https"}
    if parts.scheme.lower() not in allowed_schemes:
        raise _refused(url, "only https addresses" if "http" not in allowed_schemes else "only http(s) addresses")
    host = (parts.hostname or "").lower()
    if not host:
        raise _refused(url, "no host")
    if host in {h.lower() for h in _config("OUTBOUND_ALLOWED_HOSTS", ())} or _config("OUTBOUND_ALLOW_PRIVATE", False):
        return url
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as error:
            raise _refused(url, "the host does not resolve") from error
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    if any(_forbidden(a) for a in addresses):
        raise _refused(url, "a private, loopback or link-local address")
    return url
