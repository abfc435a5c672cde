"""Background tasks on the image, for each worker backend with each database (the project cell
that pairs them, so its image is the one the other tests build): a task that a request enqueues
runs (in the worker container, or in the web process for a backend with none), on each Django
release line's cells (harness.cells); three workers run each of 300 tasks exactly once; a worker
outlives a restart of the server that holds its queue; on SIGTERM the worker finishes the task in
hand, or returns it to the queue when it takes too long; it counts the tasks it ran in its metrics
and reports a failed one to Sentry; and its heartbeat makes Docker's health check, which the
Kubernetes probes share, mean something."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections import Counter

import pytest

from extensions import variants
from harness import services, stand_ins
from harness.cells import django_cells
from harness.images import App, compose_stack, run_once, with_test_views
from harness.logs import json_lines
from harness.metrics import wait_for_total
from harness.services import free_port
from harness.workers import (
    enqueue_nap,
    enqueue_tallies,
    enqueue_tallies_concurrently,
    health,
    nap_result,
    start_worker,
    tallies,
    wait_for_health,
    wait_for_health_check_saying,
    wait_for_status,
    wait_for_tallies,
    worker_env,
)

WITH_PROCESS = [name for name, row in variants.WORKERS.items() if row.command]
# The worker with a process that each database's heartbeat test runs (one per backend is enough:
# the heartbeat does not depend on the database, so these cells pair each with a different one).
HEARTBEAT_CELLS = list(zip(variants.DATABASES, WITH_PROCESS, strict=False))
# A backend queued in the project's database is reached differently on each; one with a server of
# its own is the same whatever the database (its first is enough).
# Compose runs here the services whose images need no registry or have a stand-in: a file
# database's project (no database service) with each worker backend that has a process.
COMPOSE_CELLS = [
    (database, worker)
    for database, db in variants.DATABASES.items()
    if not db.compose or db.compose.stand_in_packages
    for worker, row in variants.WORKERS.items()
    if row.command and (not row.compose or row.compose.stand_in_packages)
]
# Docker's HealthConfig in nanoseconds; the image's own test command (an empty test inherits it).
FREQUENT_HEALTH_CHECK = {"interval": 1_000_000_000, "start_period": 1_000_000, "retries": 1}
UNREACHABLE_CELLS = [
    (database, name)
    for name, row in variants.WORKERS.items()
    if row.command
    for database in (list(variants.DATABASES) if not row.url_variable else list(variants.DATABASES)[:1])
]
# The server that holds a backend's queue, restarted under its worker: the database for a backend
# queued there (each database with a server: a SQLite file has nothing to restart), the backend's
# own for one with a server of its own (Redis: the same whatever the database, so once, beside a
# database that has no server to restart).
RESTART_CELLS = [
    (database, name)
    for name, row in variants.WORKERS.items()
    if row.command
    for database in variants.DATABASES
    if services.has_test_server(database) != bool(row.test_server)
]
# Each worker backend with a process once, on the default database: its cells' images are those
# tests/test_logs.py and tests/test_metrics.py build for their gateways.
METRICS_CELLS = [(variants.DEFAULT_DATABASE, name) for name in WITH_PROCESS]
# What the worker logs when its queue's server does not answer: this template's database worker,
# RQ's worker.
OUTAGE_LOGGED = re.compile(r"the database does not answer|could not connect to Redis")


@pytest.fixture
def image(worker_project, build, tmp_path):
    return build(with_test_views(worker_project, tmp_path))


@pytest.fixture
def env(database, worker, database_servers, task_servers):
    """Production's variables for this database and worker backend, on fresh test servers."""
    return worker_env(database, worker, database_servers, task_servers)


@pytest.fixture
def migrated(docker_client, image, env, data_volumes):
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate"], env, data_volumes)
    assert status == 0, output
    return image


@pytest.fixture
def web(docker_client, migrated, env, data_volumes):
    app = App(docker_client, migrated, env, data_volumes).start()
    yield app
    app.remove()


@pytest.fixture
def containers(docker_client, migrated, env, data_volumes):
    """start(run_options, **overrides): a worker container of the image, with `overrides` of the
    environment and Docker's `run_options`; removed after the test."""
    started = []

    def start(run_options=None, **overrides):
        options = run_options or {}
        worker = start_worker(docker_client, migrated, {**env, **overrides}, data_volumes, **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.remove()


@pytest.mark.parametrize(
    ("database", "worker", "django_version"), django_cells("database", "worker", "django_version")
)
def test_a_task_enqueued_by_a_request_runs_and_its_result_is_read_back(web, containers, worker):
    enqueued = enqueue_nap(web, 0.1)
    if not variants.WORKERS[worker].command:
        # No worker: the request ran it before it answered.
        assert (enqueued["status"], enqueued["return_value"]) == ("SUCCESSFUL", 0.1)
        return
    time.sleep(1)
    assert wait_for_status(web, enqueued["id"], "READY", timeout=1)["return_value"] is None
    worker_container = containers()
    result = wait_for_status(web, enqueued["id"], "SUCCESSFUL", timeout=60, worker=worker_container)
    assert result["return_value"] == 0.1
    assert health(worker_container) in ("starting", "healthy")


@pytest.mark.variants(worker=WITH_PROCESS.__contains__)
def test_on_sigterm_the_worker_finishes_the_task_in_hand_and_exits_0(web, containers):
    worker = containers()
    enqueued = enqueue_nap(web, 4)
    wait_for_status(web, enqueued["id"], "RUNNING", timeout=60, worker=worker)
    worker.container.stop(timeout=30)
    assert worker.wait_for_exit() == 0, worker.logs()[-3000:]
    assert wait_for_status(web, enqueued["id"], "SUCCESSFUL", timeout=1)["return_value"] == 4
    # From its start to its exit, the worker logged JSON objects only, the task's lines among them.
    assert any("nap" in line["message"] for line in json_lines(worker.logs()))


@pytest.mark.variants(worker=WITH_PROCESS.__contains__)
def test_a_task_that_outlasts_the_shutdown_timeout_goes_back_to_the_queue_and_the_next_worker_runs_it(
    web, containers
):
    first = containers(WORKER_SHUTDOWN_TIMEOUT="1")
    enqueued = enqueue_nap(web, 6)
    wait_for_status(web, enqueued["id"], "RUNNING", timeout=60, worker=first)
    started = time.monotonic()
    first.container.stop(timeout=30)
    assert first.wait_for_exit() == 0, first.logs()[-3000:]
    assert time.monotonic() - started < 5, "the worker gave the task 1 s, not until Docker's kill"
    assert "back in the queue" in first.logs()
    wait_for_status(web, enqueued["id"], "READY", timeout=5, worker=first)
    second = containers()
    assert wait_for_status(web, enqueued["id"], "SUCCESSFUL", timeout=60, worker=second)["return_value"] == 6


@pytest.mark.variants(worker=WITH_PROCESS.__contains__)
def test_three_workers_run_each_of_300_tasks_enqueued_by_concurrent_requests_exactly_once(web, containers):
    """Each task adds a row each time it runs. With SQLite the web container and the workers write
    the same file meanwhile (settings.py's WAL, busy timeout and immediate transactions): no request
    fails and no container logs `database is locked`."""
    tasks = 300
    workers = [containers() for _ in range(3)]
    # The first request creates the table (alone: PostgreSQL's CREATE TABLE IF NOT EXISTS races),
    # and its tasks show a worker is up before the rest are enqueued while they run.
    assert enqueue_tallies(web, 0, 10) == 200
    wait_for_tallies(web, 1, timeout=60, workers=workers)
    statuses = enqueue_tallies_concurrently(web, 10, tasks - 10)
    assert statuses.count(200) == len(statuses), Counter(statuses)
    wait_for_tallies(web, tasks, timeout=180, workers=workers)
    # Stopped, the workers have finished whatever they held: every run is counted.
    for worker in workers:
        worker.container.stop(timeout=30)
    for worker in workers:
        assert worker.wait_for_exit() == 0, worker.logs()[-3000:]
    counted = tallies(web)
    assert counted["enqueued"] == dict.fromkeys(range(tasks), 1)
    assert counted["ran"] == dict.fromkeys(range(tasks), 1), {
        n: c for n, c in counted["ran"].items() if c != 1
    }
    for app in (web, *workers):
        assert "database is locked" not in app.logs(), app.logs()[-3000:]


@pytest.mark.parametrize(("database", "worker"), METRICS_CELLS)
def test_the_worker_counts_the_tasks_it_ran_by_outcome_and_reports_the_failed_one_to_sentry(
    web, containers, sentry
):
    """Sentry's report comes from the process that ran the task: the worker's own for the database
    backend, the one RQ forks for each task for Redis."""
    port = free_port()
    worker = containers(METRICS_PORT=str(port), SENTRY_DSN=sentry.dsn, STAGE="staging", GIT_COMMIT="4f2c1e9")
    # time.sleep() refuses a negative length: that task fails.
    succeeded, failed = [enqueue_nap(web, 0) for _ in range(3)], enqueue_nap(web, -1)
    for enqueued in succeeded:
        wait_for_status(web, enqueued["id"], "SUCCESSFUL", timeout=60, worker=worker)
    wait_for_status(web, failed["id"], "FAILED", timeout=10, worker=worker)
    task = "example_shop.urls.nap"
    count = "task_run_duration_seconds_count"
    assert wait_for_total(port, 3, count, task=task, status="SUCCESSFUL") == 3
    assert wait_for_total(port, 1, count, task=task, status="FAILED") == 1
    event = sentry.wait_for_event(lambda event: "exception" in event, timeout=10)
    exception = event["exception"]["values"][-1]
    assert (exception["type"], exception["value"]) == ("ValueError", "sleep length must be non-negative")
    assert (event["environment"], event["release"]) == ("staging", "4f2c1e9")


@pytest.mark.parametrize(("database", "worker"), RESTART_CELLS)
def test_a_worker_outlives_a_restart_of_its_queues_server_and_runs_the_tasks_after_it(
    web, containers, database, worker, database_servers, task_servers
):
    """The server restarted is the one that holds the queue (RESTART_CELLS): PostgreSQL's or
    MariaDB's for the database backend, Redis for the redis backend. The database backend on SQLite
    has no such cell: a file has no server to restart."""
    row = variants.WORKERS[worker]
    server = task_servers(worker) if row.test_server else database_servers(database)
    running = containers()
    before = enqueue_nap(web, 0)
    wait_for_status(web, before["id"], "SUCCESSFUL", timeout=60, worker=running)
    server.stop()
    try:
        deadline = time.monotonic() + 30
        while not OUTAGE_LOGGED.search(running.logs()):
            assert time.monotonic() < deadline, f"the worker did not notice:\n{running.logs()[-3000:]}"
            time.sleep(0.2)
    finally:
        server.start()
    # The web container's own recovery is test_images.py's: here it only has to serve again.
    after = enqueue_nap(web, 0, retry_seconds=30)
    wait_for_status(web, after["id"], "SUCCESSFUL", timeout=60, worker=running, retry_seconds=30)
    assert running.status() == "running"


@pytest.mark.parametrize(("database", "worker"), UNREACHABLE_CELLS)
def test_a_worker_that_cannot_reach_its_backend_keeps_trying_and_turns_unhealthy(
    containers, worker, database, env
):
    row = variants.WORKERS[worker]
    # Where nothing answers: the backend's own server, or else the database.
    nowhere = f"127.0.0.1:{services.free_port()}"
    if row.url_variable:
        unreachable = {row.url_variable: f"redis://{nowhere}/0"}
    elif services.has_test_server(database):
        unreachable = {"DATABASE_URL": f"{variants.DATABASES[database].url_schemes[0]}://root@{nowhere}/db"}
    else:
        unreachable = {"DATABASE_URL": "sqlite:////nonexistent/db.sqlite3"}
    # The image's health check, run every second from the start: the heartbeat test proves its
    # own timing; this one that the check fails once the worker's first beat (at its start) is
    # MAX_AGE (20 s) old, and keeps failing while the worker keeps trying.
    stranded = containers({"healthcheck": FREQUENT_HEALTH_CHECK}, **unreachable)
    wait_for_health_check_saying(stranded, "heartbeat is", timeout=60)
    assert health(stranded) == "unhealthy"
    assert stranded.status() == "running", stranded.logs()[-3000:]
    assert stranded.logs().count("does not answer") >= 2, stranded.logs()[-3000:]


@pytest.mark.parametrize(("database", "worker"), HEARTBEAT_CELLS)
def test_a_busy_worker_stays_healthy_and_a_stopped_one_turns_unhealthy_within_a_minute_and_back(
    web, containers
):
    # Two workers at once, so that the test waits once: one busy in a 90 s task, one stopped and
    # resumed (started once the task runs: a stopped RQ worker's pending pop could take it).
    busy = containers()
    enqueued = enqueue_nap(web, 90)
    wait_for_status(web, enqueued["id"], "RUNNING", timeout=60, worker=busy)
    running = time.monotonic()
    stopped = containers()
    wait_for_health(stopped, "healthy", timeout=40)
    stopped.container.kill(signal="SIGSTOP")
    assert wait_for_health(stopped, "unhealthy", timeout=60) < 60
    stopped.container.kill(signal="SIGCONT")
    # Resumed, it beats again; Docker's next check (every 10 s) sees it.
    wait_for_health(stopped, "healthy", timeout=25)
    # Well past the heartbeat's MAX_AGE and many health checks: the busy worker still beats.
    time.sleep(max(0.0, 80 - (time.monotonic() - running)))
    assert health(busy) == "healthy", busy.container.attrs["State"]["Health"]["Log"][-1]
    assert nap_result(web, enqueued["id"])["status"] == "RUNNING"


@pytest.mark.parametrize(("database", "worker"), COMPOSE_CELLS)
def test_compose_up_starts_the_worker_which_runs_a_task_enqueued_in_a_web_container(
    database, worker, worker_project, build, docker_client, docker_compose, tmp_path
):
    image = build(worker_project)
    for service in (variants.DATABASES[database].compose, variants.WORKERS[worker].compose):
        if service:
            stand_ins.service_image(docker_client, service)
    project = shutil.copytree(worker_project, tmp_path / "project")
    # A checkout as a user has it: readable by the container's user, `data` writable.
    subprocess.run(["chmod", "-R", "a+rX", project], check=True)
    (project / "data").chmod(0o777)
    (package,) = [path.parent.name for path in project.glob("*/healthcheck.py")]
    in_web = ["run", "--rm", "web", "python", "manage.py"]
    with compose_stack(docker_client, image, docker_compose, project, services=("web", "worker")) as compose:
        migrated = compose(*in_web, "migrate")
        assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
        started = compose("up", "--detach", "worker")
        assert started.returncode == 0, started.stderr[-3000:]
        task = f"from {package}.tasks import clear_expired_sessions as task"
        enqueue = f"{task}; print(task.enqueue().id)"
        enqueued = compose(*in_web, "shell", "--verbosity=0", "-c", enqueue)
        assert enqueued.returncode == 0, enqueued.stderr[-3000:]
        task_id = enqueued.stdout.split()[-1]
        status = f"{task}; print(task.get_result({task_id!r}).status)"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            result = compose(*in_web, "shell", "--verbosity=0", "-c", status)
            if result.stdout.split()[-1:] == ["SUCCESSFUL"]:
                break
        else:
            raise AssertionError(f"{result.stdout}{result.stderr}{compose('logs', 'worker').stdout[-3000:]}")
        assert task_id in compose("logs", "worker").stdout, "the worker container ran it"
        # Docker's first health check runs 10 s after the start (the image's HEALTHCHECK interval).
        deadline = time.monotonic() + 45
        while "(healthy)" not in (listed := compose("ps", "worker").stdout):
            assert time.monotonic() < deadline, listed
            time.sleep(1)
