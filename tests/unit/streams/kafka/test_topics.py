"""Topic names: the changelogs created up front are the ones Faust's tables use."""

from __future__ import annotations

from pathlib import Path

from shipwatch.settings import Settings
from streams.app import create_app
from streams.kafka.topics import TABLES, changelog


def test_the_changelogs_created_before_the_worker_are_its_tables_changelogs(tmp_path: Path):
    settings = Settings(namespace="unit-topics", data_dir=tmp_path)
    wiring = create_app(settings)
    used = {
        t.changelog_topic.get_topic_name()
        for t in (wiring.tracks, wiring.voyages, wiring.caps, wiring.sea)
    }
    assert used == {changelog(settings, t) for t in TABLES}
    assert all(t.partitions == settings.partitions for t in (wiring.tracks, wiring.voyages))
