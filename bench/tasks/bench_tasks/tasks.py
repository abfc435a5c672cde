import os
import time
from pathlib import Path

from django_tasks import task


@task()
def started():
    """When it started, by the clock the containers share, and the CPU seconds the container's
    first process, the worker, had used by then: its own and its finished children's (RQ's worker
    runs each task in a child it forks)."""
    fields = Path("/proc/1/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime and cstime, in clock ticks.
    ticks = sum(int(value) for value in fields[11:15])
    return [time.time(), ticks / os.sysconf("SC_CLK_TCK")]
