"""Free local ports, for a private broker (port and controller port) or a worker's web page."""

from __future__ import annotations

import socket


def free_port(pair: bool = False) -> int:
    """A free port on 127.0.0.1 (and port + 1 too, when `pair`: the broker's controller)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if not pair:
            return port
        with socket.socket() as neighbour:
            try:
                neighbour.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")
