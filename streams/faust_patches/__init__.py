"""Patches to faust-streaming 0.15.3, each answering a named Faust behaviour or issue.

They reach into Faust's internals, written for that one release: importing any of them with
another version installed fails at once, rather than patching code that has moved.
"""

from __future__ import annotations

import faust

PATCHED_VERSION = "0.15.3"  # pyproject.toml pins the same

if faust.__version__ != PATCHED_VERSION:
    raise ImportError(
        f"streams.faust_patches were written for faust-streaming {PATCHED_VERSION}, "
        f"not {faust.__version__}: check each patch against the new release, then raise "
        "PATCHED_VERSION and the pin in pyproject.toml together"
    )
