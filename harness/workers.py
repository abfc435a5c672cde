"""Running a project's task worker (`manage.py worker`) beside its web container, and following
the tasks a request enqueues (the test views' /nap/ and /tally/ of harness/images.py) to their end."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from extensions import variants
from harness import services
from harness.environments import production_env
from harness.images import App

WORKER_COMMAND = ["python", "manage.py", "worker"]
# The probes' Host: the domain production_env() gives, over the proxy's https.
HEADERS = {"Host": "example.com", "X-Forwarded-Proto": "https"}


def start_worker(client, image: str, env: dict[str, str], volumes=None, **run_options) -> App:
    """The image with the worker's command, detached; nothing to wait for (it serves no port)."""
    return App(client, image, env, volumes, command=WORKER_COMMAND, **run_options).start(wait=False)


def worker_env(database: str, worker: str, database_servers, task_servers, **overrides) -> dict[str, str]:
    """Production's variables for `database` and `worker`, on a fresh database and backend of the
    session's test servers (conftest's database_servers and task_servers)."""
    if services.has_test_server(database):
        database_url = database_servers(database).create_database(f"tasks_{os.urandom(4).hex()}")
    else:
        database_url = variants.DATABASES[database].local_database_url
    row = variants.WORKERS[worker]
    backend = {row.url_variable: task_servers(worker).fresh_url()} if row.test_server else {}
    return production_env(DATABASE_URL=database_url, **backend, **overrides)


def answer(web: App, path: str, retry_seconds: float = 0) -> dict:
    """The web container's JSON answer to GET `path`. With `retry_seconds`, a failed request is
    tried again meanwhile: after its database restarted, the gateway workers' connection pools
    take a few seconds to connect again, whatever /readyz answered from one of them."""
    deadline = time.monotonic() + retry_seconds
    while True:
        response = requests.get(web.url(path), headers=HEADERS, timeout=10)
        if response.status_code == 200 or time.monotonic() >= deadline:
            assert response.status_code == 200, web.logs()[-3000:]
            return response.json()
        time.sleep(0.1)


def enqueue_nap(web: App, seconds: float, retry_seconds: float = 0) -> dict:
    """Enqueue the test task that sleeps `seconds`, by a request: its result as JSON."""
    return answer(web, f"/nap/?seconds={seconds}", retry_seconds)


def nap_result(web: App, result_id: str, retry_seconds: float = 0) -> dict:
    return answer(web, f"/nap/{result_id}/", retry_seconds)


def wait_for_status(
    web: App, result_id: str, status: str, timeout: float, worker: App | None = None, retry_seconds: float = 0
) -> dict:
    """The task's result once it has `status`; fails after `timeout` seconds with the worker's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = nap_result(web, result_id, retry_seconds)
        if result["status"] == status:
            return result
        time.sleep(0.2)
    log = worker.logs()[-3000:] if worker else ""
    raise AssertionError(f"task {result_id} is {result['status']}, not {status}, after {timeout} s\n{log}")


def health(app: App) -> str:
    """Docker's health status of the container: starting, healthy or unhealthy."""
    app.container.reload()
    return app.container.attrs["State"]["Health"]["Status"]


def wait_for_health(app: App, status: str, timeout: float) -> float:
    """Seconds until Docker calls the container `status`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if health(app) == status:
            return time.monotonic() - started
        time.sleep(0.5)
    log = app.container.attrs["State"]["Health"].get("Log", [])[-2:]
    raise AssertionError(f"the container is {health(app)}, not {status}, after {timeout} s: {log}")


def wait_for_health_check_saying(app: App, text: str, timeout: float) -> None:
    """Until one of Docker's health checks of the container says `text` (its reason to fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.container.reload()
        if any(text in check["Output"] for check in app.container.attrs["State"]["Health"].get("Log", [])):
            return
        time.sleep(0.5)
    raise AssertionError(f"no health check said {text!r} in {timeout} s:\n{app.logs()[-3000:]}")


def tallies(web: App) -> dict[str, dict[int, int]]:
    """The test views' tally rows: for "enqueued" and "ran", the number of rows per task number."""
    response = requests.get(web.url("/tally/counts/"), headers=HEADERS, timeout=10)
    assert response.status_code == 200, response.text[:2000]
    return {
        event: {int(number): rows for number, rows in counted.items()}
        for event, counted in response.json().items()
    }


def enqueue_tallies(web: App, first: int, count: int) -> int:
    """Enqueue the tally tasks numbered first..first+count-1 by one request: its status code."""
    response = requests.get(web.url(f"/tally/?first={first}&count={count}"), headers=HEADERS, timeout=60)
    return response.status_code


def enqueue_tallies_concurrently(web: App, first: int, count: int, batch=10, clients=6) -> list[int]:
    """Enqueue tally tasks first..first+count-1, `batch` a request, from `clients` clients at once:
    the requests' status codes."""
    with ThreadPoolExecutor(clients) as pool:
        starts = range(first, first + count, batch)
        return list(
            pool.map(lambda start: enqueue_tallies(web, start, min(batch, first + count - start)), starts)
        )


def wait_for_tallies(web: App, ran: int, timeout: float, workers: list[App]) -> dict[str, dict[int, int]]:
    """The tallies once `ran` different tasks have run; fails after `timeout` seconds with the
    workers' logs."""
    deadline = time.monotonic() + timeout
    while len((counted := tallies(web))["ran"]) < ran:
        if time.monotonic() > deadline:
            logs = "\n".join(worker.logs()[-2000:] for worker in workers)
            raise AssertionError(f"{len(counted['ran'])} of {ran} tasks ran after {timeout} s\n{logs}")
        time.sleep(0.2)
    return counted
