"""The sea stage's keyed state: cells, pairs and the watched vessels, as JSON-ready values."""

from __future__ import annotations

from typing import Any, Protocol


class SeaStore(Protocol):
    """Values by key; a stream binds it to a table, `detect` to a dict."""

    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """A SeaStore in a dict, for `detect` and tests."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        """The value, or None."""
        return self.data.get(key)

    def put(self, key: str, value: Any) -> None:
        """Set the value."""
        self.data[key] = value

    def delete(self, key: str) -> None:
        """Forget the key."""
        self.data.pop(key, None)
