"""What `shipwatch feed` is pointed at: one URL per source, credentials only from settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from shipwatch.feeds.errors import FeedError

Kind = Literal["tcp", "tcp-listen", "udp", "aisstream", "aishub"]
KINDS: tuple[Kind, ...] = ("tcp", "tcp-listen", "udp", "aisstream", "aishub")
LISTEN_ALL = "0.0.0.0"  # receivers on other machines push to us: every interface by default
USAGE = "tcp://HOST:PORT, tcp-listen://[HOST]:PORT, udp://[HOST]:PORT, aisstream:// or aishub://"


@dataclass(frozen=True)
class SourceSpec:
    """One source: how to reach it and the name its metrics carry."""

    kind: Kind
    host: str
    port: int
    url: str  # normalized: the scheme, the host (IPv6 in brackets) and the port
    name: str


def parse_source(text: str, names: Mapping[str, str] | None = None) -> SourceSpec:
    """A source URL, checked; FeedError names what is wrong."""
    parts = urlsplit(text.strip())
    scheme = parts.scheme.lower()
    # Errors name the scheme, never the rest: a mistyped URL may hold a key.
    shown = f"{parts.scheme}://..." if parts.scheme else "the source"
    if scheme not in KINDS:
        raise FeedError(f"{shown}: not a feed source; use {USAGE}")
    kind: Kind = scheme
    if parts.username is not None or parts.password is not None:
        raise FeedError(
            f"{parts.scheme}://...: credentials are read only from settings "
            "(SHIPWATCH_AISSTREAM_API_KEY, SHIPWATCH_AISHUB_USERNAME, SHIPWATCH_FEED_TCP_LOGIN), "
            "never from the command line"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise FeedError(f"{shown}: a source is only a scheme, a host and a port ({USAGE})")
    host, port = parts.hostname or "", None
    try:
        port = parts.port
    except ValueError as exc:
        raise FeedError(f"{shown}: the port is not a number from 0 to 65535") from exc
    if kind in ("aisstream", "aishub"):
        if host or port is not None:
            raise FeedError(f"{shown}: {kind}:// takes no host or port (they are settings)")
        port = 0
    elif port is None:
        raise FeedError(f"{shown}: a port is needed ({USAGE})")
    elif kind == "tcp" and not host:
        raise FeedError(f"{shown}: tcp:// needs the host to connect to ({USAGE})")
    elif not host:
        host = LISTEN_ALL
    bracketed = f"[{host}]" if ":" in host else host  # IPv6
    url = f"{kind}://{bracketed}:{port}" if kind not in ("aisstream", "aishub") else f"{kind}://"
    name = (names or {}).get(text.strip()) or (names or {}).get(url) or url
    return SourceSpec(kind, host, port, url, name)


def parse_sources(texts: list[str], names: Mapping[str, str] | None = None) -> list[SourceSpec]:
    """Every source, each once (a name used twice would merge two sources' metrics)."""
    specs = [parse_source(text, names) for text in texts]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise FeedError(f"two sources are named {spec.name!r}: give each its own name")
        seen.add(spec.name)
    return specs
