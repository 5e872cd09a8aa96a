"""One error root: every package's error is a ShipwatchError, which the CLI reports as one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from alerts.routes import RouteError
from alerts.sanctions import SanctionsError
from alerts.watchlist import WatchlistError
from geofences.errors import GeofenceError
from shipwatch.ais.errors import AisError, BadColumns, Rejected, UnknownFormat
from shipwatch.broker.errors import BrokerError, MissingToolError, NotLocalError
from shipwatch.cli import geofences
from shipwatch.cli import main as cli
from shipwatch.errors import ShipwatchError
from shipwatch.history.errors import HistoryError
from shipwatch.history.export import NotInHistory, UnknownExportFormat
from shipwatch.pipeline.detector import DetectionError
from shipwatch.settings import get_settings
from shipwatch.triage.actions import ActionError
from shipwatch.triage.auth import Refused
from shipwatch.triage.errors import TriageError
from streams.bindings.webhook import WebhookConfigError
from streams.errors import KafkaUnavailable, StreamsError, TopicMismatch

ROOTS = (
    AisError,
    RouteError,
    WatchlistError,
    SanctionsError,
    GeofenceError,
    DetectionError,
    StreamsError,
    BrokerError,
    HistoryError,
    TriageError,
)
UNDER = {
    AisError: (Rejected, UnknownFormat, BadColumns),
    StreamsError: (KafkaUnavailable, TopicMismatch, WebhookConfigError),
    BrokerError: (MissingToolError, NotLocalError),
    HistoryError: (UnknownExportFormat, NotInHistory),
    TriageError: (ActionError, Refused),
}


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()  # read again from the (monkeypatched) environment
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("root", ROOTS, ids=lambda cls: cls.__name__)
def test_every_package_root_error_is_a_shipwatch_error(root: type[Exception]) -> None:
    assert issubclass(root, ShipwatchError)
    for error in UNDER.get(root, ()):
        assert issubclass(error, root), error


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_shipwatch_error_is_one_line_and_status_2(tmp_path: Path, capsys) -> None:
    assert cli.main(["geofences", "--geofences", str(tmp_path / "nowhere")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("shipwatch geofences: error: ")
    assert "nowhere" in line


def test_a_missing_file_is_one_line_naming_it(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing-file.csv"
    assert cli.main(["detect", str(missing)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == f"shipwatch detect: error: {missing}: No such file or directory"


def test_a_bad_setting_is_one_line_naming_its_variable(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SHIPWATCH_WEB_PORT", "-1")
    assert cli.main(["geofences"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("shipwatch geofences: error: SHIPWATCH_WEB_PORT: ")
    assert "'-1'" in line


def test_each_bad_setting_has_its_own_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SHIPWATCH_PARTITIONS", "many")
    monkeypatch.setenv("SHIPWATCH_CAP_SHARES", "half")  # a tuple: JSON expected
    assert cli.main(["geofences"]) == 2
    assert "SHIPWATCH_CAP_SHARES: not valid JSON" in _one_line(capsys.readouterr().err)
    monkeypatch.delenv("SHIPWATCH_CAP_SHARES")
    monkeypatch.setenv("SHIPWATCH_NAMESPACE", "a/b")
    assert cli.main(["geofences"]) == 2
    lines = capsys.readouterr().err.splitlines()
    named = [line.removeprefix("shipwatch geofences: error: ").split(":")[0] for line in lines]
    assert named == ["SHIPWATCH_NAMESPACE", "SHIPWATCH_PARTITIONS"]


def test_an_unexpected_exception_is_a_bug_with_its_traceback(monkeypatch) -> None:
    def broken(args: object) -> int:
        return 1 // 0

    monkeypatch.setattr(geofences, "run", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["geofences"])


def test_a_records_validation_error_is_a_bug_too(monkeypatch) -> None:
    class Record(BaseModel):
        mmsi: int

    def broken(args: object) -> int:
        Record.model_validate({"mmsi": "x"})
        return 0

    monkeypatch.setattr(geofences, "run", broken)
    with pytest.raises(ValidationError):
        cli.main(["geofences"])


def test_ctrl_c_is_status_130(monkeypatch) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(geofences, "run", interrupted)
    assert cli.main(["geofences"]) == 130
