"""What a gateway's public port owes a normal client while a handful of idle and slow clients
hold connections to it: answers within a bound, not after their time-outs."""

from __future__ import annotations

import os

import pytest

from harness.environments import production_env
from harness.images import App, run_once, running
from harness.slow_clients import SlowClients, time_requests

WEB_CONCURRENCY = 2
# How long the probe and a page may take while the slow clients hold their connections.
BOUND = 2.0
PROXIED = {"Host": "localhost", "X-Forwarded-Proto": "https"}


@pytest.fixture
def started(docker_client, render, build, server, database_servers):
    """The PostgreSQL image of `server` (test_replicas.py builds the same), migrated and serving."""
    image = build(render(database="postgresql", server=server))
    env = production_env(
        DOMAIN="localhost",
        DATABASE_URL=database_servers("postgresql").create_database(f"slow_{os.urandom(4).hex()}"),
        WEB_CONCURRENCY=str(WEB_CONCURRENCY),
    )
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate", "--noinput"], env)
    assert status == 0, output
    with running(App(docker_client, image, env)) as app:
        yield app


def test_idle_and_slow_connections_do_not_hold_up_the_probe_or_a_page(started, server):
    clients = SlowClients(started.port, idle=WEB_CONCURRENCY, half_head=WEB_CONCURRENCY, slow=1)
    with clients:
        paths = ["/healthz", "/admin/login/"]
        timings = time_requests(started.port, paths, PROXIED, seconds=8, timeout=BOUND)
    print(f"\n{server}, {clients.idle} idle + {clients.half_head} half-head + {clients.slow} slow-header:")
    for timing in timings.values():
        print(f"  {timing.line()}")
    for timing in timings.values():
        assert not timing.failures, timing.line()
        assert timing.slowest() < BOUND, timing.line()
    assert started.status() == "running"
