"""A retraction (same alert id, status retracted) reaches live viewers; a plain repeat does not."""

from __future__ import annotations

from shipwatch.web.live_feed import AlertFeed

ALERT = {
    "alert_id": "ais_gap-445000001-abc",
    "kind": "ais_gap",
    "severity": "warning",
    "mmsi": 445000001,
    "status": "active",
    "evidence": {},
}


def test_a_retraction_is_pushed_and_a_repeat_is_not():
    feed = AlertFeed()
    queue = feed.subscribe()
    feed.add(ALERT)
    feed.add(ALERT)  # at-least-once repeat
    feed.add(ALERT | {"status": "retracted"})
    pushed = []
    while not queue.empty():
        pushed.append(queue.get_nowait())
    assert [p["status"] for p in pushed] == ["active", "retracted"]
    assert [a["status"] for a in feed.recent()] == ["retracted"]


def test_a_correction_with_other_evidence_is_pushed_and_replaces_the_old():
    """The cap stage re-issues a share's alert with corrected evidence after late data."""
    feed = AlertFeed()
    queue = feed.subscribe()
    feed.add(ALERT | {"evidence": {"crossed_by": "A"}})
    feed.add(ALERT | {"evidence": {"crossed_by": "B"}})
    feed.add(ALERT | {"evidence": {"crossed_by": "B"}})  # a repeat of the correction
    pushed = []
    while not queue.empty():
        pushed.append(queue.get_nowait())
    assert [p["evidence"]["crossed_by"] for p in pushed] == ["A", "B"]
    assert [a["evidence"]["crossed_by"] for a in feed.recent()] == ["B"]
