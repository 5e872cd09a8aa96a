"""Who is acting: the name an authenticating reverse proxy puts in a header.

The worker does not log anyone in. A proxy in front of it (oauth2-proxy, Authelia, nginx with
auth_request, ...) authenticates the analyst and forwards the request with their name in
`auth_proxy_header` (X-WEBAUTH-USER by default). The header is believed only when the
request's peer address (the TCP connection's, never a forwarded-for header) is one of
`trusted_proxies` (comma-separated IPs or CIDRs):

- from a trusted proxy, with the header: that name may act;
- from a trusted proxy without it, or from any other address without it: read-only (None);
- from any other address *with* the header: refused outright (`Refused`), never attributed:
  someone is trying to speak for someone else, or a proxy is missing from the list.

`origin_allowed(origin, host)` is the cross-site check for writes: a browser always sends
`Origin` on a cross-origin POST, and it must name the host the request was sent to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from shipwatch.triage.actions import ActionError, clean_name
from shipwatch.triage.errors import TriageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(TriageError):
    """A request that claims an identity it may not: the message says why (for a 403)."""


def parse_networks(spec: str) -> tuple[Network, ...]:
    """`"10.0.0.5, 10.1.0.0/16, ::1"` as networks; a bad entry raises TriageError naming it."""
    networks: list[Network] = []
    for part in spec.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise TriageError(f"trusted_proxies: {entry!r} is not an IP address or CIDR") from exc
    return tuple(networks)


def _address(peer: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not peer:
        return None
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])  # no IPv6 zone id
    except ValueError:
        return None  # a Unix socket or something else that is not an IP: not trusted
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class ProxyAuth:
    """The header to read and the proxies to believe."""

    header: str = "X-WEBAUTH-USER"
    trusted: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, header: str, trusted_proxies: str) -> ProxyAuth:
        """From the settings `auth_proxy_header` and `trusted_proxies`."""
        return cls(header.strip(), parse_networks(trusted_proxies))

    def is_trusted(self, peer: str | None) -> bool:
        """Whether the peer address is one of the trusted proxies."""
        address = _address(peer)
        return address is not None and any(address in net for net in self.trusted)

    def user(self, peer: str | None, headers: Mapping[str, str]) -> str | None:
        """The acting user's name, or None (read-only); raises Refused for a header that
        comes from an untrusted address, appears twice, or is not a valid name."""
        wanted = self.header.lower()
        values = [value for name, value in headers.items() if name.lower() == wanted]
        if not values:
            return None
        if not self.is_trusted(peer):
            raise Refused(
                f"{self.header} sent from {peer or 'an unknown address'}, which is not a "
                "trusted proxy: sign in through the team's proxy"
            )
        if len(values) > 1:
            raise Refused(f"{self.header} appears {len(values)} times; the proxy must set one")
        if not values[0].strip():
            return None  # the proxy let an anonymous viewer through: read-only
        try:
            return clean_name(values[0], self.header)
        except ActionError as exc:
            raise Refused(str(exc)) from exc


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """No Origin (a script or curl, not a cross-site browser request), or one whose host and
    port are the Host the request was sent to."""
    if origin is None:
        return True
    if not host:
        return False
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file) or something stranger
    default = "443" if parts.scheme == "https" else "80"
    return _host_port(parts.netloc, default) == _host_port(host.strip(), default)


def _host_port(netloc: str, default: str) -> tuple[str, str]:
    netloc = netloc.rsplit("@", 1)[-1].lower()
    if netloc.startswith("["):  # [::1]:8080
        address, _, rest = netloc[1:].partition("]")
        return address, rest.lstrip(":") or default
    address, _, port = netloc.partition(":")
    return address, port or default
