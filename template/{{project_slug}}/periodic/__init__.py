"""Periodic tasks: `@every(period)` above a task's `@task()` enqueues it once per period, whichever
of the workers sees the tick first (README.md, "Periodic tasks").

Ticks fall at whole multiples of the period since 1970-01-01 UTC, moved on by `at`:
`@every(timedelta(days=1), at=timedelta(hours=3))` is each day at 03:00 UTC. Every worker computes
the same ticks without talking to the others, and the database lets one alone enqueue each
(ticker.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django_tasks.base import Task

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    task: Task
    period: timedelta
    at: timedelta

    def latest_tick(self, now: datetime) -> datetime:
        """The last tick at or before `now`."""
        return now - (now - EPOCH - self.at) % self.period


# Each scheduled task's schedule, by the task's import path; filled as the tasks modules load.
SCHEDULES: dict[str, Schedule] = {}


def every(period: timedelta, *, at: timedelta = timedelta(0)):
    """Enqueue the task below (which takes no arguments) at each tick of `period`."""
    if period <= timedelta(0) or not timedelta(0) <= at < period:
        raise ValueError(f"@every({period}, at={at}): needs period > 0 and 0 <= at < period")

    def schedule(task: Task) -> Task:
        if not isinstance(task, Task):
            raise TypeError(f"@every goes above @task(), not below it (on {task!r})")
        SCHEDULES[task.module_path] = Schedule(task, period, at)
        return task

    return schedule
