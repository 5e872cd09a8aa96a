"""What every plain asyncio process of ours sets up first (those without Faust's worker)."""

from __future__ import annotations

import asyncio
import logging

from shipwatch.settings import Settings
from streams.faust_patches.log_throttle import throttle_kafka_client_logs


def prepare(settings: Settings, loglevel: str | None) -> None:
    """The worker's log format and level, the Kafka client's log throttle, and uvloop's event
    loop when the settings ask for it (`shipwatch history`, `shipwatch ingest`)."""
    logging.basicConfig(
        level=(loglevel or settings.log_level).upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    throttle_kafka_client_logs()
    if settings.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
