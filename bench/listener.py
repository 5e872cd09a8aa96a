"""Alert arrival times, read by a process of its own so the load generator cannot delay them.

`python -m bench.listener BOOTSTRAP TOPIC PARTITIONS OUT`: reads the alerts topic from its end
and writes one JSON line per alert to OUT: `mmsi`, `kind`, `alert_id`, `received` (wall clock
when the consumer got it) and `created` (the record's Kafka timestamp: when the worker produced
it). Prints `ready` once positioned; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition


async def listen(bootstrap: str, topic: str, partitions: int, out: str) -> None:
    """Follow the topic until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    print("ready", flush=True)
    try:
        with open(out, "ab") as sink:
            while not stop.is_set():
                batches = await consumer.getmany(*tps, timeout_ms=100)
                received = time.time()
                for messages in batches.values():
                    for message in messages:
                        alert = orjson.loads(message.value or b"{}")
                        row = {
                            "mmsi": alert.get("mmsi"),
                            "kind": alert.get("kind"),
                            "alert_id": alert.get("alert_id"),
                            "received": received,
                            "created": message.timestamp / 1000,
                        }
                        sink.write(orjson.dumps(row) + b"\n")
                sink.flush()
    finally:
        await consumer.stop()


def main() -> None:
    """Command line: BOOTSTRAP TOPIC PARTITIONS OUT."""
    bootstrap, topic, partitions, out = sys.argv[1:5]
    asyncio.run(listen(bootstrap, topic, int(partitions), out))


if __name__ == "__main__":
    main()
