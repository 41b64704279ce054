"""The outbound-URL guard refuses what would reach into the server's own network."""

from __future__ import annotations

import pytest

from erp_core.errors import ValidationFailed
from erp_core.net_guard import check_outbound_url


@pytest.mark.parametrize("url", [
    "http://shop.example.com/orders",             # not https
    "file:///etc/passwd", "ftp://example.com/x",  # not a web address
    "https:///no-host",
    "https://127.0.0.1/admin", "https://localhost:5432/", "https://[::1]/",
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "https://10.0.0.5/", "https://192.168.1.10/", "https://172.16.0.1/", "https://100.64.0.1/",
    "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/",
])
def test_addresses_inside_the_network_or_not_https_are_refused(url):
    with pytest.raises(ValidationFailed) as refused:
        check_outbound_url(url)
    assert refused.value.code == "url_not_allowed"


def test_a_public_https_address_passes():
    assert check_outbound_url("  https://93.184.216.34/orders?page=2  ") == "https://93.184.216.34/orders?page=2"


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(ValidationFailed):
        check_outbound_url("https://no-such-host.invalid/feed")
