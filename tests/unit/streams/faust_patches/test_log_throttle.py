"""The log throttle: a reconnect storm becomes one line per interval, with a count."""

from __future__ import annotations

import logging

from streams.faust_patches.log_throttle import RepeatThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args: object, name: str = "aiokafka.client") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_a_storm_of_one_template_passes_once_per_interval_and_reports_what_it_held():
    clock = Clock()
    throttle = RepeatThrottle(every_s=30, clock=clock)
    passed = []
    for i in range(2_000):  # 2,000 lines a second, as aiokafka logs a broker outage
        clock.now = i / 1_000
        r = record("Unable connect to node with id %s: %s", 1, f"attempt {i}")
        if throttle.filter(r):
            passed.append(r.getMessage())
    assert passed == ["Unable connect to node with id 1: attempt 0"]
    clock.now = 31.0
    later = record("Unable connect to node with id %s: %s", 1, "50% of tries")
    assert throttle.filter(later)
    assert (
        later.getMessage()
        == "Unable connect to node with id 1: 50% of tries [and 1999 more like it since]"
    )


def test_other_templates_and_other_loggers_are_not_held_back():
    throttle = RepeatThrottle(every_s=30, clock=Clock())
    assert throttle.filter(record("Unable connect to node with id %s", 1))
    assert throttle.filter(record("Failed fetch messages from %s", 1))
    assert throttle.filter(record("Unable connect to node with id %s", 1, name="aiokafka.conn"))
    assert not throttle.filter(record("Unable connect to node with id %s", 2))


def test_a_throttled_record_still_formats_through_a_real_handler(caplog):
    clock = Clock()
    logger = logging.getLogger("aiokafka.test-throttle")
    throttle = RepeatThrottle(every_s=30, clock=clock)
    logger.addFilter(throttle)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            for i in range(3):
                logger.warning("Discovered coordinator %s for group %s", i, "g")
            clock.now = 40
            logger.warning("Discovered coordinator %s for group %s", 9, "100%")
    finally:
        logger.removeFilter(throttle)
    assert [r.getMessage() for r in caplog.records] == [
        "Discovered coordinator 0 for group g",
        "Discovered coordinator 9 for group 100% [and 2 more like it since]",
    ]
