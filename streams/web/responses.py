"""What every response of the worker's web server carries, and its JSON answers."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web as aioweb

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
