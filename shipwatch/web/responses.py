"""What every response of the worker's web server carries, and its JSON answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web as aioweb

KEEPALIVE_S = 15.0  # an SSE comment this often keeps proxies from closing an idle stream
# Everything a page loads comes from this server: no CDN, no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def json_response(value: Any, status: int = 200) -> aioweb.Response:
    """A JSON answer with the security headers."""
    return aioweb.Response(
        body=orjson.dumps(value),
        status=status,
        headers={**SECURITY_HEADERS, "Content-Type": "application/json"},
    )


def error_response(status: int, message: str) -> aioweb.Response:
    """A JSON error: {"error": message}."""
    return json_response({"error": message}, status)


async def event_stream(
    request: aioweb.Request,
    queue: asyncio.Queue[Any],
    done: Callable[[], bool],
    event: str | None = None,
) -> aioweb.StreamResponse:
    """Server-sent events: one `data:` line of JSON per item of `queue` (as `event`, when
    named), until the viewer leaves, `done()` holds, or the queue gives None (the worker is
    stopping: the browser reconnects, to another one if need be)."""
    response = aioweb.StreamResponse(
        headers={**SECURITY_HEADERS, "Content-Type": "text/event-stream"}
    )
    await response.prepare(request)
    head = f"event: {event}\ndata: ".encode() if event else b"data: "
    try:
        await response.write(b"retry: 2000\n: connected\n\n")
        while not done():
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if item is None:
                break
            await response.write(head + orjson.dumps(item) + b"\n\n")
    except (ConnectionResetError, RuntimeError):
        pass  # the viewer went away
    return response
