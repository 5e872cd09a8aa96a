"""parse_source: every form a source is written in, and every way it can be wrong."""

from __future__ import annotations

import pytest

from shipwatch.feeds.errors import FeedError
from shipwatch.feeds.sources import LISTEN_ALL, SourceSpec, parse_source, parse_sources


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tcp://ais.example.org:5631",
            ("tcp", "ais.example.org", 5631, "tcp://ais.example.org:5631"),
        ),
        ("tcp://127.0.0.1:10110/", ("tcp", "127.0.0.1", 10110, "tcp://127.0.0.1:10110")),
        (
            "TCP://AIS.Example.org:5631",
            ("tcp", "ais.example.org", 5631, "tcp://ais.example.org:5631"),
        ),
        ("  tcp://h:1  ", ("tcp", "h", 1, "tcp://h:1")),
        ("tcp://[::1]:5000", ("tcp", "::1", 5000, "tcp://[::1]:5000")),
        ("tcp-listen://:5000", ("tcp-listen", LISTEN_ALL, 5000, "tcp-listen://0.0.0.0:5000")),
        ("tcp-listen://127.0.0.1:0", ("tcp-listen", "127.0.0.1", 0, "tcp-listen://127.0.0.1:0")),
        ("udp://:10110", ("udp", LISTEN_ALL, 10110, "udp://0.0.0.0:10110")),
        ("udp://127.0.0.1:10110", ("udp", "127.0.0.1", 10110, "udp://127.0.0.1:10110")),
        ("aisstream://", ("aisstream", "", 0, "aisstream://")),
        ("aisstream:///", ("aisstream", "", 0, "aisstream://")),
        ("AISHUB://", ("aishub", "", 0, "aishub://")),
    ],
)
def test_forms(text: str, expected: tuple[str, str, int, str]) -> None:
    spec = parse_source(text)
    assert (spec.kind, spec.host, spec.port, spec.url) == expected
    assert spec.name == spec.url  # no name given: the URL


def test_a_name_is_found_by_the_text_as_given_or_by_the_url() -> None:
    assert parse_source(" udp://:10110 ", {"udp://:10110": "roof"}).name == "roof"
    assert parse_source("udp://:10110", {"udp://0.0.0.0:10110": "roof"}).name == "roof"
    assert parse_source("aisstream://", {"aisstream://": "stream"}).name == "stream"
    assert parse_source("udp://:10110", {"udp://:10111": "other"}).name == "udp://0.0.0.0:10110"
    assert parse_source("udp://:1", {"udp://:1": ""}).name == "udp://0.0.0.0:1"  # empty: none


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http://h:1", "not a feed source"),
        ("h:1", "not a feed source"),
        ("", "not a feed source"),
        ("/dev/ttyUSB0", "not a feed source"),
        ("tcp://user:pw@h:1", "credentials are read only from settings"),
        ("tcp://token@h:1", "credentials are read only from settings"),
        ("aisstream://KEY@", "credentials are read only from settings"),
        ("aishub://:@", "credentials are read only from settings"),
        ("tcp://h:1/path", "only a scheme, a host and a port"),
        ("tcp://h:1?x=1", "only a scheme, a host and a port"),
        ("tcp://h:1#f", "only a scheme, a host and a port"),
        ("aisstream://?key=1", "only a scheme, a host and a port"),
        ("tcp://h:99999", "the port is not a number from 0 to 65535"),
        ("tcp://h:port", "the port is not a number from 0 to 65535"),
        ("udp://:-1", "the port is not a number from 0 to 65535"),
        ("aisstream://stream.aisstream.io", "takes no host or port"),
        ("aishub://:443", "takes no host or port"),
        ("tcp://h", "a port is needed"),
        ("tcp-listen://", "a port is needed"),
        ("udp://127.0.0.1", "a port is needed"),
        ("tcp://:5000", "tcp:// needs the host"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_source(text)


@pytest.mark.parametrize(
    "text", ["tcp://user:s3cret@h:1", "aisstream://s3cret@", "udp://:s3cret@:1"]
)
def test_a_credential_in_the_url_is_refused_without_repeating_it(text: str) -> None:
    with pytest.raises(FeedError) as raised:
        parse_source(text)
    assert "s3cret" not in str(raised.value)
    assert "SHIPWATCH_AISSTREAM_API_KEY" in str(raised.value)


def test_parse_sources_keeps_the_order_and_refuses_two_sources_of_one_name() -> None:
    specs = parse_sources(["udp://:1", "tcp://h:2", "aishub://"])
    assert [s.kind for s in specs] == ["udp", "tcp", "aishub"]
    assert all(isinstance(s, SourceSpec) for s in specs)
    with pytest.raises(FeedError, match=r"two sources are named 'udp://0\.0\.0\.0:1'"):
        parse_sources(["udp://:1", "udp://0.0.0.0:1"])
    with pytest.raises(FeedError, match="two sources are named 'rx'"):
        parse_sources(["udp://:1", "udp://:2"], {"udp://:1": "rx", "udp://:2": "rx"})
    with pytest.raises(FeedError, match="not a feed source"):
        parse_sources(["udp://:1", "nonsense"])
