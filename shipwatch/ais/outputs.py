"""What the decoder gives for its inputs: records, a rejection, or a skip, with the inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipwatch.ais.errors import Rejected
from shipwatch.ais.records import AnyRecord

Source = dict[str, Any]  # {"file", "line"} or {"topic", "partition", "offset"}


@dataclass(frozen=True, slots=True)
class Input:
    """One unit fed to the decoder: its bytes and where they came from."""

    raw: bytes
    source: Source


@dataclass(frozen=True, slots=True)
class Accepted:
    """Records made from one message (of one or several inputs); `nulled` names the optional
    fields whose invalid value was set to null (each once per value: "heading", "sog", ...)."""

    records: Sequence[AnyRecord]  # a list; a sighting alone, never with a vessel's records
    inputs: tuple[Input, ...]
    nulled: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refused:
    """A rejected message, with every input it was made of."""

    error: Rejected
    inputs: tuple[Input, ...]

    @property
    def raw(self) -> bytes:
        """The original bytes; the parts of a multi-sentence message one per line."""
        return b"\n".join(i.raw for i in self.inputs)

    @property
    def source(self) -> Source:
        """The first input's source; with several parts, every part's source under `parts`."""
        first = dict(self.inputs[0].source)
        if len(self.inputs) > 1:
            first["parts"] = [i.source for i in self.inputs]
        return first


@dataclass(frozen=True, slots=True)
class Skipped:
    """A valid input that carries nothing we track (`type_21`, `proprietary`, ...)."""

    what: str
    inputs: tuple[Input, ...]


Output = Accepted | Refused | Skipped  # re-exported by ais.decoder
