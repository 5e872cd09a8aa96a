"""`shipwatch feed` end to end on the real broker: a recorded day of NMEA from two local
receivers, each cut once mid-line (one then refusing connections, the other resetting them),
reaches a running worker whole: every position once, and the alerts `detect` finds in the
recording, id for id."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from shipwatch.settings import Settings, env_for
from tests.fixtures.ais_input import sentences, tagged
from tests.fixtures.feed_servers import NmeaReplayServer
from tests.fixtures.kafka import alert_id, detect_alerts, read_topic, settle
from tests.fixtures.timeline import DPRK_TANKER, loading_then_delivery, voyage_statics

pytestmark = pytest.mark.integration
NAME, IMO = "CHON MA SAN 7", 8912345


def day_of_nmea(path: Path) -> tuple[list[bytes], int, int]:
    """The story as a receiver logs it: type 1 positions and 2-part type 5 reports, each
    message's first sentence behind a tag block with its time (so the stream and `detect`
    date it alike); returns the lines, the number of messages and of positions."""
    timed: list[tuple[float, list[str]]] = []
    for p in loading_then_delivery():
        message = {"type": 1, "mmsi": p.mmsi, "lat": p.lat, "lon": p.lon, "speed": p.sog or 0}
        timed.append((p.ts.timestamp(), [tagged(sentences(message)[0], p.ts.timestamp())]))
    for k, s in enumerate(voyage_statics(DPRK_TANKER, NAME, IMO)):
        when = datetime.fromisoformat(s["ts"].replace("Z", "+00:00")).timestamp()
        report = {
            "type": 5,
            "mmsi": DPRK_TANKER,
            "imo": IMO,
            "callsign": s["callsign"],
            "shipname": s["name"],
            "ship_type": 80,
            "to_bow": 50,
            "to_stern": 50,
            "to_port": 7,
            "to_starboard": 8,
            "draught": s["draught"],
            "destination": s["destination"],
        }
        first, second = sentences(report, channel="B", seq_id=k % 10)
        timed.append((when, [tagged(first, when), second]))
    timed.sort(key=lambda item: item[0])
    lines = [line.encode() for _, group in timed for line in group]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    positions = sum(1 for _, group in timed if len(group) == 1)
    return lines, len(timed), positions


async def _feed_through(settings: Settings, lines: list[bytes], log: Path) -> tuple[int, str]:
    # Receiver A is cut a third of the way in and refuses connections for a second; B, which
    # hears the same, is cut two thirds in and resets connections for a second.
    cut_a, cut_b = len(lines) // 3, 2 * len(lines) // 3
    async with (
        NmeaReplayServer(lines, cut_at=cut_a, refuse_s=1.0, refuse="close") as a,
        NmeaReplayServer(lines, cut_at=cut_b, refuse_s=1.0, refuse="reset") as b,
    ):
        env = env_for(settings) | {
            "SHIPWATCH_FEED_BACKOFF_CAP_S": "1",
            "SHIPWATCH_FEED_METRICS_PORT": "0",
        }
        with log.open("wb") as out:
            feed = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "shipwatch", "feed", a.url, b.url,
                env=env, stdout=asyncio.subprocess.PIPE, stderr=out,
            )  # fmt: skip
            try:
                # Both receivers send everything, whatever the cuts: then the feed is stopped
                # (SIGTERM publishes what it still holds).
                for _ in range(600):
                    if a.position == b.position == len(lines):
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(2)
            finally:
                feed.send_signal(signal.SIGTERM)
                stdout, _ = await asyncio.wait_for(feed.communicate(), 60)
        assert a.position == b.position == len(lines), "both receivers sent the whole day"
        assert a.cuts == 1 and b.cuts == 1, "each receiver cut its connection once"
        assert a.connections >= 2 and b.connections >= 2, "the feed came back to both"
        return feed.returncode or 0, stdout.decode()


def test_a_day_from_two_receivers_cut_mid_line_gives_detects_alerts_and_every_position_once(
    namespace_settings: Settings, worker_factory, tmp_path: Path
) -> None:
    recording = tmp_path / "day.nmea"
    lines, messages, positions = day_of_nmea(recording)
    expected = {a["alert_id"] for a in detect_alerts(recording, settings=namespace_settings)}
    assert len(expected) >= 3, "the story raises alerts for the stream to match"
    worker_factory()
    log = tmp_path / "feed.log"
    code, stdout = asyncio.run(_feed_through(namespace_settings, lines, log))
    assert code == 0, log.read_text()
    assert f"{len(lines)} messages published" in stdout, stdout + log.read_text()
    assert f"{messages} duplicates dropped" in stdout, stdout  # B's copy of every message
    alerts = settle(namespace_settings, "alerts", at_least=len(expected), key=alert_id, wait=120)
    assert {alert_id(v) for v in alerts} == expected
    published = [orjson.loads(v) for v in read_topic(namespace_settings, "positions", wait=5)]
    assert len(published) == positions, "every position once: none lost, none twice"
    assert len({(p["mmsi"], p["ts"]) for p in published}) == positions
