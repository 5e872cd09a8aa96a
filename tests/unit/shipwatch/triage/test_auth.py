"""Who acts: the proxy's header, believed only from a trusted proxy's address."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from shipwatch.triage.auth import ProxyAuth, Refused, origin_allowed, parse_networks
from shipwatch.triage.errors import TriageError

AUTH = ProxyAuth.from_settings("X-WEBAUTH-USER", "127.0.0.2, 10.20.0.0/16 ,::1")


def test_the_proxys_header_names_who_acts() -> None:
    assert AUTH.user("127.0.0.2", {"X-WEBAUTH-USER": "alice"}) == "alice"
    assert AUTH.user("10.20.3.4", {"x-webauth-user": " bob "}) == "bob"  # any case, trimmed
    assert AUTH.user("::1", {"X-Webauth-User": "carol"}) == "carol"
    assert AUTH.user("::ffff:127.0.0.2", {"X-WEBAUTH-USER": "dave"}) == "dave"  # IPv4 as IPv6


def test_without_the_header_anyone_reads_and_nobody_writes() -> None:
    assert AUTH.user("127.0.0.1", {}) is None
    assert AUTH.user("127.0.0.2", {"Accept": "text/html"}) is None  # the proxy let a guest in
    assert AUTH.user("127.0.0.2", {"X-WEBAUTH-USER": "  "}) is None


def test_a_forged_header_from_an_untrusted_address_is_refused_never_attributed() -> None:
    for peer in ("127.0.0.1", "10.21.0.1", "192.168.1.9", None, "not-an-ip"):
        with pytest.raises(Refused, match="not a trusted proxy"):
            AUTH.user(peer, {"X-WEBAUTH-USER": "alice"})


def test_nobody_is_trusted_by_default() -> None:
    auth = ProxyAuth.from_settings("X-WEBAUTH-USER", "")
    assert auth.trusted == () and not auth.is_trusted("127.0.0.1")
    with pytest.raises(Refused):
        auth.user("127.0.0.1", {"X-WEBAUTH-USER": "alice"})


def test_a_header_twice_or_not_a_name_is_refused_even_from_the_proxy() -> None:
    twice = CIMultiDict([("X-WEBAUTH-USER", "alice"), ("x-webauth-user", "mallory")])
    with pytest.raises(Refused, match="appears 2 times"):
        AUTH.user("127.0.0.2", twice)
    with pytest.raises(Refused, match="at most 100"):
        AUTH.user("127.0.0.2", {"X-WEBAUTH-USER": "a" * 101})
    with pytest.raises(Refused, match="control characters"):
        AUTH.user("127.0.0.2", {"X-WEBAUTH-USER": "alice\x00admin"})
    # Header bytes that are no UTF-8 ("J\xf6rg" in Latin-1) arrive as a lone surrogate: they
    # could not be written out again, and the request failed with a 500.
    latin1 = b"J\xf6rg".decode("utf-8", "surrogateescape")
    with pytest.raises(Refused, match="control characters"):
        AUTH.user("127.0.0.2", {"X-WEBAUTH-USER": latin1})


def test_another_header_name_is_configurable() -> None:
    auth = ProxyAuth.from_settings("Remote-User", "127.0.0.2")
    assert auth.user("127.0.0.2", {"remote-user": "erin"}) == "erin"
    assert auth.user("127.0.0.2", {"X-WEBAUTH-USER": "alice"}) is None  # not the configured one


def test_a_bad_trusted_proxies_entry_is_named() -> None:
    with pytest.raises(TriageError, match=r"'proxy\.local' is not an IP address or CIDR"):
        parse_networks("127.0.0.2, proxy.local")
    assert [str(n) for n in parse_networks("10.0.0.7/8")] == ["10.0.0.0/8"]


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "127.0.0.1:6066", True),  # not a browser's cross-site request
        ("http://127.0.0.1:6066", "127.0.0.1:6066", True),
        ("https://watch.example.org", "watch.example.org", True),
        ("https://watch.example.org", "watch.example.org:443", True),
        ("http://127.0.0.1:6067", "127.0.0.1:6066", False),
        ("https://evil.example", "watch.example.org", False),
        ("null", "127.0.0.1:6066", False),
        ("http://[::1]:8080", "[::1]:8080", True),
        ("http://127.0.0.1:6066", None, False),
    ],
)
def test_a_write_from_another_origin_is_not_allowed(
    origin: str | None, host: str | None, allowed: bool
) -> None:
    assert origin_allowed(origin, host) is allowed
