"""The running image's logs under every gateway: one JSON object a line from start to stop (a long
one whole), one access line a request, the request's id on every line written while serving it, an
X-Request-ID that is not an id never echoed, and no secret on any line."""

from __future__ import annotations

import re
import socket

import pytest
import requests

from extensions import variants
from harness.environments import production_env
from harness.images import LONG_LINE_CHARACTERS, App, with_test_views
from harness.logs import json_lines

PASSWORD = "database-password-7f3a"
COOKIE = "session-cookie-value-91c2"
AUTHORIZATION = "Bearer authorization-token-5d0e"
GIVEN_ID = "req-2f9c.A_1"
HOSTILE_IDS = ("a" * 2048, "quoted\"id'", "spaced id")
WORKERS = 2


@pytest.fixture
def app(docker_client, render, build, server, tmp_path):
    """The image with the test views (test_forwarded_headers.py builds the same), its database
    out of reach behind a URL with a password."""
    image = build(with_test_views(render(database="postgresql", server=server), tmp_path))
    env = production_env(
        DOMAIN="localhost",
        DATABASE_URL=f"postgres://app:{PASSWORD}@127.0.0.1:9/none",
        SECURE_SSL_REDIRECT="false",
        WEB_CONCURRENCY=str(WORKERS),
    )
    app = App(docker_client, image, env)
    try:
        yield app.start()
    finally:
        app.remove()


def raw_request(app: App, header_lines: bytes) -> bytes:
    """What the gateway answers to a GET / with these header lines, sent as they are."""
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + header_lines + b"\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
        return answer


def test_logs_are_json_lines_tied_to_their_request_and_free_of_secrets(app, server):
    secrets = [PASSWORD, COOKIE, AUTHORIZATION.split()[1], app.env["SECRET_KEY"]]
    url = app.url("/client/")
    headers = {
        "Host": "localhost",
        "X-Request-ID": GIVEN_ID,
        # From 127.0.0.1, a proxy of the default FORWARDED_ALLOW_IPS, which names the client.
        "X-Forwarded-For": "203.0.113.9",
        "Cookie": f"sessionid={COOKIE}",
        "Authorization": AUTHORIZATION,
    }
    answer = requests.get(url, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["X-Request-ID"] == GIVEN_ID
    failed = requests.get(
        app.url("/boom/"), headers={"Host": "localhost", "Cookie": f"csrftoken={COOKIE}"}, timeout=10
    )
    assert failed.status_code == 500
    # The database is out of reach: the readiness probe logs why, with no password.
    assert (
        requests.get(
            app.url("/readyz"), headers={"Host": "localhost", "Authorization": AUTHORIZATION}, timeout=10
        ).status_code
        == 503
    )
    assert requests.get(app.url("/long-line/"), headers={"Host": "localhost"}, timeout=10).ok
    replaced = []
    for hostile in HOSTILE_IDS:
        answer = requests.get(
            app.url("/client/"), headers={"Host": "localhost", "X-Request-ID": hostile}, timeout=10
        )
        assert answer.headers["X-Request-ID"] != hostile
        replaced.append(answer.headers["X-Request-ID"])
    # A line break in the header: the gateway refuses the request or the line, never echoes it.
    forged = raw_request(app, b'X-Request-ID: evil"}\n{"forged": "line"\r\n')
    assert b"forged" not in forged, forged[:2000]
    assert b"evil" not in forged, forged[:2000]
    app.container.stop(timeout=30)
    assert app.wait_for_exit() == 0, app.logs()[-4000:]
    output = app.logs()

    row = variants.SERVERS[server]
    lines = json_lines(output, row.unstructured_start_lines)
    if row.worker_stop_line:
        # Each worker's last line, logged after its last batch of lines was written.
        stopped = [line for line in lines if re.fullmatch(row.worker_stop_line, line["message"])]
        assert len(stopped) == WORKERS, output[-4000:]
    given = [line for line in lines if line.get("request_id") == GIVEN_ID]
    (access,) = [line for line in given if line["logger"] == "access"]
    fields = {name: access[name] for name in ("method", "path", "status", "client")}
    assert fields == {"method": "GET", "path": "/client/", "status": 200, "client": "203.0.113.9"}
    assert access["duration_ms"] >= 0
    # The view's own line carries it too.
    assert "answering the client" in [line["message"] for line in given], given
    failure = [line for line in lines if line.get("path") == "/boom/" or "/boom/" in line["message"]]
    assert {line["level"] for line in failure} == {"INFO", "ERROR"}, failure
    assert len({line["request_id"] for line in failure}) == 1, failure
    assert "a view that fails" in "".join(line.get("exception", "") for line in failure), failure
    (long_line,) = [line for line in lines if line["message"].startswith("a long line")]
    assert len(long_line["message"]) > LONG_LINE_CHARACTERS
    # One access line a request, each with the id the response gave; the hostile ones nowhere.
    for request_id in [GIVEN_ID, *replaced]:
        assert (
            len(
                [
                    line
                    for line in lines
                    if line.get("request_id") == request_id and line["logger"] == "access"
                ]
            )
            == 1
        )
    for text in [*HOSTILE_IDS, "evil", "forged", *secrets]:
        assert text not in output, f"{text[:40]!r} was logged"
