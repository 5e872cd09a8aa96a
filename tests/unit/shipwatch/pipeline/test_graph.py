"""The stage graph is declared once: the stream's topics and tables and detect follow it."""

from __future__ import annotations

from shipwatch.pipeline.graph import GRAPH, READER, STATES, message_stages
from shipwatch.settings import Settings
from streams.app import create_app
from streams.kafka.topics import TABLES, TOPICS


def test_every_topic_the_graph_names_is_created_and_read_by_at_most_one_stage(core) -> None:
    named = {spec.reads for spec in GRAPH} | {t for spec in GRAPH for t in spec.writes}
    assert named <= set(TOPICS)
    assert len(READER) == len(GRAPH)  # one reader per topic: no topic read twice
    assert set(TABLES) == set(STATES)


def test_every_stage_without_a_binding_of_its_own_has_a_one_record_step(core) -> None:
    steps = message_stages(core[1])
    assert set(steps) == {spec.name for spec in GRAPH if not spec.batched}


def test_the_workers_tables_are_the_graphs_states(tmp_path) -> None:
    wiring = create_app(Settings(data_dir=tmp_path))
    tables = {wiring.tracks.name, wiring.voyages.name, wiring.caps.name, wiring.sea.name}
    assert tables == set(STATES)
