"""The triage endpoint over a real socket: a body is read whole however it arrives, and its
size limit holds for a chunked one too."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from shipwatch.settings import Settings
from shipwatch.web.live_feed import AlertFeed
from shipwatch.web.triage import MAX_BODY, TriageService, register


async def _service() -> tuple[web.AppRunner, int]:
    feed = AlertFeed()
    feed.add({"alert_id": "a1", "kind": "ais_gap", "status": "active"}, 1000)
    service = TriageService(Settings(_env_file=None, trusted_proxies="127.0.0.1"), feed)
    offsets = {"next": 0}

    async def send(key: bytes, value: bytes) -> tuple[int, int]:  # the triage topic, in memory
        offset = offsets["next"]
        offsets["next"] += 1
        service.take(offset, key, value)
        await service.applied(0, offset + 1)
        return 0, offset

    service.attach(send)
    service.caught_up()
    app = web.Application()
    register(app, service)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def _post(port: int, body: bytes, split: int | None = None, chunk: int = 0) -> bytes:
    """POST raw HTTP: the body cut in two writes at `split`, or chunked in `chunk` bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /api/alerts/a1/triage HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "X-WEBAUTH-USER: alice\r\nContent-Type: application/json\r\nConnection: close\r\n"
    )
    if chunk:
        writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
        for start in range(0, len(body), chunk):
            part = body[start : start + chunk]
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
    else:
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:split])
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(body[split:] if split is not None else b"")
    await writer.drain()
    reply = await reader.read()
    writer.close()
    return reply.split(b"\r\n", 1)[0]


def test_a_body_that_arrives_in_pieces_is_read_whole_and_the_limit_holds_for_chunks() -> None:
    async def scenario() -> None:
        runner, port = await _service()
        try:
            note = orjson.dumps({"action": "note", "text": "x" * 1500})
            assert await _post(port, note) == b"HTTP/1.1 200 OK"
            assert await _post(port, note, split=20) == b"HTTP/1.1 200 OK"
            assert await _post(port, note, chunk=400) == b"HTTP/1.1 200 OK"
            big = orjson.dumps({"action": "note", "text": "y" * (MAX_BODY * 2)})
            assert (await _post(port, big, chunk=4000)).startswith(b"HTTP/1.1 413")
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
