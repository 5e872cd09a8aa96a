"""The ingest process's metric lines never block it, and never reach the worker in pieces."""

from __future__ import annotations

import os

import orjson

from shipwatch.cli.ingest import RelayOut


def drain(fd: int) -> bytes:
    """Everything in the pipe now."""
    os.set_blocking(fd, False)
    got = b""
    try:
        while chunk := os.read(fd, 1 << 16):
            got += chunk
    except BlockingIOError:
        pass
    return got


def test_a_full_pipe_drops_lines_instead_of_blocking_and_every_line_arrives_whole() -> None:
    read, write = os.pipe()
    try:
        out = RelayOut(write)
        # Lines of uneven size, far more than a pipe holds, as while the worker still recovers
        # its tables and reads nothing: not one write may block.
        lines = [orjson.dumps({"n": n, "pad": "x" * (n % 7000)}) + b"\n" for n in range(400)]
        for line in lines:
            out.write(line)
        got = drain(read)
        for line in lines[:50]:  # the worker reads again: what is written from now on arrives
            out.write(line)
            got += drain(read)
        out.last(b'{"n": "last"}\n')
        got += drain(read)
    finally:
        os.close(read)
        os.close(write)
    received = [orjson.loads(row) for row in got.splitlines()]  # each one whole
    assert len(received) < 450  # some were dropped while the pipe was full...
    assert received[-1] == {"n": "last"}  # ...but never the final counts
    numbers = [r["n"] for r in received[:-1]]
    assert numbers[:5] == [0, 1, 2, 3, 4]
    assert len(numbers) > 50
