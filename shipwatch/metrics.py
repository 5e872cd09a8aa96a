"""The worker's Prometheus metrics; label values are bounded (no MMSI, no names)."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shipwatch.ais.records import OPTIONAL_FIELD_NAMES

REGISTRY = CollectorRegistry(auto_describe=True)

POSITIONS = Counter("shipwatch_positions", "Positions applied to vessel tracks", registry=REGISTRY)
STALE_POSITIONS = Counter(
    "shipwatch_stale_positions",
    "Positions not newer than the vessel's last one (duplicates, late arrivals); ignored",
    registry=REGISTRY,
)
REJECTED = Counter(
    "shipwatch_rejected", "Inputs sent to the dead-letter topic", ["reason"], registry=REGISTRY
)
INVALID_FIELDS = Counter(
    "shipwatch_invalid_fields",
    "Invalid optional values (heading 360, SOG 'fast', ETA month 13, ...) set to null at "
    "ingest; the record was kept",
    ["field"],
    registry=REGISTRY,
)
GEOFENCE_EVENTS = Counter(
    "shipwatch_geofence_events", "Fence events emitted", ["fence", "kind"], registry=REGISTRY
)
VOYAGE_EVENTS = Counter(
    "shipwatch_voyage_events", "Voyage events emitted", ["kind"], registry=REGISTRY
)
VESSELS_IN_FENCE = Gauge(
    "shipwatch_vessels_in_fence",
    "Vessels inside each fence, in this worker's partitions",
    ["fence"],
    registry=REGISTRY,
)
ALERTS = Counter("shipwatch_alerts", "Alerts published", ["kind", "severity"], registry=REGISTRY)
EVENT_LAG = Histogram(
    "shipwatch_event_lag_seconds",
    "Processing time minus event time of each position",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400),
    registry=REGISTRY,
)
ESTIMATED_BARRELS = Counter(
    "shipwatch_estimated_barrels",
    "Estimated barrels delivered on each watched route this year (from the voyage issue on)",
    ["route"],
    registry=REGISTRY,
)
PROCESSING_ERRORS = Counter(
    "shipwatch_processing_errors",
    "Messages a stage failed on; each went to dead-letters and the stream went on",
    ["stage"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "shipwatch_consumer_lag",
    "Messages of each input topic not yet committed by the worker group (group-wide: every "
    "worker reports the same value, aggregate with max)",
    ["topic"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "shipwatch_webhook_deliveries",
    "Alerts posted to a webhook URL, by result (delivered, dead_lettered)",
    ["result"],
    registry=REGISTRY,
)
WEBHOOK_RETRIES = Counter(
    "shipwatch_webhook_retries",
    "Webhook attempts that failed and were tried again",
    registry=REGISTRY,
)
STAGE_MESSAGES = Counter(
    "shipwatch_stage_messages",
    "Messages each stage took from its topic (ingest, track, voyage, alert, cap)",
    ["stage"],
    registry=REGISTRY,
)
STAGE_RECORDS = Counter(
    "shipwatch_stage_records",
    "Records each stage handled: raw messages decoded by ingest, records applied from frames "
    "by track, changed vessel states written by flush",
    ["stage"],
    registry=REGISTRY,
)
STAGE_SECONDS = Histogram(
    "shipwatch_stage_seconds",
    "Time a stage spent on one message or batch: its own work, without waiting for the broker "
    "(ingest: a fetched batch; track: a frame; flush: writing the changed states; voyage, "
    "alert, cap: one event, its sends included)",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5),
    registry=REGISTRY,
)
LIVE_VIEWERS = Gauge(
    "shipwatch_live_viewers",
    "Browsers connected to this worker's live alerts stream",
    registry=REGISTRY,
)
ENCOUNTERS = Counter(
    "shipwatch_encounters",
    "Ship-to-ship encounters found at sea (each counted once, when it first meets the rule)",
    registry=REGISTRY,
)
SIGHTINGS = Counter(
    "shipwatch_sightings",
    "Satellite sightings decided, by whether an AIS vessel matched them",
    ["matched"],
    registry=REGISTRY,
)
IDENTITY_KINDS = ("identity_conflict", "invalid_identity", "identity_swap")
TAMPERING_REASONS = ("on_land", "jumps", "not_in_imagery")
IDENTITY_FINDINGS = Counter(
    "shipwatch_identity_findings",
    "Identity findings (events) for every vessel, in the alerts' scope or not: one IMO or name "
    "on two ships, invalid or zombie identities, identity swaps",
    ["kind"],
    registry=REGISTRY,
)
TAMPERING_FINDINGS = Counter(
    "shipwatch_tampering_findings",
    "Position-tampering findings (events) for every vessel, in the alerts' scope or not, by reason",
    ["reason"],
    registry=REGISTRY,
)
GNSS_INTERFERENCE = Counter(
    "shipwatch_gnss_interference",
    "Jump patterns not counted as tampering because other vessels near it jumped with it",
    registry=REGISTRY,
)
ACTIVE_ENCOUNTERS = Gauge(
    "shipwatch_active_encounters",
    "Encounters going on (started, not yet ended) seen by this worker since it started",
    registry=REGISTRY,
)
LOITERING_VESSELS = Gauge(
    "shipwatch_loitering_vessels",
    "Vessels loitering at sea (started, not yet ended) seen by this worker since it started",
    registry=REGISTRY,
)
ALERT_CORRECTIONS = Counter(
    "shipwatch_alert_corrections",
    "Alerts re-issued with the same id and corrected evidence (a cap alert whose crossing a "
    "late delivery took over); not counted again in shipwatch_alerts_total",
    ["kind"],
    registry=REGISTRY,
)
WATERMARK = Gauge(
    "shipwatch_sea_watermark_timestamp_seconds",
    "Event time up to which each owned sea partition decides (slowest track partition, less "
    "the allowed lateness): far behind the newest positions means a partition holds it back",
    ["partition"],
    registry=REGISTRY,
)
SEA_SAMPLES_DROPPED = Counter(
    "shipwatch_sea_samples_dropped",
    "Samples the area cells did not keep: repeat, too_late (behind retention), cell_full",
    ["reason"],
    registry=REGISTRY,
)

# Every alert kind of the contract; more may come and are counted when they do.
ALERT_KINDS = (
    "sanctioned_voyage",
    "watchlist_port_call",
    "dark_port_call",
    "ais_gap",
    "cap_threshold",
    "sts_encounter",
    "loitering",
    "dark_vessel",
    "identity_conflict",
    "invalid_identity",
    "identity_swap",
    "position_tampering",
)
SEVERITIES = ("info", "warning", "critical")
WEBHOOK_RESULTS = ("delivered", "dead_lettered")
# The stages that count shipwatch_processing_errors_total (streams/bindings/agents.py guarded,
# track, sea), those of shipwatch_stage_messages_total and shipwatch_stage_seconds (flush has only
# records and seconds), and the dead-letter reasons the worker itself raises (the feed's
# decoding reasons are many and appear with their first rejection).
PROCESSING_STAGES = ("track", "sea", "voyage", "alert", "cap")
MESSAGE_STAGES = ("ingest", *PROCESSING_STAGES)
RECORD_STAGES = ("ingest", "track", "flush", "sea")
WORKER_REJECT_REASONS = ("internal_error", "webhook_failed")


HISTORY_RECORDS = Counter(
    "shipwatch_history_records",
    "Records the vessel-page history store took from each topic (fixes thinned at ingest)",
    ["topic"],
    registry=REGISTRY,
)
HISTORY_WRITE_SECONDS = Histogram(
    "shipwatch_history_write_seconds",
    "Time to write one batch into the history store (in its own thread)",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
    registry=REGISTRY,
)
HISTORY_LAG = Gauge(
    "shipwatch_history_lag",
    "Records on the history topics not yet in this worker's history store",
    registry=REGISTRY,
)
HISTORY_TOPICS = ("history", "statics", "geofence-events", "voyage-events", "alerts")


# What a worker does about a stalled table recovery, in order (streams/recovery_watch.py).
RECOVERY_ACTIONS = ("reread", "restart", "stop")
RECOVERY_STALLS = Counter(
    "shipwatch_recovery_stalls",
    "Table recoveries that got no changelog record for SHIPWATCH_RECOVERY_STALL_S while records "
    "were left, by what the worker did: reread (seek back), restart (the recovery), stop (the "
    "worker, for its supervisor to restart)",
    ["action"],
    registry=REGISTRY,
)
RECOVERY_REMAINING = Gauge(
    "shipwatch_recovery_remaining_records",
    "Changelog records this worker's table recovery still has to read (0 when not recovering)",
    registry=REGISTRY,
)
RECOVERY_STALLED_SECONDS = Gauge(
    "shipwatch_recovery_stalled_seconds",
    "How long the table recovery has gone without a changelog record while records are left "
    "(0 when it is progressing or done)",
    registry=REGISTRY,
)


def init_series(fences: list[str], routes: list[str]) -> None:
    """Export zeros for the label values known at start, so dashboards show 0, not 'no data'."""
    # A counter born at 1 shows no increase() in Prometheus: the alert rules need the zeros.
    for kind in ALERT_KINDS:
        for severity in SEVERITIES:
            ALERTS.labels(kind=kind, severity=severity)
    for result in WEBHOOK_RESULTS:
        WEBHOOK_DELIVERIES.labels(result=result)
    for fence in fences:
        VESSELS_IN_FENCE.labels(fence=fence).set(0)
        for kind in ("enter", "stop", "exit"):
            GEOFENCE_EVENTS.labels(fence=fence, kind=kind)
    for route in routes:
        ESTIMATED_BARRELS.labels(route=route)
    for matched in ("true", "false"):
        SIGHTINGS.labels(matched=matched)
    for kind in IDENTITY_KINDS:
        IDENTITY_FINDINGS.labels(kind=kind)
    for reason in TAMPERING_REASONS:
        TAMPERING_FINDINGS.labels(reason=reason)
    for reason in ("repeat", "too_late", "cell_full"):
        SEA_SAMPLES_DROPPED.labels(reason=reason)
    for topic in HISTORY_TOPICS:
        HISTORY_RECORDS.labels(topic=topic)
    for name in OPTIONAL_FIELD_NAMES:
        INVALID_FIELDS.labels(field=name)
    for action in RECOVERY_ACTIONS:
        RECOVERY_STALLS.labels(action=action)
    # Every series a panel or a rule queries exists from start-up ("0", not "No data"); only
    # shipwatch_consumer_lag waits for its first measurement (a zero would claim "caught up").
    for stage in PROCESSING_STAGES:
        PROCESSING_ERRORS.labels(stage=stage)
    for stage in MESSAGE_STAGES:
        STAGE_MESSAGES.labels(stage=stage)
    for stage in (*MESSAGE_STAGES, "flush"):
        STAGE_SECONDS.labels(stage=stage)
    for stage in RECORD_STAGES:
        STAGE_RECORDS.labels(stage=stage)
    for reason in WORKER_REJECT_REASONS:
        REJECTED.labels(reason=reason)


def count_sea_events(events: list[dict[str, Any]]) -> None:
    """The at-sea and integrity metrics of a batch of events (both vessels' events of a pair
    count once)."""
    for ev in events:
        kind, ended = ev["kind"], ev.get("ended_at") is not None
        if kind == "encounter" and ev["mmsi"] < ev["other_mmsi"]:
            if ended:
                ACTIVE_ENCOUNTERS.dec()
            else:
                ENCOUNTERS.inc()
                ACTIVE_ENCOUNTERS.inc()
        elif kind == "loitering":
            LOITERING_VESSELS.dec() if ended else LOITERING_VESSELS.inc()
        elif kind == "sighting":
            SIGHTINGS.labels(matched=str(ev["matched_mmsi"] is not None).lower()).inc()
        elif kind in IDENTITY_KINDS and not ev.get("told_before"):
            IDENTITY_FINDINGS.labels(kind=kind).inc()
        elif kind == "position_tampering":
            TAMPERING_FINDINGS.labels(reason=ev["reason"]).inc()
        elif kind == "gnss_interference":
            GNSS_INTERFERENCE.inc()


def observe_all(histogram: Histogram, amounts: list[float]) -> None:
    """`observe` each amount, with one locked increment per bucket instead of two per amount.

    The track stage observes every position's lag: at 20,000 positions/s the per-call locking
    of `observe` cost about 5 % of the worker. This reads prometheus_client's bucket layout
    (`_upper_bounds`, `_buckets`, `_sum`, stable since 0.4) and falls back to `observe`."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for amount in amounts:
            histogram.observe(amount)
        return
    counts = [0] * len(bounds)
    for amount in amounts:
        counts[bisect_left(bounds, amount)] += 1
    for bucket, count in zip(buckets, counts, strict=True):
        if count:
            bucket.inc(count)
    total.inc(sum(amounts))
