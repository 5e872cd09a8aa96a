"""Identity status files: strict CSV, every bad row named by file and line; zombie positions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shipwatch.errors import ShipwatchError
from shipwatch.integrity.status_files import (
    DAY_S,
    IdentityStatus,
    StatusFileError,
    load_statuses,
    merge,
    parse_statuses,
    zombie,
)

GOOD = """\
# scrapped and lost ships, from the casualty returns
imo,status,date,name,source
9074729,scrapped,2019-06-30,SAMPLE TANKER,demolition returns 2019

IMO 8916293, Lost ,2021-02-01,,
1000019,broken up,2020-01-15,OLD BULKER,
"""


def epoch(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def test_a_good_file() -> None:
    rows = dict(parse_statuses(GOOD, "/lists/casualties.csv"))
    assert rows == {
        9074729: IdentityStatus(
            "scrapped",
            "2019-06-30",
            epoch("2019-06-30"),
            "demolition returns 2019",
            "SAMPLE TANKER",
        ),
        8916293: IdentityStatus("lost", "2021-02-01", epoch("2021-02-01"), "casualties.csv"),
        1000019: IdentityStatus(
            "broken_up", "2020-01-15", epoch("2020-01-15"), "casualties.csv", "OLD BULKER"
        ),
    }
    assert rows[9074729].evidence() == {
        "status": "scrapped",
        "date": "2019-06-30",
        "source": "demolition returns 2019",
    }


def test_columns_in_any_order_and_only_the_three_required() -> None:
    rows = parse_statuses("Date,IMO,Status\n2022-03-04,9074729,MISSING\n", "m.csv")
    assert rows == [
        (9074729, IdentityStatus("missing", "2022-03-04", epoch("2022-03-04"), "m.csv"))
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("imo,status,date\n907472,scrapped,2019-06-30\n", 2, "not a 7-digit IMO number"),
        ("imo,status,date\nnone,scrapped,2019-06-30\n", 2, "not a 7-digit IMO number"),
        ("imo,status,date\n\n9074728,scrapped,2019-06-30\n", 3, "fails its check digit"),
        ("imo,status,date\n9074729,sunk,2019-06-30\n", 2, "is not one of broken_up, lost"),
        ("imo,status,date\n9074729,scrapped,2019-13-01\n", 2, "is not a date as YYYY-MM-DD"),
        ("imo,status,date\n9074729,scrapped,30/06/2019\n", 2, "is not a date as YYYY-MM-DD"),
        ("imo,status,date\n9074729,scrapped,20190630\n", 2, "is not a date as YYYY-MM-DD"),
        ("imo,status,date\n9074729,scrapped,\n", 2, "is not a date as YYYY-MM-DD"),
        ("imo,status,date\n9074729,scrapped\n", 2, "2 columns where the header has 3"),
        ("imo,status,date\n9074729,scrapped,2019-06-30,x\n", 2, "4 columns where the header"),
        ("imo,status\n9074729,scrapped\n", 1, "the header must name imo, status and date"),
        ("imo,status,date,flag\n", 1, "it reads 'imo,status,date,flag'"),
        ("imo,status,date,date\n", 1, "each once"),
        ("9074729,scrapped,2019-06-30\n", 1, "the header must name"),
    ],
)
def test_every_bad_row_names_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(StatusFileError) as caught:
        parse_statuses(text, "/lists/bad.csv")
    assert str(caught.value).startswith(f"/lists/bad.csv:{line}: ")
    assert reason in str(caught.value)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_a_file_without_a_header_is_an_error(text: str) -> None:
    with pytest.raises(StatusFileError, match=r"^e\.csv: no header row"):
        parse_statuses(text, "e.csv")


def test_a_header_alone_is_an_empty_list() -> None:
    assert parse_statuses("imo,status,date\n", "h.csv") == []


def test_the_error_is_a_shipwatch_error() -> None:
    assert issubclass(StatusFileError, ShipwatchError)


def test_load_reads_every_file_and_the_earliest_date_wins(tmp_path: Path) -> None:
    first = tmp_path / "registry.csv"
    first.write_bytes(b"\xef\xbb\xbfimo,status,date\n9074729,lost,2021-01-01\n")  # with a BOM
    second = tmp_path / "returns.csv"
    second.write_text("imo,status,date\n9074729,scrapped,2019-06-30\n8916293,lost,2020-05-05\n")
    statuses = load_statuses([first, second])
    assert set(statuses) == {9074729, 8916293}
    assert (statuses[9074729].status, statuses[9074729].source) == ("scrapped", "returns.csv")
    with pytest.raises(TypeError):
        statuses[1000019] = statuses[9074729]  # type: ignore[index]


def test_on_equal_dates_the_first_given_wins() -> None:
    a = IdentityStatus("lost", "2020-01-01", epoch("2020-01-01"), "a")
    b = IdentityStatus("missing", "2020-01-01", epoch("2020-01-01"), "b")
    assert merge([(9074729, a), (9074729, b)])[9074729] is a


def test_load_of_no_files_is_empty() -> None:
    assert dict(load_statuses([])) == {}


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(StatusFileError, match=rf"^{missing}: cannot read identity status file"):
        load_statuses([missing])


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("imo,status,date,name\n9074729,lost,2020-01-01,SÃO\n".encode("latin-1"))
    with pytest.raises(StatusFileError, match=rf"^{latin}: not UTF-8 text"):
        load_statuses([latin])


def test_a_bad_row_in_a_loaded_file_names_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("imo,status,date\n9074729,scrapped,2019-06-30\n9074729,gone,2019-06-30\n")
    with pytest.raises(StatusFileError, match=rf"^{bad}:3: status 'gone' is not one of"):
        load_statuses([bad])


def test_a_position_after_the_date_is_a_zombie() -> None:
    statuses = merge(parse_statuses(GOOD, "c.csv"))
    scrapped = epoch("2019-06-30")
    assert zombie(statuses, 9074729, scrapped - 1) is None
    # On the day itself the ship may still sail to the beach where it is broken up.
    assert zombie(statuses, 9074729, scrapped + DAY_S - 1) is None
    found = zombie(statuses, 9074729, scrapped + DAY_S)
    assert found is not None and found.status == "scrapped"
    assert zombie(statuses, 9074729, epoch("2024-03-12")) is found


@pytest.mark.parametrize("imo", [None, 0, 9319466])
def test_no_imo_or_an_unlisted_one_is_no_zombie(imo: int | None) -> None:
    statuses = merge(parse_statuses(GOOD, "c.csv"))
    assert zombie(statuses, imo, epoch("2024-03-12")) is None
