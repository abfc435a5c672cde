"""Error reports, and the environment and release every signal names, under every gateway on the
running image: the test views' image tests/test_logs.py builds, built again with its commit as the
build argument (every layer above it reused). A failing request's error reaches a stand-in for
Sentry on loopback, sent from a worker process the gateway forked, with the request's id, the
environment and the release, and without its cookie, authorization or query string; the JSON log
lines and the metrics name the same environment and release; with Sentry hung, requests answer as
fast; the DSN's key is on no log line. (A failing task's report is tests/test_worker.py's.)"""

from __future__ import annotations

import json
import time

import requests

from extensions import variants
from harness.environments import production_env
from harness.images import App, built_with_args, running, with_test_views
from harness.logs import json_lines
from harness.metrics import scrape
from harness.services import free_port

COMMIT = "4f2c1e9d0b3a8c7e6f5a4b3c2d1e0f9a8b7c6d5e"
STAGE = "staging"
REQUEST_ID = "req-7d1e.error_1"
# What a report must not hold: a cookie's value, an Authorization header's, a query string's.
COOKIE, TOKEN, QUERY_TOKEN = "cookie-value-3b8f", "token-value-a94c", "query-value-62d0"
# Far below the 30 s sentry-sdk's transport waits for a Sentry that never answers.
HUNG_SENTRY_LIMIT = 5.0


def test_a_request_error_reaches_sentry_with_its_id_all_signals_name_the_commit_a_hung_sentry_slows_nothing(
    docker_client, render, build, server, sentry, tmp_path
):
    context = with_test_views(render(database="postgresql", server=server), tmp_path)
    build(context)
    metrics_port = free_port()
    env = production_env(
        DOMAIN="localhost",
        DATABASE_URL="sqlite:////data/db.sqlite3",
        SECURE_SSL_REDIRECT="false",
        SENTRY_DSN=sentry.dsn,
        STAGE=STAGE,
        METRICS_PORT=str(metrics_port),
    )
    headers = {
        "Host": "localhost",
        "X-Request-ID": REQUEST_ID,
        "Cookie": f"sessionid={COOKIE}",
        "Authorization": f"Bearer {TOKEN}",
    }
    with (
        built_with_args(docker_client, context, {"GIT_COMMIT": COMMIT}) as image,
        running(App(docker_client, image, env)) as app,
    ):
        failed = requests.get(app.url(f"/boom/?token={QUERY_TOKEN}"), headers=headers, timeout=10)
        assert failed.status_code == 500
        event = sentry.wait_for_event(lambda event: event.get("tags", {}).get("request_id") == REQUEST_ID)
        (target,) = [sample for sample in scrape(metrics_port) if sample.name == "target_info"]

        sentry.hang()
        durations = []
        for _ in range(10):
            started = time.monotonic()
            answer = requests.get(app.url("/boom/"), headers={"Host": "localhost"}, timeout=30)
            durations.append(time.monotonic() - started)
            assert answer.status_code == 500
        app.container.stop(timeout=30)
        output = app.logs()

    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "a view that fails")
    assert (event["environment"], event["release"]) == (STAGE, COMMIT)
    reported = json.dumps(event)
    for private in (COOKIE, TOKEN, QUERY_TOKEN):
        assert private not in reported, f"{private} was reported"
    assert "transaction" not in sentry.item_types(), "Sentry traces nothing: OpenTelemetry does"
    assert not sentry.refused, "every report carried the DSN's key"
    assert target.labels == {"deployment_environment_name": STAGE, "service_version": COMMIT}
    assert max(durations) < HUNG_SENTRY_LIMIT, durations

    assert sentry.key not in output, "the DSN's key was logged"
    lines = json_lines(output, variants.SERVERS[server].unstructured_start_lines)
    ours = [line for line in lines if line["logger"] != "uwsgi"]
    assert {(line.get("environment"), line.get("release")) for line in ours} == {(STAGE, COMMIT)}
    # sentry-sdk and urllib3 say nothing: no line, no warning (sentry-sdk's under uWSGI without fork hooks).
    said = [line for line in lines if line["logger"].startswith(("sentry_sdk", "urllib3"))]
    assert not said + [line for line in lines if "sentry_sdk" in line["message"]]
