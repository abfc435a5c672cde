"""A lock shared by every process of a test run (pytest-xdist's workers) and by concurrent runs
of one checkout: whoever makes a thing first makes it, the others wait and reuse it."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator

from harness import CACHE


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the lock called `name` (a file name) until the block ends."""
    folder = CACHE / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
