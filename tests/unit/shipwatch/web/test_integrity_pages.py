"""The integrity findings on the pages (issue 22): the vessel page's timeline words for each kind
(run in Node, the browser's language without a browser), where they are marked, that the
history hands them to the page, and that both pages are wired to show them."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from shipwatch.history.records import Batch
from shipwatch.history.store import HistoryStore
from shipwatch.integrity.identifiers import imo_check_digit, mid_of
from shipwatch.web.history import vesseljson_response

ROOT = Path(__file__).resolve().parents[4]
STATIC = ROOT / "shipwatch" / "web" / "static"
KINDS = ("identity_conflict", "invalid_identity", "identity_swap", "position_tampering")
EVENTS = (*KINDS, "gnss_interference")

WATCHED = 445_123_456  # a DPRK-flagged tanker: watched
OTHER = 412_000_001
NEW = 412_999_888

CONFLICT = {
    "kind": "identity_conflict",
    "mmsi": OTHER,  # the lower MMSI
    "other_mmsi": WATCHED,
    "by": "imo",
    "imo": 9_074_729,
    "name": "SEA STAR",
    "other_name": "PAEKMA 7",
    "at": "2024-03-10T10:00:00Z",
    "fix": {"at": "2024-03-10T08:00:00Z", "lat": 31.2, "lon": 121.5},
    "other_fix": {"at": "2024-03-10T10:00:00Z", "lat": 42.75, "lon": 133.05},
    "distance_km": 1234.4,
    "hours_apart": 2.0,
    "implied_kn": 333.3,
    "port": None,
    "other_port": "vostochny",
}
CHECK_DIGIT = {
    "kind": "invalid_identity",
    "mmsi": WATCHED,
    "reason": "imo_check_digit",
    "imo": 9_123_458,
    "name": "PAEKMA 7",
    "at": "2024-03-10T08:00:00Z",
    "lat": 42.7,
    "lon": 133.0,
    "port": "vostochny",
}
BAD_MID = {**CHECK_DIGIT, "reason": "mid", "mmsi": 111_999_123, "imo": None}
ZOMBIE = {
    **CHECK_DIGIT,
    "reason": "zombie",
    "imo": 8_604_917,
    "status": {"status": "scrapped", "date": "2017-05-02", "source": "scrapped.csv"},
}
SWAP = {
    "kind": "identity_swap",
    "mmsi": WATCHED,
    "name": "PAEKMA 7",
    "imo": 9_074_729,
    "silent_since": "2024-03-10T02:00:00Z",
    "last_lat": 42.5,
    "last_lon": 132.8,
    "ship_type": 80,
    "length": 105,
    "beam": 16,
    "at": "2024-03-10T08:00:00Z",
    "candidates": [NEW],
    "candidate_details": [
        {
            "mmsi": NEW,
            "first_seen_at": "2024-03-10T08:00:00Z",
            "lat": 42.6,
            "lon": 133.2,
            "distance_km": 35.2,
            "ship_type": 80,
            "length": 104,
            "beam": 16,
        }
    ],
    "port": None,
}
ON_LAND = {
    "kind": "position_tampering",
    "mmsi": WATCHED,
    "reason": "on_land",
    "at": "2024-03-10T12:00:00Z",
    "lat": 42.9,
    "lon": 133.2,
    "fixes": 3,
    "inland_m": 2400,
    "port": None,
}
JUMPS = {
    **ON_LAND,
    "reason": "jumps",
    "jumps": [
        {"at": "2024-03-10T12:00:00Z", "lat": 41.0, "lon": 131.0, "jump_km": 120.0},
        {"at": "2024-03-10T13:00:00Z", "lat": 40.0, "lon": 130.0, "jump_km": 412.6},
        {"at": "2024-03-10T14:00:00Z", "lat": 41.5, "lon": 131.5, "jump_km": 80.0},
    ],
    "window_h": 6,
}
NOT_SEEN = {
    **ON_LAND,
    "reason": "not_in_imagery",
    "scene_id": "S1A-20240312-0007",
    "scene_source": "sentinel-1",
    "inside_m": 1100,
    "length": 105,
    "sightings_elsewhere": [
        {"sighting_id": "s-2", "lat": 42.8, "lon": 133.4, "distance_km": 30.0},
        {"sighting_id": "s-1", "lat": 42.7, "lon": 133.3, "distance_km": 14.2},
    ],
}
JAMMED = {
    "kind": "gnss_interference",
    "mmsi": WATCHED,
    "at": "2024-03-10T12:00:00Z",
    "lat": 40.0,
    "lon": 129.0,
    "vessels": [WATCHED, OTHER, NEW],
}


# ---------------------------------------------------------------- the words, in Node

RUNNER = """
import * as I from "./integrity.js";
const cases = JSON.parse(process.argv[2]);
const out = cases.map(([fn, args]) => {
  const value = I[fn](...args);
  return value === undefined ? null : value;
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def js(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Call integrity.js's exports in Node: js(("fn", [args...]), ...) -> their results."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not installed: scripts/system-deps.sh installs Debian's nodejs")
    folder = tmp_path_factory.mktemp("static")
    for name in ("integrity.js", "format.js", "dom.js"):
        shutil.copy(STATIC / name, folder / name)
    (folder / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (folder / "run.js").write_text(RUNNER, encoding="utf-8")

    def call(*cases: tuple[str, list[Any]]) -> list[Any]:
        result = subprocess.run(
            [node, "run.js", json.dumps(cases)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout))

    return call


def text(js: Any, record: dict[str, Any], page: int | str = WATCHED) -> str:
    [words] = js(("integrityText", [record, str(page)]))
    return str(words)


def test_a_shared_identity_names_the_other_vessel_from_either_side(js: Any) -> None:
    # On the watched vessel's page (the record's other side: its fix is at Vostochny) and on
    # the other vessel's own (far from any watched port).
    assert text(js, CONFLICT) == (
        "Shares IMO 9074729 with 412000001 (SEA STAR): 1,234 km apart in 2 h, 333 kn needed;"
        " near vostochny"
    )
    assert text(js, CONFLICT, OTHER) == (
        "Shares IMO 9074729 with 445123456 (PAEKMA 7): 1,234 km apart in 2 h, 333 kn needed"
    )
    by_name = {**CONFLICT, "by": "name", "imo": None, "other_name": "SEA STAR"}
    assert text(js, by_name, OTHER).startswith("Shares name SEA STAR and size with 445123456")


def test_an_invalid_identity_says_what_is_wrong(js: Any) -> None:
    assert (
        text(js, CHECK_DIGIT)
        == "IMO 9123458 fails its check digit (its first six digits give 3, not 8)"
    )
    assert text(js, BAD_MID, 111_999_123) == "MMSI 111999123 names no country (MID 999)"
    assert text(js, ZOMBIE) == "Uses IMO 8604917 of a ship scrapped on 2017-05-02 (scrapped.csv)"


def test_a_swap_names_the_new_identities_and_the_new_one_the_silent_vessel(js: Any) -> None:
    assert text(js, SWAP) == (
        "Went silent at sea; a new identity of its type and size appeared 35 km from its last"
        " fix: 412999888"
    )
    assert text(js, SWAP, NEW) == (
        "New identity, possibly 445123456 (PAEKMA 7), silent since 2024-03-10 02:00 and last"
        " seen 35 km away"
    )


def test_false_positions_say_how_far_and_what_saw_it(js: Any) -> None:
    assert text(js, ON_LAND) == "Position on land (3 fixes, 2.4 km inland)"
    assert text(js, JUMPS) == "3 impossible jumps in 6 h (up to 413 km)"
    assert text(js, NOT_SEEN) == (
        "Not in satellite scene S1A-20240312-0007 (sentinel-1): no ship seen at its AIS"
        " position, 1.1 km inside the scene; 2 unidentified ships seen elsewhere in it, the"
        " nearest 14 km away"
    )
    words = text(js, JAMMED)
    assert "2 other vessels nearby (412000001, 412999888)" in words
    assert "GNSS interference" in words and "no alert" in words


def test_a_record_with_nothing_but_its_kind_still_reads(js: Any) -> None:
    # Feeds are untrusted and evidence may lack a field: words, never "undefined" or "NaN".
    for kind in EVENTS:
        for reason in ("", "on_land", "jumps", "not_in_imagery", "zombie", "mid"):
            words = text(js, {"kind": kind, "reason": reason or None, "jumps": "x"})
            assert words and "undefined" not in words and "NaN" not in words, (kind, reason)
            assert "null" not in words and "[object" not in words, (kind, reason)


def test_each_finding_is_placed_where_the_vessel_said_it_was(js: Any) -> None:
    positions = js(
        *[
            ("integrityPosition", [record, str(page)])
            for record, page in (
                (CONFLICT, WATCHED),  # the watched vessel's own fix: other_fix
                (CONFLICT, OTHER),
                (CHECK_DIGIT, WATCHED),
                (SWAP, WATCHED),  # its last fix before the silence
                (ON_LAND, WATCHED),
                (NOT_SEEN, WATCHED),
                ({"kind": "identity_conflict", "by": "name"}, WATCHED),  # nowhere
            )
        ]
    )
    assert positions == [
        [42.75, 133.05],
        [31.2, 121.5],
        [42.7, 133.0],
        [42.5, 132.8],
        [42.9, 133.2],
        [42.9, 133.2],
        None,
    ]
    [places] = js(("integrityPlaces", [NOT_SEEN, str(WATCHED)]))
    assert [p["role"] for p in places] == ["self", "other", "other"]
    [places] = js(("integrityPlaces", [JUMPS, str(WATCHED)]))
    assert [p["role"] for p in places] == ["self", "jump", "jump", "jump"]


def test_an_alert_is_read_as_the_event_it_was_raised_on(js: Any) -> None:
    alert = {
        "alert_id": "identity_swap-1",
        "kind": "identity_swap",
        "severity": "critical",
        "mmsi": WATCHED,
        "port": None,
        "evidence": {k: v for k, v in SWAP.items() if k not in {"kind", "mmsi"}},
    }
    [record] = js(("asRecord", [alert]))
    assert record["kind"] == "identity_swap" and record["mmsi"] == WATCHED
    assert text(js, record) == text(js, SWAP)
    [others] = js(("otherVessels", [record, ""]))
    assert others == [str(NEW)]


def _check_digit(imo: int) -> int:
    digits = f"{imo:07d}"
    return sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10


def test_the_check_digit_is_the_imo_rule(js: Any) -> None:
    # The pages' words say which digit was expected: the same rule as the detection's.
    rng = random.Random(22)
    numbers = [9_074_729, 8_604_917, 9_123_458, 1_000_000] + [
        rng.randrange(1_000_000, 10_000_000) for _ in range(300)
    ]
    found = js(*[("imoCheckDigit", [n]) for n in numbers])
    assert found == [_check_digit(n) for n in numbers]
    assert found == [imo_check_digit(n // 10) for n in numbers]  # the detection's own
    assert _check_digit(9_074_729) == 9  # a real ship's IMO number passes
    assert js(("imoCheckDigit", ["12345"]), ("imoCheckDigit", [None])) == [None, None]


def test_the_country_digits_of_an_mmsi_follow_itu(js: Any) -> None:
    # ITU-R M.585, as shipwatch/integrity/identifiers.py reads it: where the MID sits after each
    # prefix; a distress device (97x) and the layouts M.585 gives no MID carry none.
    samples = {
        "445123456": "445",  # a ship
        "004451234": "445",  # a coast station
        "044512345": "445",  # a group of ships
        "111445123": "445",  # a SAR aircraft
        "984451234": "445",  # a craft with a ship
        "994451234": "445",  # an aid to navigation
        "844512345": "445",  # a handheld VHF
        "970123456": "",  # an AIS-SART: a maker's code, no MID
        "123456789": "",  # a shared default: no layout has a MID there
        "912345678": "",
    }
    found = js(*[("midOf", [m]) for m in samples])
    assert found == list(samples.values())
    # The same digits as the detection's reading, on every layout.
    rng = random.Random(585)
    mmsis = [rng.randrange(10**d, 10 ** (d + 1)) for d in range(6, 9) for _ in range(100)]
    mmsis += [int(p + "445" + "1" * (6 - len(p))) for p in ("00", "0", "111", "98", "99", "8")]
    found = js(*[("midOf", [m]) for m in mmsis])
    assert found == [mid_of(m) or "" for m in mmsis]


# ---------------------------------------------------------------- from the history to the page


def _batch(topic: str, records: list[dict[str, Any]]) -> Batch:
    out = Batch()
    for record in records:
        out.add(topic, orjson.dumps(record))
    return out


def test_the_history_hands_integrity_events_and_alerts_to_the_vessel_page(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    try:
        batch = Batch()  # a fix: the vessel is known to the store
        batch.fixes.append((WATCHED, 1_710_032_400.0, 42.5, 132.8, None, None, None))
        store.write(batch)
        events = [CHECK_DIGIT, ZOMBIE, SWAP, ON_LAND, JUMPS, NOT_SEEN, JAMMED]
        store.write(_batch("voyage-events", events))
        swap_alert = {
            "alert_id": "identity_swap-abc",
            "kind": "identity_swap",
            "severity": "critical",
            "mmsi": WATCHED,
            "at": SWAP["at"],
            "title": "PAEKMA 7 went silent; a new identity of its size appeared",
            "port": None,
            "route": None,
            "evidence": {"candidates": [NEW], "candidate_details": SWAP["candidate_details"]},
        }
        store.write(_batch("alerts", [swap_alert]))
        history = store.vessel(WATCHED)
        assert history is not None
        page = vesseljson_response(history)
        shown = [(e["source"], e["kind"]) for e in page["timeline"]]
        for record in events:
            assert ("event", record["kind"]) in shown, record
        assert shown.count(("event", "invalid_identity")) == 2  # two reasons, two entries
        assert shown.count(("event", "position_tampering")) == 3
        assert ("alert", "identity_swap") in shown
        # The swap's new identity sees the alert on its own page (its evidence names it).
        candidate = store.vessel(NEW)
        assert candidate is not None
        assert [e.kind for e in candidate.timeline if e.source == "alert"] == ["identity_swap"]
    finally:
        store.close()


# ---------------------------------------------------------------- the pages are wired to them


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_the_scripts_know_the_contracts_kinds() -> None:
    script = _static("integrity.js")
    kinds = re.search(r"INTEGRITY_KINDS = \[(.*?)\];", script, re.S)
    assert kinds and re.findall(r'"(\w+)"', kinds.group(1)) == list(KINDS)
    assert '"gnss_interference"' in script


def test_the_vessel_page_words_and_files_every_integrity_kind() -> None:
    script = _static("vessel.js")
    for kind in EVENTS:
        assert f'case "{kind}":' in script, kind
        assert re.search(rf"\b{kind}: \"integrity\"", script), kind
    assert "integrityText(r, mmsi)" in script  # as seen from this vessel's side
    assert "markIntegrity(entry, d, go)" in script
    html = _static("vessel.html")
    assert '<option value="integrity">' in html
    assert 'class="key integrity"' in html


def test_the_live_page_maps_integrity_alerts_apart_from_the_sea() -> None:
    html = _static("index.html")
    for needed in ('id="integrity"', 'id="integrity-empty"', 'class="mark tampered"'):
        assert needed in html, needed
    maps = _static("live/maps.js")
    assert "drawIntegrityMap(shownOf(integrity))" in maps
    sea = _static("live/sea-map.js")
    assert 'hostId: "integrity"' in sea and 'hostId: "sea"' in sea
    ports = _static("live/port-maps.js")
    assert "integrityAlertMark" in ports
    # Their marks are their own: never counted among the at-sea marks.
    marks = _static("integrity.js")
    assert "integrity-mark" in marks and "sea-mark" not in marks
    assert "svg .integrity-mark" in _static("map.css")  # both pages load it
