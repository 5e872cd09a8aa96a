"""Errors raised by the local Kafka broker manager; every message says what to do next."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError

INSTALL_HINT = (
    "On Debian/Ubuntu install them with `sudo apt-get install openjdk-17-jre-headless maven`; "
    "or skip the local broker and run Kafka in Docker with `docker compose up kafka`."
)


class BrokerError(ShipwatchError):
    """The local broker could not be managed as asked."""


class MissingToolError(BrokerError):
    """Java 17+ or Maven is missing, so the broker cannot be fetched or run."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"Missing {' and '.join(missing)}. {INSTALL_HINT}")


class NotLocalError(BrokerError):
    """The configured bootstrap points at a cluster this module does not own."""


class PortInUseError(BrokerError):
    """Another process already listens on a port the broker needs."""


class BrokerDiedError(BrokerError):
    """The broker process exited (or never answered) while starting."""

    def __init__(self, message: str, log_tail: str) -> None:
        self.log_tail = log_tail
        super().__init__(f"{message}\n--- last log lines ---\n{log_tail}" if log_tail else message)
