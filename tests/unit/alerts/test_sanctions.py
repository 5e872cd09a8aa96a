"""Sanctions lists as watchlists: the UN consolidated list and OFAC's SDN list (XML and CSV)
read into entries, matched by IMO and name, and the entries in the alerts' evidence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from alerts.context import RuleContext
from alerts.evaluate import evaluate
from alerts.sanctions import OFAC, UN, SanctionedVessel, imos_in, parse
from alerts.watchlist import Watchlist, WatchlistError, load, load_sanctions
from shipwatch.ais.records import Static
from shipwatch.cli.main import main
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import BUNDLED_GEOFENCES, Settings, get_settings
from tests.fixtures.timeline import (
    DPRK_TANKER,
    RUSSIAN_TANKER,
    loading_then_delivery,
)
from tests.fixtures.timeline import port_call_event as port_call

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "sanctions"
UN_XML, SDN_XML, SDN_CSV = DATA / "un_consolidated.xml", DATA / "sdn.xml", DATA / "sdn.csv"
ROLES = {"vostochny": "loading", "chongjin": "discharge"}


def read(path: Path) -> list[SanctionedVessel]:
    return parse(path.read_bytes(), path.name)


def sanctioned(*paths: Path) -> Watchlist:
    watchlist = Watchlist()
    watchlist.add_sanctions(load_sanctions(paths or (UN_XML, SDN_XML, SDN_CSV)))
    return watchlist


# ---------------------------------------------------------------- parsing


def test_the_un_list_gives_its_vessels_not_its_people_or_companies():
    entries = read(UN_XML)
    assert [(e.imo, e.name, e.reference) for e in entries] == [
        (8606173, "Chol Ryong", "KPe.020"),  # a fleet enumerated in OMM's entry
        (8909575, "Chong Bong", "KPe.020"),
        (8916293, "Chong Rim 2", "KPe.020"),
        (8604917, "YU JONG 2", "KPe.071"),  # an entity that is a tanker: "IMO: 8604917"
    ]
    chong_bong, tanker = entries[1], entries[3]
    assert chong_bong.aliases == ("Greenlight", "Blue Nouvelle")
    assert chong_bong.via == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert (tanker.list, tanker.programme, tanker.listed_on) == (UN, "DPRK", "2018-03-30")
    assert tanker.aliases == ("YU-JONG NO.2",) and tanker.via is None


def test_the_sdn_xml_gives_its_vessels_with_their_programmes():
    entries = read(SDN_XML)
    assert [(e.imo, e.name, e.programme, e.reference) for e in entries] == [
        (8660313, "CHON MA SAN", "DPRK3, DPRK4", "23474"),  # from the id, not the MMSI id
        (9562233, "PETREL 8", "DPRK4", "23481"),  # "IMO No. 9562233" in the remarks
    ]  # the shipping company's "Company Number IMO" is no vessel
    assert entries[0].list == OFAC and entries[1].aliases == ("PETREL EIGHT",)


def test_the_sdn_csv_gives_its_vessels_one_without_an_imo_by_name():
    entries = read(SDN_CSV)
    assert [(e.imo, e.name, e.programme, e.reference) for e in entries] == [
        (8604917, "YU JONG 2", "DPRK3, DPRK4", "22958"),
        (8705539, "KUM UN SAN 3", "DPRK2", "22960"),
        (None, "SAM MA 2", "DPRK", "22961"),
    ]


def test_the_format_is_told_by_the_content_and_a_csv_header_is_skipped():
    assert read(SDN_XML) == parse(SDN_XML.read_bytes(), "download")
    header = b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,"
    header += b"Vess_flag,Vess_owner,Remarks\n"
    assert parse(header + SDN_CSV.read_bytes(), "sdn.csv") == read(SDN_CSV)


@pytest.mark.parametrize(
    ("text", "imos"),
    [
        ("IMO 8916293", [8916293]),
        ("IMO: 8916293", [8916293]),
        ("IMO No. 8916293", [8916293]),
        ("Vessel Registration Identification IMO number 8916293;", [8916293]),
        ("(IMO8916293) and imo 8606173, IMO 8916293 again", [8916293, 8606173]),
        ("8916293", []),  # a bare number is no IMO number
        ("Passport 8916293", []),
        ("IMO 89162931", []),  # eight digits
        ("MIMO 8916293", []),
    ],
)
def test_imo_numbers_in_text(text: str, imos: list[int]):
    assert imos_in(text) == imos


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("un.xml", UN_XML.read_bytes()[:1500], "not well-formed XML"),
        ("list.xml", b"<export><sanctionEntity/></export>", "its root is <export>"),
        ("sdn.csv", b'1,"A","vessel","DPRK"\n', "line 1 has 4 columns, not 12"),
        ("sdn.csv", b"x" + SDN_CSV.read_bytes(), "ent_num 'x22958' is not a number"),
        ("sdn.csv", b"\n  \n", "the file is empty"),
        ("sdnlist.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not OFAC's sdn.csv"),
        (
            "bomb.xml",
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><sdnList>&a;</sdnList>',
            "DOCTYPE is not accepted",
        ),
    ],
)
def test_a_bad_file_is_one_clear_error_naming_it(
    tmp_path: Path, name: str, content: bytes, problem: str
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WatchlistError) as raised:
        load_sanctions([SDN_XML, path])
    message = str(raised.value)
    assert message.startswith(f"{path}: not a usable sanctions list: ")
    assert problem in message and "\n" not in message


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path):
    with pytest.raises(WatchlistError, match=r"nope\.xml: cannot read sanctions list"):
        load_sanctions([tmp_path / "nope.xml"])


# ---------------------------------------------------------------- matching


def test_entries_match_by_imo_and_by_name_or_alias_normalized():
    wl = sanctioned()
    assert wl.reason(RUSSIAN_TANKER, imo=8660313) == "sanctions:imo"
    assert wl.reason(RUSSIAN_TANKER, name="chon  ma-san") == "sanctions:name"
    assert wl.reason(RUSSIAN_TANKER, name="YU JONG NO 2") == "sanctions:name"  # the UN alias
    assert wl.reason(RUSSIAN_TANKER, name="Blue Nouvelle") == "sanctions:name"
    assert wl.reason(RUSSIAN_TANKER, name="SAM MA 2") == "sanctions:name"  # listed without IMO
    assert wl.reason(RUSSIAN_TANKER, imo=8660314, name="CHON MA SAN 2") is None
    assert wl.reason(RUSSIAN_TANKER, name="KOREA MINING DEVELOPMENT TRADING CORPORATION") is None
    assert wl.reason(DPRK_TANKER, imo=8660313) == "flag:KP"
    assert wl.watches(RUSSIAN_TANKER, 8916293) and not wl.watches(RUSSIAN_TANKER, 9000001)


def test_a_long_listed_name_matches_as_ais_cuts_it_to_20_characters():
    wl = Watchlist()
    wl.add_sanctions([SanctionedVessel(None, "NEW REGENT STAR OCEAN 88", OFAC, "DPRK", "1")])
    assert wl.reason(RUSSIAN_TANKER, name="NEW REGENT STAR OCEA") == "sanctions:name"


def test_a_vessel_on_two_lists_has_both_entries_the_imo_match_first():
    wl = sanctioned()
    found = wl.sanctions(8604917, "YU-JONG NO.2")
    assert [(f["list"], f["reference"], f["matched_by"]) for f in found] == [
        (UN, "KPe.071", "imo"),
        (OFAC, "22958", "imo"),
    ]
    assert [f["matched_by"] for f in wl.sanctions(None, "YU JONG 2")] == ["name", "name"]


def test_the_hand_edited_list_comes_first_and_its_reload_keeps_the_sanctions(tmp_path: Path):
    path = tmp_path / "watch.txt"
    path.write_text("imo 8660313\n")
    wl = load(path)
    wl.add_sanctions(read(SDN_XML))
    assert wl.reason(RUSSIAN_TANKER, imo=8660313) == "list:imo"
    path.write_text("mmsi 273000001\n")
    wl.mtime = 0.0
    assert wl.reload_if_changed()
    assert wl.reason(RUSSIAN_TANKER, imo=8660313) == "sanctions:imo"


# ---------------------------------------------------------------- alerts


def test_an_alert_carries_the_sanctions_entry_and_keeps_its_id():
    ctx = RuleContext(fence_roles=ROLES, watchlist=sanctioned(SDN_XML))
    [alert] = evaluate(port_call(imo=8660313, name="CHON MA SAN"), ctx)
    assert alert.kind == "watchlist_port_call" and alert.evidence["watched"] == "sanctions:imo"
    assert alert.evidence["sanctions"] == [
        {
            "list": "OFAC SDN",
            "programme": "DPRK3, DPRK4",
            "reference": "23474",
            "name": "CHON MA SAN",
            "imo": 8660313,
            "listed_on": None,
            "via": None,
            "matched_by": "imo",
        }
    ]
    by_hand = Watchlist(imos={8660313})
    [same] = evaluate(port_call(imo=8660313), RuleContext(fence_roles=ROLES, watchlist=by_hand))
    assert same.alert_id == alert.alert_id and "sanctions" not in same.evidence


def test_a_dprk_vessel_stays_watched_by_its_flag_with_its_un_entry_in_evidence():
    ctx = RuleContext(fence_roles=ROLES, watchlist=sanctioned(UN_XML))
    voyage = {
        "kind": "voyage",
        "mmsi": DPRK_TANKER,
        "imo": 8916293,
        "origin": "vostochny",
        "destination": "chongjin",
        "origin_arrived_at": "2024-03-07T01:00:00Z",
        "departed_at": "2024-03-07T08:00:00Z",
        "arrived_at": "2024-03-08T01:00:00Z",
        "transit_s": 60_000,
    }
    [alert] = evaluate(voyage, ctx)
    assert alert.evidence["watched"] == "flag:KP"
    [entry] = alert.evidence["sanctions"]
    assert (entry["list"], entry["reference"], entry["name"]) == (UN, "KPe.020", "Chong Rim 2")


def test_a_renamed_vessel_is_matched_by_the_name_it_had():
    ctx = RuleContext(fence_roles=ROLES, watchlist=sanctioned(SDN_CSV))
    change = {
        "kind": "identity_change",
        "mmsi": RUSSIAN_TANKER,
        "name": "OCEAN BREEZE",
        "field": "name",
        "old": "SAM MA 2",
        "new": "OCEAN BREEZE",
        "at": "2024-03-07T01:00:00Z",
    }
    [alert] = evaluate(change, ctx)
    assert alert.evidence["watched"] == "sanctions:name"
    assert [e["reference"] for e in alert.evidence["sanctions"]] == ["22961"]


def test_vessels_on_no_list_raise_nothing_and_carry_no_sanctions():
    ctx = RuleContext(fence_roles=ROLES, watchlist=sanctioned())
    assert evaluate(port_call(imo=9000001, name="SEA STAR"), ctx) == []
    voyage_alerts = evaluate(
        {**port_call(), "kind": "voyage", "origin": "vostochny", "destination": "chongjin"}
        | {"origin_arrived_at": "2024-03-06T01:00:00Z", "transit_s": 60_000},
        ctx,
    )
    assert [a.kind for a in voyage_alerts] == ["sanctioned_voyage"]
    assert "sanctions" not in voyage_alerts[0].evidence


# ---------------------------------------------------------------- settings and CLI


def test_the_setting_names_the_files_comma_separated():
    settings = Settings(sanctions_files=f" {UN_XML}, {SDN_CSV} ,")
    _, ctx = build_core(BUNDLED_GEOFENCES, settings)
    assert ctx.watchlist.reason(RUSSIAN_TANKER, imo=8916293) == "sanctions:imo"
    assert len(ctx.watchlist.sanctions(8604917)) == 2


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_detect_takes_the_lists_from_the_environment(settings_env, tmp_path: Path, capsys):
    fixes = loading_then_delivery(RUSSIAN_TANKER)
    static = Static(mmsi=RUSSIAN_TANKER, ts=fixes[0].ts, imo=8660313, name="CHON MA SAN")
    story = tmp_path / "story.jsonl"
    story.write_bytes(
        b"\n".join(orjson.dumps(r.model_dump(mode="json")) for r in [static, *fixes]) + b"\n"
    )
    settings_env.setenv("SHIPWATCH_SANCTIONS_FILES", str(SDN_XML))
    assert main(["detect", str(story)]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    calls = [a for a in alerts if a["kind"] == "watchlist_port_call"]
    assert calls and all(a["evidence"]["sanctions"][0]["reference"] == "23474" for a in calls)


def test_detect_stops_at_a_bad_list_with_one_line(settings_env, tmp_path: Path, capsys):
    bad = tmp_path / "consolidated.xml"
    bad.write_bytes(UN_XML.read_bytes()[:800])
    settings_env.setenv("SHIPWATCH_SANCTIONS_FILES", str(bad))
    assert main(["detect", str(UN_XML)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"shipwatch detect: error: {bad}: not a usable sanctions list: not well")
    assert err.count("\n") == 1
