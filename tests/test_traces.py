"""The running image's OpenTelemetry traces under every gateway, OTEL_EXPORTER_OTLP_ENDPOINT set to
an OTLP/HTTP receiver on loopback (harness/traces.py): a request's span, named by its route, in the
trace of the calling service its traceparent names, with its database queries as children; the
task it enqueues, run by the worker container of the gateway's paired backend, a span of the same
trace; the trace and span ids on the request's log lines, the request's id on the task's; no
OpenTelemetry imported without the endpoint; and, the receiver stopped, requests that answer as
fast and a bounded number of the exporter's lines. (The refusal of a malformed endpoint is in
tests/test_environment_inputs.py.)"""

from __future__ import annotations

import statistics
import time

import pytest
import requests

from extensions import variants
from harness.images import App, run_once, running, with_test_views
from harness.logs import json_lines
from harness.traces import Receiver, children
from harness.workers import HEADERS, start_worker, worker_env

DATABASE = variants.DEFAULT_DATABASE
SLUG = "example_shop"
ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
GIVEN_ID = "req-traced.7"
# The span of a calling service, which the request's continues (W3C Trace Context).
CALLER_TRACE, CALLER_SPAN = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
TRACEPARENT = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
SERVICE = "shop-web"
# The test view that queries and enqueues a task, by its route, and the task it enqueues.
ROUTE_SPAN = "GET tally/"
TASK = f"{SLUG}.urls.tally"
# Sent one after another, with the receiver up, then (twice) down.
TIMED_REQUESTS = 30


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_a_request_its_queries_and_its_task_are_one_trace_and_a_collector_down_slows_no_request(
    docker_client, render, build, server, tmp_path, database_servers, task_servers, receiver
):
    """The image tests/test_logs.py builds for this gateway (the default database's project, the
    gateway's paired worker backend)."""
    worker = variants.paired_worker(DATABASE, server)
    image = build(with_test_views(render(database=DATABASE, server=server), tmp_path))
    env = worker_env(
        DATABASE,
        worker,
        database_servers,
        task_servers,
        **{ENDPOINT: receiver.endpoint},
        OTEL_SERVICE_NAME=SERVICE,
        STAGE="staging",
        GIT_BRANCH="release-2",
        # Batches leave every 0.2 s instead of 5 s.
        OTEL_BSP_SCHEDULE_DELAY="200",
        WEB_CONCURRENCY="2",
    )
    # The test views need no table of Django's; a worker, its queue's (and the periodic tasks').
    with_process = bool(variants.WORKERS[worker].command)
    if with_process:
        status, output = run_once(docker_client, image, ["python", "manage.py", "migrate"], env)
        assert status == 0, output[-3000:]
    with running(App(docker_client, image, env)) as web:
        worker_app = start_worker(docker_client, image, env) if with_process else None
        try:
            imports_opentelemetry(web, server)
            request_and_task_are_one_trace(web, worker_app or web, receiver, server, worker)
            a_collector_down_slows_no_request(web, receiver)
        finally:
            if worker_app:
                worker_app.remove()


def imports_opentelemetry(web: App, server: str):
    """The gateway's application imports OpenTelemetry's tracing SDK and exporter with the endpoint
    set, and not without. (redis-py 8 imports the metrics SDK, for metrics of its own, wherever it
    is installed.)"""
    module = f"{SLUG}.{variants.SERVERS[server].interface}"
    sdk = ("opentelemetry.sdk.trace", "opentelemetry.exporter")
    script = f"import sys, {module}; print(any(name.startswith({sdk}) for name in sys.modules))"
    assert web.exec("python", "-c", script) == "True\n"
    assert web.exec("env", "-u", ENDPOINT, "python", "-c", script) == "False\n"


def request_and_task_are_one_trace(web: App, runs_tasks: App, receiver: Receiver, server: str, worker: str):
    carried = bool(variants.WORKERS[worker].carrier_template)
    answer = requests.get(
        web.url("/tally/?first=0&count=1"),
        headers={**HEADERS, "X-Request-ID": GIVEN_ID, "traceparent": TRACEPARENT},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:2000]

    def complete(spans):
        names = {span.name for span in spans}
        return ROUTE_SPAN in names and (not carried or {f"enqueue {TASK}", f"run {TASK}"} <= names)

    spans = receiver.wait_for(complete, timeout=60)
    (request,) = [span for span in spans if span.name == ROUTE_SPAN]
    assert (request.kind, request.service) == ("SPAN_KIND_SERVER", SERVICE)
    assert (request.trace_id, request.parent_id) == (CALLER_TRACE, CALLER_SPAN)
    assert (request.environment, request.release) == ("staging", "release-2")
    fields = ("http.request.method", "http.route", "http.response.status_code")
    assert [request.attributes[name] for name in fields] == ["GET", "tally/", 200]
    queries = [span for span in children(spans, request) if span.kind == "SPAN_KIND_CLIENT"]
    assert {"CREATE", "INSERT"} <= {span.name for span in queries}, queries
    assert {span.attributes["db.system.name"] for span in queries} == {"postgresql"}
    if carried:
        enqueues = [span for span in children(spans, request) if span.kind == "SPAN_KIND_PRODUCER"]
        assert len(enqueues) == 1, spans
        runs = children(spans, enqueues[0])
        assert len(runs) == 1, spans
        (run,) = runs
        assert (run.name, run.kind, run.attributes["task.status"]) == (
            f"run {TASK}",
            "SPAN_KIND_CONSUMER",
            "SUCCESSFUL",
        )

    # The request's access line carries its span's ids; the task's line, where it ran, the
    # request's id and trace.
    start_lines = variants.SERVERS[server].unstructured_start_lines

    def access_lines(output):
        lines = json_lines(output, start_lines)
        return [line for line in lines if line.get("request_id") == GIVEN_ID and line["logger"] == "access"]

    (access,) = access_lines(web.logs_once(access_lines))
    assert (access["trace_id"], access["span_id"]) == (request.trace_id, request.span_id)

    def task_ran(output):
        return [line for line in json_lines(output, start_lines) if line["message"] == "tally 0 ran"]

    (ran,) = task_ran(runs_tasks.logs_once(task_ran))
    assert (ran.get("request_id"), ran.get("trace_id")) == (GIVEN_ID, request.trace_id), ran


def a_collector_down_slows_no_request(web: App, receiver: Receiver):
    running_durations = timed_requests(web)
    receiver.stop()
    logged_before = len(web.logs().splitlines())
    down_durations = timed_requests(web) + timed_requests(web)

    def read_lines():
        lines = json_lines("\n".join(web.logs().splitlines()[logged_before:]))
        return lines, [line for line in lines if line["logger"].startswith("opentelemetry")]

    # Once an exporter has failed and said so, time for it to retry (after a second) and fail again.
    deadline = time.monotonic() + 10
    while not read_lines()[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    lines, exporter_lines = read_lines()
    # Each worker process's exporter (WEB_CONCURRENCY of them) says it failed, once, however many
    # times it retried.
    assert 1 <= len(exporter_lines) <= 2, exporter_lines
    assert [line for line in lines if line["level"] == "ERROR"] == [], lines
    assert max(down_durations) < 1, down_durations
    assert statistics.median(down_durations) < 2 * statistics.median(running_durations) + 0.01, (
        running_durations,
        down_durations,
    )


def timed_requests(app: App) -> list[float]:
    """Seconds each of TIMED_REQUESTS requests to the test view took, every one answered 200."""
    durations = []
    for _ in range(TIMED_REQUESTS):
        started = time.perf_counter()
        answer = requests.get(app.url("/client/"), headers=HEADERS, timeout=30)
        durations.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text[:2000]
    return durations
