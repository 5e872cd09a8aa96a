"""Keep a Kafka outage from flooding the log: the same message at most once per interval.

Answers aiokafka 0.14 (under faust-streaming 0.15.3): a reconnect attempt logged each time,
aio-libs/aiokafka#267."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

# aiokafka logs every reconnect attempt: about 2,000 lines/s from one worker while the broker
# is down (measured here; aio-libs/aiokafka#267). Its modules log under these names.
AIOKAFKA_LOGGERS = (
    "aiokafka",
    "aiokafka.admin.client",
    "aiokafka.client",
    "aiokafka.cluster",
    "aiokafka.conn",
    "aiokafka.consumer.consumer",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
    "aiokafka.producer.producer",
    "aiokafka.producer.sender",
)
EVERY_S = 30.0  # one line per message template and logger per this many seconds


class RepeatThrottle(logging.Filter):
    """Passes the first record of each (logger, template) per interval; counts the rest."""

    def __init__(self, every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self._last: dict[tuple[str, object], float] = {}
        self._held: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """True for a record to be logged; the first after a quiet spell says what was held."""
        key = (record.name, record.msg)  # the template, so changing arguments still match
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.every_s:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            # Formatted here and passed as one argument: a '%' in it cannot break any handler.
            message = f"{record.getMessage()} [and {held} more like it since]"
            record.msg, record.args = "%s", (message,)
        return True


def throttle_kafka_client_logs(every_s: float = EVERY_S) -> RepeatThrottle:
    """Install one throttle on every aiokafka logger; returns it."""
    throttle = RepeatThrottle(every_s)
    for name in AIOKAFKA_LOGGERS:
        logging.getLogger(name).addFilter(throttle)
    return throttle
