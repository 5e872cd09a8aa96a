"""All runtime settings in one frozen class, read from SHIPWATCH_* variables and a .env file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shipwatch.cargo import CAP_SHARES, UN_CAP_BBL, CargoFactors

_CARGO = CargoFactors()
BUNDLED_GEOFENCES = Path(__file__).resolve().parent.parent / "geofences" / "fences"


def _state_home() -> Path:
    return Path.home() / ".local" / "state" / "shipwatch"


class Settings(BaseSettings):
    """shipwatch settings; every name is SHIPWATCH_<FIELD> in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="SHIPWATCH_", env_file=".env", extra="ignore", frozen=True
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    namespace: str = Field(default="shipwatch", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    web_port: int = Field(default=6066, ge=0, le=65535)
    web_host: str = "127.0.0.1"
    geofences_dir: Path = BUNDLED_GEOFENCES
    # Every MMSI-keyed topic gets this many partitions; tables are co-partitioned with them.
    partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1)
    data_dir: Path = Field(default_factory=lambda: _state_home() / "worker")
    broker_home: Path = Field(default_factory=lambda: _state_home() / "broker")
    kafka_version: str = "4.1.1"
    broker_heap_mb: int = Field(default=512, ge=128)
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    log_level: str = "info"
    # How long a record the worker produces may wait for the broker before its send fails
    # (Faust's producer_request_timeout and the bulk producer's request_timeout_ms): a broker
    # down for less is ridden out. Tests shorten it to make an outage outlast it.
    kafka_producer_timeout_s: float = Field(default=1200.0, gt=0, le=86_400)
    # A raw partition quiet for this long (wall clock) gives up its unfinished multipart
    # messages: their event-time timeout needs later input, which a quiet feed never sends.
    multipart_idle_s: float = Field(default=60.0, gt=0, le=86_400)
    # A table recovery that receives no changelog record for this long while records are left
    # is stalled: the worker reads them again, then restarts the recovery, then stops itself for
    # its supervisor to restart it (streams/recovery_watch.py). A flush of the track stage under
    # way for this long makes /readyz say so.
    recovery_stall_s: float = Field(default=60.0, gt=0, le=86_400)
    # Faust's own per-message sensor on /metrics (faust_*): it cost a quarter of the worker's
    # CPU (docs/performance.md), so it is off unless asked for; shipwatch_* metrics are always on.
    faust_metrics: bool = False
    # uvloop's event loop for the worker (and Faust's consumer thread): 4-8 % less CPU.
    uvloop: bool = True
    # Where the raw topic is decoded: in a process the worker starts beside itself (`process`:
    # a second core, `shipwatch ingest`), or in the worker's own event loop (`inline`: one core).
    ingest: Literal["process", "inline"] = "process"
    # Optional webhook sink: comma-separated http(s) URLs that receive every alert as JSON.
    webhook_urls: str = ""
    webhook_max_attempts: int = Field(default=6, ge=1, le=20)
    webhook_backoff_s: float = Field(default=1.0, gt=0, le=300)
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # Detection configuration (docs/detection.md, the rule table).
    watchlist_file: Path | None = None  # lines `mmsi N`, `imo N`, `name TEXT`; reloaded on change
    # Sanctions lists as downloaded (comma-separated paths), read at start: the UN Security
    # Council consolidated list (XML) and OFAC's SDN list (sdn.xml or sdn.csv); their vessels are
    # watched by IMO and name, and alerts about them carry the entries (alerts/sanctions.py).
    sanctions_files: str = ""
    routes_file: Path | None = None  # JSON list of routes; default: Vostochny -> Chongjin
    # The cargo estimate's factors and the cap: their defaults and reasons: shipwatch/cargo.py.
    block_coefficient: float = Field(default=_CARGO.block_coefficient, gt=0, le=1)
    seawater_t_per_m3: float = Field(default=_CARGO.seawater_t_per_m3, gt=0.9, lt=1.1)
    barrels_per_tonne: float = Field(default=_CARGO.barrels_per_tonne, gt=5, lt=10)
    cap_bbl: float = Field(default=UN_CAP_BBL, gt=0)
    cap_shares: tuple[float, ...] = CAP_SHARES

    # At sea (docs/detection.md, "At sea"): Global Fishing Watch's encounter rule by default,
    # Skylight's stricter one (250 m for 30 min) with `sea_preset=skylight`; each threshold can
    # be set.
    at_sea: bool = True  # false: no encounters, loitering or sighting matching (and no hop)
    sea_preset: Literal["gfw", "skylight"] = "gfw"
    encounter_distance_m: float | None = Field(default=None, gt=0, le=5000)
    encounter_min_s: float | None = Field(default=None, gt=0, le=7 * 86_400)
    encounter_max_median_kn: float | None = Field(default=None, gt=0, le=3)
    fence_clearance_m: float | None = Field(default=None, ge=0, le=200_000)
    loiter_min_s: float | None = Field(default=None, gt=0, le=7 * 86_400)
    dark_port_distance_m: float | None = Field(default=None, ge=0, le=200_000)
    sighting_wait_s: float | None = Field(default=None, ge=0, le=86_400)
    # Event time across partitions (docs/guarantees.md, "Event time"): the at-sea stage decides
    # up to the slowest partition's progress less `watermark_lateness_s`; a partition with
    # nothing to read for `watermark_idle_s` (wall clock) stops holding the others back.
    watermark_lateness_s: float = Field(default=600.0, ge=0, le=7 * 86_400)
    # Short, because a partition counts as idle only once it is also caught up: no input left.
    watermark_idle_s: float = Field(default=10.0, gt=0, le=86_400)

    # Integrity (docs/detection.md, "Integrity"): identities and positions that lie. Alerts go to
    # watched vessels and to any vessel within `integrity_port_radius_m` of a watched port; the
    # rest are events. Status lists (comma-separated CSV paths: imo,status,date[,name,source];
    # docs/identity-lists.md) make a position under a scrapped or lost ship's IMO a zombie.
    integrity: bool = True
    identity_status_files: str = ""
    integrity_port_radius_m: float = Field(default=50_000.0, ge=0, le=1_000_000)
    identity_new_days: float = Field(default=30.0, gt=0, le=3650)  # unseen this long: a new MMSI

    # The vessel pages' history (docs/pages.md, "Vessel pages"): SQLite in data_dir, written by a
    # sink in every worker from all partitions, so that each worker's pages show every vessel.
    history: bool = True
    # Where the sink runs: in every worker (`worker`), or in `shipwatch history` processes of
    # their own (`separate`; the workers then keep no store and serve no vessel pages: the
    # history process does), on this machine or another.
    history_sink: Literal["worker", "separate"] = "worker"
    history_web_port: int = Field(default=6068, ge=0, le=65535)  # `shipwatch history`'s pages
    history_retention_days: float = Field(default=30.0, gt=0, le=3650)
    history_thin_s: float = Field(default=300.0, ge=0, le=86_400)  # one fix per vessel this often
    history_turn_deg: float = Field(default=30.0, gt=0, le=180)  # ... and at every turn this large
    # Triage (docs/pages.md, "Triage"): who acts is the header an authenticating reverse proxy sets,
    # believed only from these addresses (comma-separated IPs or CIDRs); none: read-only pages.
    auth_proxy_header: str = "X-WEBAUTH-USER"
    trusted_proxies: str = ""

    # Live feeds (`shipwatch feed`, docs/feeds.md). A source's name in metrics and logs: this map
    # (JSON, source URL -> name), else the URL without credentials.
    feed_names: dict[str, str] = Field(default_factory=dict)
    feed_metrics_host: str = "127.0.0.1"
    feed_metrics_port: int = Field(default=6067, ge=0, le=65535)  # the feed process's /metrics
    # Lines held while Kafka is slow or away; past it TCP sources stop reading (the sender's
    # buffers hold the data) and UDP and WebSocket sources count what they drop.
    feed_buffer_max: int = Field(default=200_000, ge=100, le=10_000_000)
    # A source silent this long is reconnected once and reported (Spire sends a keep-alive
    # every 15 min: set more than 900 for it).
    feed_quiet_s: float = Field(default=300.0, gt=0, le=86_400)
    feed_backoff_cap_s: float = Field(default=300.0, gt=0, le=86_400)  # between reconnects
    # The same AIS message heard by two receivers (or sent twice) within this window counts once.
    feed_dedup_window_s: float = Field(default=20.0, ge=0, le=3600)
    # A source whose tag-block clock differs from our receive time by more is reported.
    feed_clock_tolerance_s: float = Field(default=300.0, gt=0, le=86_400)
    feed_tcp_login: SecretStr | None = None  # a line sent after connecting (Spire: A|T|<token>)
    aisstream_api_key: SecretStr | None = None
    aisstream_url: str = "wss://stream.aisstream.io/v0/stream"
    # [[[lat, lon], [lat, lon]], ...]: by default the Sea of Japan, both watched ports inside.
    aisstream_boxes: list[list[list[float]]] = Field(
        default_factory=lambda: [[[33.0, 127.0], [47.0, 142.0]]]
    )
    aisstream_mmsi: list[str] = Field(default_factory=list)  # at most 50, as the service allows
    # The message types decoded (shipwatch.ais.aisstream_json); empty: every type, and ingest
    # rejects the others (base stations, aids to navigation, ...) as dead letters.
    aisstream_message_types: list[str] = Field(
        default_factory=lambda: [
            "PositionReport",
            "StandardClassBPositionReport",
            "ExtendedClassBPositionReport",
            "LongRangeAisBroadcastMessage",
            "ShipStaticData",
            "StaticDataReport",
        ]
    )
    aishub_username: SecretStr | None = None
    aishub_url: str = "https://data.aishub.net/ws.php"
    aishub_box: tuple[float, float, float, float] = (33.0, 47.0, 127.0, 142.0)  # lat, lat, lon, lon
    # AISHub answers nothing to a faster poll than once a minute.
    aishub_interval_s: float = Field(default=60.0, ge=60, le=86_400)

    @field_validator("geofences_dir", "data_dir", "broker_home")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    def topic(self, name: str) -> str:
        """The full topic name `<namespace>.<name>`."""
        return f"{self.namespace}.{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def env_for(settings: Settings, inherited: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment that makes a child `shipwatch` process use these settings: `inherited`
    without any SHIPWATCH_ variable, plus the settings tests and benchmarks vary."""
    env = {k: v for k, v in inherited.items() if not k.startswith("SHIPWATCH_")}
    env.update(
        {
            "SHIPWATCH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "SHIPWATCH_NAMESPACE": settings.namespace,
            "SHIPWATCH_PARTITIONS": str(settings.partitions),
            "SHIPWATCH_WEB_PORT": str(settings.web_port),
            "SHIPWATCH_DATA_DIR": str(settings.data_dir),
            "SHIPWATCH_CAP_BBL": str(settings.cap_bbl),
            "SHIPWATCH_MULTIPART_IDLE_S": str(settings.multipart_idle_s),
            "SHIPWATCH_WATERMARK_LATENESS_S": str(settings.watermark_lateness_s),
            "SHIPWATCH_WATERMARK_IDLE_S": str(settings.watermark_idle_s),
        }
    )
    return env
