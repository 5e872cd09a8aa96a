"""Exceptions of the streams package; Kafka and Faust errors are translated to these."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class StreamsError(ShipwatchError):
    """Base of the streams package's errors."""


class KafkaUnavailable(StreamsError):
    """The configured Kafka cluster cannot be reached."""


class TopicMismatch(StreamsError):
    """Existing topics contradict what the pipeline needs."""


class KafkaAuthenticationFailed(KafkaUnavailable):
    """The cluster refused the SASL login (wrong user, password or mechanism)."""


class KafkaCertificateUntrusted(KafkaUnavailable):
    """The cluster's TLS certificate does not verify against the configured CA."""
