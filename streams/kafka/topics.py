"""Topic names of the contract and creating them with the partition counts the tables need."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shipwatch.pipeline.graph import STATES
from shipwatch.settings import Settings
from streams.errors import KafkaUnavailable, TopicMismatch
from streams.kafka.config import client_options
from streams.kafka.contact import first_contact

TOPICS = (
    "ais-raw",
    "positions",
    "statics",
    "geofence-events",
    "voyage-events",
    "alerts",
    "dead-letters",
    "deliveries",  # internal: estimated deliveries keyed by route, for the cap totals
    "nearby",  # internal: the positions around the fences, for the live page's map
    "frames",  # internal: positions and statics in frames of hundreds, for the track stage
    "sightings",  # satellite sightings as ingested (keyed by sighting id)
    "sea",  # internal: frames of samples, sightings and pairs for the sea stage, by area cell
    "history",  # internal: the fixes vessel pages keep (all on the map areas, thinned elsewhere)
    "alert-state",  # the analysts' triage of each alert (compacted, keyed by alert_id)
    "feed-status",  # each live source's state, from `shipwatch feed` (compacted, by source)
)
# These carry per-vessel order into tables: they must share one partition count.
COPARTITIONED = ("frames", "geofence-events", "voyage-events")
# The tables' changelogs (Faust names them `<app id>-<table>-changelog`). Created here, before
# the worker subscribes: a changelog Faust creates after the first assignment joins it only at
# the next metadata refresh, five minutes later, with a rebalance that re-reads every table.
TABLES = STATES  # the states the stage graph declares (pipeline/graph.py)
COMPACTED = {"cleanup.policy": "compact"}
# Topics that keep the newest record per key forever, like the changelogs.
COMPACTED_TOPICS = ("alert-state", "feed-status")


def changelog(settings: Settings, table: str) -> str:
    """The changelog topic of one of the worker's tables."""
    return f"{settings.namespace}-{table}-changelog"


async def ensure_topics(settings: Settings, timeout: float = 30.0) -> dict[str, int]:
    """Create missing topics; return partition counts; refuse co-partitioning mismatches."""
    admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=int(timeout * 1000))
    # The first contact of every command: a refused login or certificate is named there.
    with first_contact(settings):
        await asyncio.wait_for(admin.start(), timeout)
    try:
        names = [settings.topic(t) for t in TOPICS]
        changelogs = [changelog(settings, t) for t in TABLES]
        compacted = set(changelogs) | {settings.topic(t) for t in COMPACTED_TOPICS}
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                n,
                settings.partitions,
                settings.replication_factor,
                topic_configs=COMPACTED if n in compacted else {},
            )
            for n in names + changelogs
            if n not in existing
        ]
        if missing:
            # Another worker may create them between our list and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        described = await admin.describe_topics(names + changelogs)
        counts = {d["topic"]: len(d["partitions"]) for d in described}
    except KafkaError as exc:
        raise KafkaUnavailable(
            f"creating or describing topics on {settings.kafka_bootstrap} failed: {exc}"
        ) from exc
    finally:
        await admin.close()
    # The tracks and voyages tables are written to the partition of their input's key.
    together = [settings.topic(t) for t in COPARTITIONED] + [
        changelog(settings, t) for t in ("tracks", "voyages")
    ]
    if len({counts.get(name) for name in together}) != 1:
        raise TopicMismatch(
            f"topics {', '.join(together)} must have the same number of partitions, found {counts}"
        )
    return counts
