"""The worker's ticker: a thread that, every second, enqueues each scheduled task whose tick has
come, once across all the workers.

Each scheduled task has one row in the database, holding the latest tick enqueued. A worker that
sees a later tick moves the row forward to it with `UPDATE ... WHERE at < tick`, and enqueues the
task in the same transaction only if it moved it: the database lets one worker alone do so, and a
worker whose clock lags never moves it back. With the database backend the task is enqueued in that
transaction, so a tick is enqueued once or not at all. With Redis, a failed enqueue rolls the row
back and the next second tries again; only a commit that fails after the enqueue (the database
going away in between) would let a tick be enqueued twice.

A task first seen now starts at its next tick; ticks missed while no worker ran are enqueued as
one, the latest, when a worker starts.
"""

import logging
import threading
from datetime import datetime

from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from . import SCHEDULES
from .models import Tick

POLL_SECONDS = 1

logger = logging.getLogger(__name__)


def enqueue_due(now: datetime, seen: dict[str, datetime]) -> list[str]:
    """Enqueue each scheduled task whose latest tick no worker has enqueued; the tasks enqueued.
    `seen` holds the latest tick this worker knows enqueued, by task, to skip the database between
    ticks."""
    enqueued = []
    for name, schedule in SCHEDULES.items():
        tick = schedule.latest_tick(now)
        if seen.get(name) == tick:
            continue
        if name not in seen:
            Tick.objects.bulk_create([Tick(task=name, at=tick)], ignore_conflicts=True)
        with transaction.atomic():
            if Tick.objects.filter(task=name, at__lt=tick).update(at=tick):
                schedule.task.enqueue()
                enqueued.append(name)
        seen[name] = tick
    return enqueued


def start(stopping: threading.Event) -> threading.Thread:
    """Load every app's tasks module (where the schedules are declared), then tick in a thread until
    `stopping` is set."""
    autodiscover_modules("tasks")
    thread = threading.Thread(target=run, args=(stopping,), name="ticker", daemon=True)
    thread.start()
    return thread


def run(stopping: threading.Event):
    seen = {}
    logger.info("ticker: %d scheduled tasks", len(SCHEDULES))
    while SCHEDULES:
        try:
            close_old_connections()
            for name in enqueue_due(timezone.now(), seen):
                logger.info("ticker: enqueued %s for its tick at %s", name, seen[name])
        except Exception as error:  # the database or the backend does not answer
            logger.error("ticker: %s: %s; again in %d s", type(error).__name__, error, POLL_SECONDS)
        if stopping.wait(POLL_SECONDS):
            break
    connections.close_all()
