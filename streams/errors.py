"""Exceptions of the streams package; Kafka and Faust errors are translated to these."""

from __future__ import annotations


class StreamsError(Exception):
    """Base of the errors the CLI reports as one clear line."""


class KafkaUnavailable(StreamsError):
    """The configured Kafka cluster cannot be reached."""


class TopicMismatch(StreamsError):
    """Existing topics contradict what the pipeline needs."""
