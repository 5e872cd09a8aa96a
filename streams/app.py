"""The Faust application: topics and tables of one namespace, agents and web pages wired in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TableT, TopicT

from shipwatch.settings import Settings
from streams.faust_patches.changelog_rewind import rewind_dropped_changelog_records
from streams.faust_patches.commit_safety import commit_after_changelogs, no_commit_after_crash
from streams.faust_patches.fetch_tuning import batch_fetches
from streams.faust_patches.recovery_order import seek_before_fetch
from streams.faust_patches.stream_holes import no_stream_holes
from streams.kafka.config import faust_broker_url, ssl_context
from streams.kafka.topics import TOPICS


@dataclass(frozen=True)
class Wiring:
    """The app with its topics and tables, for the agents to use."""

    app: faust.App
    settings: Settings
    topics: dict[str, TopicT]
    tracks: TableT[bytes, bytes]
    voyages: TableT[bytes, Any]
    caps: TableT[bytes, Any]
    sea: TableT[bytes, bytes]


def _credentials(settings: Settings) -> Any:
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_sasl_password
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context(settings),
        )
    context = ssl_context(settings)
    return faust.SSLCredentials(context) if context else None


def create_app(settings: Settings) -> Wiring:
    """A Faust app configured only from our settings (Faust's own env variables are ignored)."""
    batch_fetches()
    commit_after_changelogs()
    no_commit_after_crash()
    seek_before_fetch()
    rewind_dropped_changelog_records()
    no_stream_holes()  # after: it wraps the getmany above
    app = faust.App(
        settings.namespace,
        env={},  # Faust would otherwise let BROKER_URL, WEB_PORT, ... override these arguments
        broker=faust_broker_url(settings),
        broker_credentials=_credentials(settings),
        store="memory://",
        datadir=str(settings.data_dir / settings.namespace),
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_request_timeout=settings.kafka_producer_timeout_s,
        # Faust's default 0 makes every message its own produce request: a few ms of waiting
        # lets one request carry a batch (the bench measured 19-28 % less worker CPU).
        producer_linger=0.005,
        broker_commit_every=1000,
        # A crashed worker's partitions move to the others after this long (Faust's default
        # is 60 s); heartbeats every 3 s keep live workers well inside it.
        broker_session_timeout=15.0,
        broker_heartbeat_interval=3.0,
        broker_commit_interval=1.0,
        # A track event is a frame of up to 1,000 positions: a short queue is plenty.
        stream_buffer_maxsize=1024,
        # The track stage acknowledges frames only at its flush: a stopping worker leaves
        # them to be read again rather than wait for acknowledgements that will not come.
        stream_wait_empty=False,
        autodiscover=False,
        web_enabled=True,
        # Faust's /table pages would serve every vessel's tracked state to anyone who can reach
        # the port, and /router the cluster's layout; nothing here routes requests by key.
        web_tables_enabled=False,
        web_router_enabled=False,
        # Standby copies would make per-worker table scans (vessels in fence) count twice.
        table_standby_replicas=0,
    )

    def raw_topic(name: str) -> TopicT:
        return app.topic(
            settings.topic(name),
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
            internal=False,
        )

    topics = {name: raw_topic(name) for name in TOPICS}
    # tracks and voyages are keyed by MMSI bytes, caps by `<route>|<year>`. The tracks table's
    # values are the states' JSON as bytes, written in bulk by the track stage's flush
    # (streams/bindings/track.py) to the changelog partition of murmur2(key), never per key
    # through Faust; the others' are JSON through Faust.
    tracks = app.Table("tracks", partitions=settings.partitions, key_type=bytes, value_type=bytes)
    voyages = app.Table("voyages", partitions=settings.partitions, key_type=bytes)
    caps = app.Table("caps", partitions=settings.partitions, key_type=bytes)
    # Keyed by area cell, pair or `watched` (streams/bindings/sea.py); values JSON bytes.
    sea = app.Table("sea", partitions=settings.partitions, key_type=bytes, value_type=bytes)
    return Wiring(app, settings, topics, tracks, voyages, caps, sea)


def before_recovery(app: faust.App, begin: Callable[[], Awaitable[None]]) -> None:
    """Run `begin` each time the app starts, before it waits for its table recovery.

    Faust starts its web server, timers and tasks only once the first recovery is over
    (faust/app/base.py, `App.on_started`): a long recovery would have no /healthz to answer a
    liveness probe, and a stalled one nothing to notice it."""
    started = app.on_start

    async def on_start() -> None:
        await started()
        await begin()

    app.on_start = on_start  # type: ignore[method-assign]
