"""`make bench`'s feed line: NMEA sentences per second from a local TCP server into Kafka.

A private broker, a local TCP server that sends N distinct sentences as fast as the feed reads
them, and `shipwatch feed tcp://...` as its own process: the figure is N over the time from the
feed's first connection to the raw topic holding all N (acknowledged by the broker), with the
feed process's CPU time. The broker shares the machine's cores, as it would on a small host.
Target (issue 20): at least 50,000 sentences/s for one feed process on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyais import encode_dict
from pyais.util import checksum

from bench.harness import cpu_seconds, free_port, private_broker
from shipwatch.settings import Settings, env_for
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

OUT = Path(__file__).resolve().parent / "out"
TARGET_PER_S = 50_000
_ARMOUR = b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"  # AIS 6-bit chars


def sentences(count: int) -> list[bytes]:
    """`count` distinct `!AIVDM` lines with valid checksums (made fast, not decoded here)."""
    base = encode_dict(
        {"type": 1, "mmsi": 273000001, "lat": 42.7, "lon": 133.0}, radio_channel="A"
    )[0]
    head, rest = base.split(",A,", 1)
    payload, tail = rest.split(",", 1)
    tail = tail.split("*", 1)[0]
    out = []
    for i in range(count):
        n, digits = i, bytearray()
        for _ in range(4):  # the counter, in 4 armoured characters: up to 16.7 million lines
            digits.append(_ARMOUR[n % 64])
            n //= 64
        body = f"{head[1:]},A,{payload[:20]}{digits.decode()}{payload[24:]},{tail}".encode()
        out.append(b"!" + body + f"*{checksum(body):02X}".encode())
    return out


async def _serve(
    lines: list[bytes], port: int, first: asyncio.Future[float], done: asyncio.Event
) -> asyncio.Server:
    blob = b"\r\n".join(lines) + b"\r\n"

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not first.done():
            first.set_result(time.perf_counter())
        chunk = 256 * 1024
        for start in range(0, len(blob), chunk):
            writer.write(blob[start : start + chunk])
            await writer.drain()
        await done.wait()  # stay open until the end: a live feed does not hang up
        writer.close()

    return await asyncio.start_server(send, "127.0.0.1", port)


async def _raw_count(settings: Settings) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topic = settings.topic("ais-raw")
    consumer = AIOKafkaConsumer(**client_options(settings))
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        ends = await consumer.end_offsets(tps)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


async def _measure(settings: Settings, lines: list[bytes], timeout_s: float) -> dict[str, float]:
    await ensure_topics(settings)
    port = free_port()
    first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    done = asyncio.Event()
    server = await _serve(lines, port, first, done)
    env = env_for(settings) | {"SHIPWATCH_FEED_METRICS_PORT": "0", "SHIPWATCH_LOG_LEVEL": "warning"}
    feed = subprocess.Popen(
        [sys.executable, "-m", "shipwatch", "feed", f"tcp://127.0.0.1:{port}"], env=env
    )
    try:
        started = await asyncio.wait_for(first, 60)
        deadline = started + timeout_s
        count = 0
        while time.perf_counter() < deadline:
            count = await _raw_count(settings)
            if count >= len(lines):
                break
            await asyncio.sleep(0.2)
        took = time.perf_counter() - started
        cpu = cpu_seconds(feed.pid)
    finally:
        feed.send_signal(signal.SIGTERM)
        feed.wait(60)
        done.set()
        server.close()
        await server.wait_closed()
    return {
        "sentences": len(lines),
        "published": count,
        "seconds": took,
        "per_s": count / took,
        "feed_cpu_s": cpu,
        "cpu_us_per_sentence": cpu / max(count, 1) * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the feed line and print it; JSON in bench/out/feed.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    lines = sentences(args.lines)
    home = Path(tempfile.mkdtemp(prefix="shipwatch-bench-feed-"))
    with private_broker(home / "broker") as (bootstrap, _pid):
        settings = Settings(kafka_bootstrap=bootstrap, namespace=f"benchfeed{os.getpid()}")
        result = asyncio.run(_measure(settings, lines, args.timeout))
    verdict = "meets" if result["per_s"] >= TARGET_PER_S else "MISSES"
    print(
        f"feed: {result['published']:,} of {result['sentences']:,} sentences in "
        f"{result['seconds']:.1f} s = {result['per_s']:,.0f}/s ({verdict} the target of "
        f"{TARGET_PER_S:,}/s); the feed process {result['cpu_us_per_sentence']:.1f} us CPU a "
        "sentence"
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "feed.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["published"] >= result["sentences"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
