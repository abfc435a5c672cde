"""The image's health check (its HEALTHCHECK runs `python -m <package>.healthcheck`), and the
heartbeat of the task worker, which it reads.

The worker (`manage.py worker`) beats from inside its loop: each time its backend answered, and
every few seconds while a task runs, from a thread beside it. A container whose worker has beaten
is healthy while the last beat is younger than MAX_AGE seconds: a worker that is stopped, stuck
outside a task, or cannot reach its backend stops beating and turns unhealthy within a minute,
while one busy with a long task stays healthy. Any other container is
healthy while its gateway answers /healthz.
"""

import functools
import os
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

# In /tmp, which is writable even on a read-only root file system, and private to the container.
HEARTBEAT = Path(tempfile.gettempdir()) / f"{__package__}-worker-heartbeat"
# Seconds between beats while a task runs; a heartbeat older than MAX_AGE has missed several.
BUSY_BEAT_SECONDS = 5
MAX_AGE = 20


def beat():
    HEARTBEAT.touch()


# Set while a task runs; one thread, started with the first task, beats meanwhile. A thread
# started and joined for each task instead held each task up by milliseconds (waiting its turn to
# run): the worker ran half as many short tasks a second (docs/benchmark.md, the task worker).
_busy = threading.Event()


@functools.cache
def _start_beating_while_busy():
    def beat_while_busy():
        while _busy.wait():
            time.sleep(BUSY_BEAT_SECONDS)
            if _busy.is_set():
                beat()

    threading.Thread(target=beat_while_busy, name="heartbeat", daemon=True).start()


@contextmanager
def beating():
    """Beat every BUSY_BEAT_SECONDS while the block (a task) runs."""
    _start_beating_while_busy()
    _busy.set()
    try:
        yield
    finally:
        _busy.clear()


def problem():
    """Why this container is unhealthy, or "" when it is healthy."""
    try:
        age = time.time() - HEARTBEAT.stat().st_mtime
    except FileNotFoundError:
        url = f"http://127.0.0.1:{os.environ.get('PORT', '80')}/healthz"
        try:
            urllib.request.urlopen(url, timeout=4).close()
        except OSError as error:
            return f"{url} does not answer: {error}"
        return ""
    if age > MAX_AGE:
        return f"the worker's last heartbeat is {age:.0f} s old (at most {MAX_AGE} s)"
    return ""


if __name__ == "__main__":
    if reason := problem():
        sys.exit(f"unhealthy: {reason}")
