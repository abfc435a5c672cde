"""Prometheus metrics, when METRICS_PORT is set (README.md, "Metrics"): the duration of each request
Django answers, by URL pattern, method and status; of each database query; and of each task the
worker runs, by task and outcome. A histogram's _count is the number of each.

They are served on METRICS_PORT, never on the gateway's public port. The gateway's processes each
write theirs into a file of their own in PROMETHEUS_MULTIPROC_DIR, a folder drain.py empties at
start and serves the sum of: a scrape counts every request of every worker process, those of a
worker the gateway has replaced included (its file stays, as a count must: with no gauge here,
nothing of a dead process's is to be removed). The task worker, one process, serves its own.
Beside them, target_info names the environment and the release.
"""

import functools
import time

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, Info, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from . import environment as env
from .query_wrappers import wrap_queries

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Any other method a client sends is counted as _OTHER, and a request no URL pattern answered (a
# 404, a redirect to HTTPS) as route "unmatched": label values stay few, whatever clients send.
METHODS = frozenset("GET HEAD POST PUT PATCH DELETE OPTIONS TRACE CONNECT".split())
UNMATCHED = "unmatched"

# Named and labelled as OpenTelemetry's semantic conventions name them in Prometheus.
REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Time Django took to answer a request",
    ["http_request_method", "http_route", "http_response_status_code"],
)
QUERY_DURATION = Histogram(
    "db_client_operation_duration_seconds",
    "Time a database query took",
    ["db_system_name"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_DURATION = Histogram(
    "task_run_duration_seconds",
    "Time the worker took to run a task",
    ["task", "status"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
)


class MetricsMiddleware:
    """Times each request Django answers, and has each database query timed (the settings list it
    when METRICS_PORT is set)."""

    def __init__(self, get_response):
        self.get_response = get_response
        time_queries()

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        request_duration(
            request.method if request.method in METHODS else "_OTHER",
            match.route if match else UNMATCHED,
            response.status_code,
        ).observe(time.perf_counter() - started)
        return response


def time_queries():
    """Time every query of the connections this process opens from now on."""
    wrap_queries(query_timer)


def query_timer(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        query_duration(context["connection"].vendor).observe(time.perf_counter() - started)


# Each set of labels' histogram, looked up once: labels() checks its values on every call. The sets
# are few (METHODS, the URL patterns, the statuses, the database).
@functools.cache
def request_duration(method, route, status):
    return REQUEST_DURATION.labels(method, route, status)


@functools.cache
def query_duration(vendor):
    return QUERY_DURATION.labels(vendor)


def task_ran(task, status, duration):
    TASK_DURATION.labels(task, status).observe(duration)


def serve(port, folder=None):
    """Serve the metrics on `port` of LISTEN_ADDRESS, from a thread: the sum of what the processes
    wrote into `folder`, else this process's own."""
    registry = REGISTRY
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
    # target_info{deployment_environment_name="live",service_version="4f2c1e9"} 1: the environment
    # and the release, named as OpenTelemetry's Prometheus exporter names its resource's.
    target = Info("target", "The environment and the release", registry=registry)
    target.info(
        {
            "deployment_environment_name": env.environment_name(),
            "service_version": env.release() or "",
        }
    )
    address = env.listen_address() or "0.0.0.0"
    try:
        start_http_server(port, addr=address, registry=registry)
    except OSError as error:
        env.stop(f"METRICS_PORT={port} cannot be listened on at {address}: {error.strerror}")
