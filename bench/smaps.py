"""A process's anonymous memory by the kind of mapping that holds it, from /proc/<pid>/smaps.

A week soak's worker grew in anonymous memory while the bytes its allocators reported in use
did not. Which mapping grows tells the suspects apart (Linux, glibc, CPython 3.11 on 64 bits):
 - `heap`: the main brk heap (glibc's main arena);
 - `malloc_arenas`: glibc's thread arenas: heaps aligned to 64 MiB, each the used start of a
   64 MiB reservation whose rest follows it unmapped (`---p`);
 - `thread_stacks`: a thread's stack, mapped right after its 4 KiB guard page;
 - `stack`: the main thread's stack;
 - `other`: every other anonymous mapping: Python's 1 MiB object arenas, which the kernel
   merges with neighbouring anonymous maps, and glibc's mmapped large blocks;
 - `file_private`: copied-on-write pages of mapped files (the libraries' data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GLIBC_HEAP_ALIGN = 64 * 2**20  # HEAP_MAX_SIZE on 64 bits: a thread arena's heaps align to it
GUARD_KB = 4
KINDS = ("heap", "malloc_arenas", "thread_stacks", "stack", "other", "file_private")


@dataclass(frozen=True)
class Mapping:
    """One mapping and its anonymous pages."""

    start: int
    end: int
    perms: str
    name: str
    anonymous_kb: int


def mappings(pid: int) -> list[Mapping]:
    """Every mapping of the process with its `Anonymous:` size, in address order."""
    return parse(Path(f"/proc/{pid}/smaps").read_text())


def parse(text: str) -> list[Mapping]:
    """The mappings of an smaps text (see `mappings`)."""
    out: list[Mapping] = []
    head: tuple[int, int, str, str] | None = None
    for line in text.splitlines():
        first, _, rest = line.partition(" ")
        if "-" in first and not first.endswith(":"):
            low, high = first.split("-")
            fields = rest.split(None, 4)
            head = (int(low, 16), int(high, 16), fields[0], fields[4] if len(fields) > 4 else "")
        elif first == "Anonymous:" and head is not None:
            out.append(Mapping(*head, int(rest.split()[0])))
    return out


def kind_of(mapping: Mapping, before: Mapping | None, after: Mapping | None = None) -> str:
    """Which of KINDS holds this mapping's anonymous pages (`before` and `after`: its
    neighbours in address order)."""
    if mapping.name == "[heap]":
        return "heap"
    if mapping.name == "[stack]":
        return "stack"
    if mapping.name and not mapping.name.startswith("["):
        return "file_private"
    if (
        before is not None
        and before.end == mapping.start
        and before.perms.startswith("---")
        and (before.end - before.start) // 1024 == GUARD_KB
        and not before.name
    ):
        return "thread_stacks"
    reserved = (
        after is not None
        and after.start == mapping.end
        and after.perms.startswith("---")
        and not after.name
        and after.end - mapping.start == GLIBC_HEAP_ALIGN
    )
    if mapping.start % GLIBC_HEAP_ALIGN == 0 and (
        reserved or mapping.end - mapping.start == GLIBC_HEAP_ALIGN
    ):
        return "malloc_arenas"
    return "other"


def anonymous_by_kind_mb(pid: int) -> dict[str, float]:
    """The process's anonymous memory in MB, by kind of mapping (see KINDS)."""
    return by_kind_mb(mappings(pid))


def by_kind_mb(maps: list[Mapping]) -> dict[str, float]:
    """Mappings' anonymous memory in MB, added up by kind (see KINDS)."""
    out = dict.fromkeys(KINDS, 0.0)
    for i, mapping in enumerate(maps):
        before = maps[i - 1] if i else None
        after = maps[i + 1] if i + 1 < len(maps) else None
        out[kind_of(mapping, before, after)] += mapping.anonymous_kb / 1024
    return out
