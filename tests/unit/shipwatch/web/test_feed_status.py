"""The live sources on the page: the newest status of each, how long it is silent, and whether
its feed still reports."""

from __future__ import annotations

from shipwatch.web.feed_status import STALE_S, FeedBoard
from shipwatch.web.pages import LiveViews

NOW = 1_765_000_000.0  # 2025-12-06T05:46:40Z


def status(source: str, at: str, last: str | None, **more: object) -> dict[str, object]:
    return {
        "source": source,
        "connected": True,
        "messages_per_s": 812.0,
        "last_message_at": last,
        "reconnects": 0,
        "clock_offset_s": None,
        "at": at,
    } | more


def test_each_source_shows_its_newest_status_and_how_long_it_has_been_silent() -> None:
    board = FeedBoard()
    board.add(status("roof", "2025-12-06T05:46:35.000Z", "2025-12-06T05:46:34.000Z"))
    board.add(status("roof", "2025-12-06T05:46:30.000Z", "2025-12-06T05:40:00.000Z"))  # older
    board.add(status("aisstream", "2025-12-06T05:46:38.000Z", "2025-12-06T05:42:40.000Z"))
    [aisstream, roof] = board.view(NOW)
    assert roof["silent_s"] == 6.0 and roof["messages_per_s"] == 812.0 and roof["reporting"]
    assert aisstream["silent_s"] == 240.0  # four minutes: the page says "silent for 4 min"


def test_a_source_whose_feed_stopped_reporting_says_so() -> None:
    board = FeedBoard()
    board.add(status("roof", "2025-12-06T05:45:00.000Z", None))
    [roof] = board.view(NOW)
    assert NOW - 100 < NOW - STALE_S and not roof["reporting"]
    assert roof["silent_s"] is None  # nothing received yet


def test_anything_that_is_not_a_status_is_ignored() -> None:
    board = FeedBoard()
    for junk in ({}, {"source": 3, "at": "2025-12-06T05:45:00Z"}, {"source": "x", "at": "soon"}):
        board.add(junk)
    assert board.view(NOW) == []


def test_the_worker_reads_the_feed_status_topic_into_the_page() -> None:
    from geofences.index import FenceIndex
    from geofences.loader import load_dir
    from shipwatch.settings import BUNDLED_GEOFENCES

    views = LiveViews(FenceIndex(load_dir(BUNDLED_GEOFENCES)))
    views.followers()["feed-status"](status("roof", "2025-12-06T05:46:35.000Z", None), None)
    assert [s["source"] for s in views.feeds.view(NOW)] == ["roof"]
