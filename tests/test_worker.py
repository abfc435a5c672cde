"""Background tasks on the image, for each worker backend with each database (the project cell
that pairs them, so its image is the one the other tests build): a task that a request enqueues
runs (in the worker container, or in the web process for a backend with none); on SIGTERM the
worker finishes the task in hand, or returns it to the queue when it takes too long; and its
heartbeat makes Docker's health check, which the Kubernetes probes share, mean something."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from extensions import variants
from harness import services
from harness.environments import production_env
from harness.images import App, compose_stack, run_once, with_test_views
from harness.logs import json_lines
from harness.workers import enqueue_nap, health, start_worker, wait_for_health, wait_for_status

WITH_PROCESS = [name for name, row in variants.WORKERS.items() if row.command]
# The worker with a process that each database's heartbeat test runs (one per backend is enough:
# the heartbeat does not depend on the database, so these cells pair each with a different one).
HEARTBEAT_CELLS = list(zip(variants.DATABASES, WITH_PROCESS, strict=False))
# A backend queued in the project's database is reached differently on each; one with a server of
# its own is the same whatever the database (its first is enough).
# Compose can run only the services whose images need no registry: a file database's project
# (no database service) with a worker backend that has no service of its own.
COMPOSE_CELLS = [
    (database, worker)
    for database, db in variants.DATABASES.items()
    if not db.compose
    for worker, row in variants.WORKERS.items()
    if row.command and not row.compose
]
UNREACHABLE_CELLS = [
    (database, name)
    for name, row in variants.WORKERS.items()
    if row.command
    for database in (list(variants.DATABASES) if not row.url_variable else list(variants.DATABASES)[:1])
]


@pytest.fixture
def image(worker_project, build, tmp_path):
    return build(with_test_views(worker_project, tmp_path))


@pytest.fixture
def env(database, worker, database_servers, task_servers):
    """Production's variables for this database and worker backend, on fresh test servers."""
    if services.has_test_server(database):
        database_url = database_servers(database).create_database(f"tasks_{os.urandom(4).hex()}")
    else:
        database_url = variants.DATABASES[database].local_database_url
    row = variants.WORKERS[worker]
    backend = {row.url_variable: task_servers(worker).fresh_url()} if row.test_server else {}
    return production_env(DATABASE_URL=database_url, **backend)


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
    """start(**overrides): a worker container of the image, removed after the test."""
    started = []

    def start(**overrides):
        worker = start_worker(docker_client, migrated, {**env, **overrides}, data_volumes)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.remove()


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
    stranded = containers(**unreachable)
    wait_for_health(stranded, "unhealthy", timeout=60)
    assert stranded.status() == "running", stranded.logs()[-3000:]
    assert "heartbeat is" in stranded.container.attrs["State"]["Health"]["Log"][-1]["Output"]


@pytest.mark.parametrize(("database", "worker"), HEARTBEAT_CELLS)
def test_a_busy_worker_stays_healthy_and_a_stopped_one_turns_unhealthy_within_a_minute(web, containers):
    worker = containers()
    wait_for_health(worker, "healthy", timeout=40)
    enqueued = enqueue_nap(web, 45)
    wait_for_status(web, enqueued["id"], "RUNNING", timeout=60, worker=worker)
    # Longer than the heartbeat's MAX_AGE and three health checks: the busy worker still beats.
    time.sleep(35)
    assert health(worker) == "healthy", worker.container.attrs["State"]["Health"]["Log"][-1]
    worker.container.kill(signal="SIGSTOP")
    assert wait_for_health(worker, "unhealthy", timeout=60) < 60


@pytest.mark.parametrize(("database", "worker"), COMPOSE_CELLS)
def test_compose_up_starts_the_worker_which_runs_a_task_enqueued_in_a_web_container(
    worker_project, build, docker_client, docker_compose, tmp_path
):
    image = build(worker_project)
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
