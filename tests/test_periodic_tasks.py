"""Periodic tasks on the image: three worker containers of one project image, against a real
database (and Redis, for the redis backend), enqueue each tick of a schedule once between them, miss
none, and each tick enqueued runs once.

One cell per worker backend with a process, each on another server database: the database decides
which worker enqueues a tick (a conditional UPDATE of the schedule's row), so the cells cover the
row locking of both, MySQL's (MariaDB's) with the database backend and PostgreSQL's with Redis.
SQLite's writers take turns on the whole file, the simplest case. The projects are those the image
tests build (the paired servers), with the test views and tasks of harness/images.py."""

from __future__ import annotations

import collections
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from harness.images import run_once, with_test_views
from harness.workers import start_worker, worker_env

CELLS = [("mysql", "database"), ("postgresql", "redis")]
PERIOD = timedelta(seconds=2)
WATCHED = 10
TICK = re.compile(r"ticker: enqueued \S+\.record_tick for its tick at (.+)$", re.MULTILINE)
RUNS = (
    "import json; from django.contrib.sessions.models import Session;"
    " print(json.dumps(list(Session.objects.filter(session_key__startswith='tick-')"
    ".values_list('session_data', flat=True))))"
)


def ticks_enqueued(replicas) -> list[datetime]:
    """The ticks the worker containers' logs say they enqueued, all of them together."""
    return [datetime.fromisoformat(tick) for replica in replicas for tick in TICK.findall(replica.logs())]


def as_utc(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pytest.mark.parametrize(("database", "worker"), CELLS)
def test_three_workers_enqueue_each_tick_of_a_schedule_once_and_each_runs_once(
    worker_project,
    build,
    tmp_path,
    docker_client,
    database,
    worker,
    database_servers,
    task_servers,
    data_volumes,
):
    image = build(with_test_views(worker_project, tmp_path))
    env = worker_env(database, worker, database_servers, task_servers, TEST_TICK_SECONDS=str(PERIOD.seconds))
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate"], env, data_volumes)
    assert status == 0, output
    replicas = [start_worker(docker_client, image, env, data_volumes) for _ in range(3)]
    try:
        deadline = time.monotonic() + 60
        while not ticks_enqueued(replicas):
            assert time.monotonic() < deadline, "\n".join(replica.logs()[-2000:] for replica in replicas)
            time.sleep(0.2)
        time.sleep(WATCHED)
        for replica in replicas:
            replica.container.kill(signal="SIGTERM")
        assert [replica.wait_for_exit() for replica in replicas] == [0, 0, 0]
        ticks = ticks_enqueued(replicas)
    finally:
        for replica in replicas:
            replica.remove()

    assert len(ticks) == len(set(ticks)), f"a tick was enqueued twice: {sorted(ticks)}"
    ticks.sort()
    assert ticks == [ticks[0] + PERIOD * n for n in range(len(ticks))], f"a tick was missed: {ticks}"
    assert len(ticks) >= WATCHED / PERIOD.seconds, ticks
    status, output = run_once(
        docker_client, image, ["python", "manage.py", "shell", "-c", RUNS], env, data_volumes
    )
    assert status == 0, output
    # Each run's tick: the last one at or before the moment it was enqueued, within a period of it.
    runs = collections.Counter()
    for enqueued_at in map(as_utc, json.loads(output.splitlines()[-1])):
        tick = max(tick for tick in ticks if tick <= enqueued_at)
        assert enqueued_at - tick < PERIOD, (enqueued_at, ticks)
        runs[tick] += 1
    assert set(runs.values()) == {1}, f"a tick ran more than once: {runs}"
    # Every tick ran, but the last may have been enqueued as the workers stopped.
    assert sorted(runs) in (ticks, ticks[:-1]), (sorted(runs), ticks)
