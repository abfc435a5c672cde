"""One rule for X-Forwarded-For and X-Forwarded-Proto under every gateway: believed from the
proxies FORWARDED_ALLOW_IPS names, dropped from any other client. Tried on the running container,
from two loopback addresses: 127.0.0.1, a proxy of the default FORWARDED_ALLOW_IPS, and 127.0.0.2,
a client that is not."""

from __future__ import annotations

import http.client

import pytest

from harness.environments import production_env
from harness.images import App, running, with_test_views

PROXY, STRANGER = "127.0.0.1", "127.0.0.2"
FORGED = {"Host": "localhost", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.fixture
def started(docker_client, render, build, server, tmp_path):
    """The image with the test views (test_replicas.py's in-flight test builds the same)."""
    image = build(with_test_views(render(database="postgresql", server=server), tmp_path))
    # /client/ touches no database; plain http reaches it, so the scheme it reports is the rule's.
    env = production_env(
        DOMAIN="localhost", DATABASE_URL="postgres://nobody@127.0.0.1:9/none", SECURE_SSL_REDIRECT="false"
    )
    with running(App(docker_client, image, env)) as app:
        yield app


def seen_by_django(app: App, source: str, headers: dict[str, str]) -> str:
    """/client/'s answer, REMOTE_ADDR and scheme, to a request from the loopback address `source`."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/client/", headers=headers)
        response = connection.getresponse()
        assert response.status == 200, response.read()[:2000]
        return response.read().decode()
    finally:
        connection.close()


def test_forwarded_headers_count_only_from_an_allowed_proxy(started, server):
    # A client that is not a proxy names itself: its X-Forwarded-* headers are dropped, and the log
    # says so once per worker process (behind a proxy the variable does not name yet, the clue).
    for _ in range(3):
        assert seen_by_django(started, STRANGER, FORGED) == f"{STRANGER} http"
    warning = "FORWARDED_ALLOW_IPS does not name it"
    logs = started.logs_once(lambda logs: warning in logs)
    warnings = [line for line in logs.splitlines() if warning in line]
    assert 1 <= len(warnings) <= 2, logs[-3000:]  # the image's two workers
    assert all(STRANGER in line for line in warnings), warnings
    # The proxy's headers are believed.
    assert seen_by_django(started, PROXY, FORGED) == "203.0.113.9 https"
    # What a client forged in front of the proxy's own entry is not: the last address that is not
    # a proxy's is the client.
    chained = {**FORGED, "X-Forwarded-For": f"198.51.100.1, 203.0.113.9, {PROXY}"}
    assert seen_by_django(started, PROXY, chained) == "203.0.113.9 https"
    assert seen_by_django(started, PROXY, {"Host": "localhost"}) == f"{PROXY} http"
