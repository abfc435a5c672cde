"""The running image's Prometheus metrics under every gateway, METRICS_PORT set: served on that
port and never on the public one, every request counted once by its route and status whichever
of the two worker processes served it, a worker the gateway replaces included, and the database
queries timed. (The task worker's are in tests/test_worker.py.)"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.environments import production_env
from harness.images import App, running, with_test_views
from harness.metrics import recording_processes, scrape, total
from harness.services import free_port

# The test view's URL and its route (the pattern Django matched), over the proxy's https.
URL, ROUTE = "/client/", "client/"
HEADERS = {"Host": "example.com", "X-Forwarded-Proto": "https"}
REQUESTS = "http_server_request_duration_seconds_count"
QUERIES = "db_client_operation_duration_seconds_count"


@pytest.fixture
def app(docker_client, render, build, server, tmp_path):
    """The image with the test views (tests/test_logs.py builds the same) on two worker
    processes, its metrics on a port of their own, a SQLite database in the container."""
    image = build(with_test_views(render(database="postgresql", server=server), tmp_path))
    env = production_env(
        DATABASE_URL="sqlite:////data/db.sqlite3", WEB_CONCURRENCY="2", METRICS_PORT=str(free_port())
    )
    with running(App(docker_client, image, env)) as app:
        yield app


def send(app: App, count: int) -> int:
    """`count` requests to the test view from 8 clients at once, each answered 200: the count."""
    with ThreadPoolExecutor(8) as pool:
        answers = [*pool.map(lambda _: requests.get(app.url(URL), headers=HEADERS, timeout=10), range(count))]
    assert [answer.status_code for answer in answers] == [200] * count, answers[0].text[:2000]
    return count


def send_until_served_by(app: App, processes: int, first: int, timeout: float = 60) -> int:
    """`first` requests, then more until `processes` worker processes have served some: how many."""
    sent = send(app, first)
    deadline = time.monotonic() + timeout
    while len(recording_processes(app)) < processes:
        assert time.monotonic() < deadline, f"{processes} processes did not serve {sent} requests"
        sent += send(app, 20)
    return sent


def test_metrics_count_each_request_once_over_both_workers_and_a_replaced_one_on_their_port_only(app):
    port = int(app.env["METRICS_PORT"])
    counted = {"http_request_method": "GET", "http_route": ROUTE, "http_response_status_code": "200"}
    sent = send_until_served_by(app, 2, first=200)
    assert total(scrape(port), REQUESTS, **counted) == sent

    # A worker process killed: the gateway starts another, and the count goes on from the sum.
    killed = min(recording_processes(app))
    app.exec("sh", "-c", f"kill -KILL {killed}")
    sent += send_until_served_by(app, 3, first=20)
    assert total(scrape(port), REQUESTS, **counted) == sent

    assert total(scrape(port), QUERIES, db_system_name="sqlite") == 0
    assert requests.get(app.url("/readyz"), headers=HEADERS, timeout=10).status_code == 503
    assert total(scrape(port), QUERIES, db_system_name="sqlite") > 0, "the readiness probe's queries"

    # Not on the public port, at any path a scraper would try.
    for path in ("/metrics", "/metrics/"):
        public = requests.get(app.url(path), headers=HEADERS, timeout=10)
        assert public.status_code == 404, public.text[:2000]
        assert "http_server_request_duration_seconds" not in public.text
