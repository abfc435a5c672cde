"""OpenTelemetry traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set (README.md, "Traces"): a span for
each request, named after the URL pattern Django matched, with its database queries as children;
a span for each task it enqueues, and the task's run in the worker as a span of the same trace
(task_context.py carries the trace there). The log lines written in a request or a task carry its
trace and span ids (logs.py).

Only imported then: without it, the project imports nothing of OpenTelemetry's SDK, which would
add to every start. The spans leave in batches, from a thread, for the collector's OTLP/HTTP
receiver; the SDK reads the other standard variables itself (OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*...).

The exporter's thread and connections do not survive a fork, and the gateways fork or spawn their
workers after importing the application (gunicorn's preload_app, uWSGI's master): each process
sets up its own on its first span (tracer()), whichever gateway or worker started it.

A collector that does not answer never holds a request up: a request only queues its spans (the
queue drops them once full), and the exporter's lines about it are one a minute at most (logs.py).
"""

import contextlib
import functools
import os
import threading
from http import HTTPMethod

# The exporter imports requests as each process sets it up: here it is imported with the app, once
# before gunicorn or uWSGI forks, rather than in each worker as its first request waits (0.2 s).
import requests  # noqa: F401
from opentelemetry import trace
from opentelemetry.context import Context, attach, detach
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import environment as env
from . import logs
from .query_wrappers import wrap_queries

# How a trace travels with a task, and from a calling service to a request: W3C Trace Context's
# traceparent (and tracestate) header.
PROPAGATOR = TraceContextTextMapPropagator()

_setting_up = threading.Lock()
_pid, _tracer = None, None


def tracer():
    """This process's tracer, set up on its first call in each process."""
    global _pid, _tracer
    if _pid != os.getpid():
        with _setting_up:
            if _pid != os.getpid():
                _tracer, _pid = set_up(), os.getpid()
    return _tracer


def set_up():
    # The environment and release every signal names, unless OTEL_RESOURCE_ATTRIBUTES names them.
    named = {"deployment.environment.name": env.environment_name()}
    if release := env.release():
        named["service.version"] = release
    resource = Resource(named).merge(Resource.create())
    # Named after the project unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names it.
    if resource.attributes[SERVICE_NAME].startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: __package__}))
    provider = TracerProvider(resource=ResourceHashedOnce(resource.attributes, resource.schema_url))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider.get_tracer(__package__)


class ResourceHashedOnce(Resource):
    """The process's resource, which never changes, hashed once: the OTLP encoder hashes the
    resource of every span it exports, by a JSON dump of its attributes."""

    @functools.cached_property
    def hashed(self):
        return super().__hash__()

    def __hash__(self):
        return self.hashed


class Scope:
    """A span whose ids the log lines written until end() carry, and, if `current`, the parent of
    the spans started meanwhile (the database queries')."""

    def __init__(self, span, current=True):
        self.span = span
        ids = span.get_span_context()
        self.log_tokens = (
            logs.trace_id.set(trace.format_trace_id(ids.trace_id)),
            logs.span_id.set(trace.format_span_id(ids.span_id)),
        )
        self.attached = attach(trace.set_span_in_context(span)) if current else None

    def end(self):
        if self.attached is not None:
            detach(self.attached)
        logs.trace_id.reset(self.log_tokens[0])
        logs.span_id.reset(self.log_tokens[1])
        self.span.end()


def request_scope(method, path, traceparent=None, tracestate=None):
    """The scope of a request's span: front.py opens it before the request is answered, and
    closes it (answered()) after the request's access line, which carries its ids. A well-formed
    traceparent header (a calling service's span) makes the span its child, in its trace; without
    one, or with a malformed one, the span starts a trace."""
    method = method if method in HTTPMethod.__members__ else "_OTHER"
    attributes = {"http.request.method": method, "url.path": path}
    caller = Context()
    if traceparent:
        caller = PROPAGATOR.extract({"traceparent": traceparent, "tracestate": tracestate})
    return Scope(tracer().start_span(method, caller, kind=SpanKind.SERVER, attributes=attributes))


def answered(scope, status):
    scope.span.set_attribute("http.response.status_code", status)
    if status >= 500:
        scope.span.set_status(StatusCode.ERROR)
    scope.end()


class TracesMiddleware:
    """Names the request's span after the URL pattern Django matched, and has each database
    query traced (the settings list it when traces are on). Where no front.py opened the span (an
    adopted project's own WSGI or ASGI module), it opens it."""

    def __init__(self, get_response):
        self.get_response = get_response
        trace_queries()

    def __call__(self, request):
        opened = None
        if not trace.get_current_span().is_recording():
            context = request.headers.get("traceparent"), request.headers.get("tracestate")
            opened = request_scope(request.method, request.path, *context)
        response = self.get_response(request)
        if match := request.resolver_match:
            span = trace.get_current_span()
            span.update_name(f"{request.method} {match.route}".rstrip())
            span.set_attribute("http.route", match.route)
        if opened:
            answered(opened, response.status_code)
        return response


def trace_queries():
    """Trace the queries of the connections this process opens from now on."""
    wrap_queries(query_span)


def query_span(execute, sql, params, many, context):
    # Only as a child: a query outside a request or task (the worker polling) starts no trace.
    if not trace.get_current_span().is_recording():
        return execute(sql, params, many, context)
    operation = sql.split(maxsplit=1)[0].upper() if sql.strip() else "SQL"
    # The statement as Django sends it: the parameters' values stay out.
    attributes = {
        "db.system.name": context["connection"].vendor,
        "db.operation.name": operation,
        "db.query.text": sql,
    }
    # Not made the current span: a query starts no span of its own.
    span = tracer().start_span(operation, kind=SpanKind.CLIENT, attributes=attributes)
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        # Its type only: a database's message may quote the row's values.
        span.set_attribute("error.type", type(error).__qualname__)
        span.set_status(StatusCode.ERROR)
        raise
    finally:
        span.end()


def enqueued(task):
    """The trace context a task enqueued now carries (task_context.py): that of a span of its
    enqueueing, in the current trace (a new one outside a request: a periodic task's)."""
    span = tracer().start_span(f"enqueue {task}", kind=SpanKind.PRODUCER, attributes={"task": task})
    span.end()
    carrier = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


@contextlib.contextmanager
def task_run(task, carried, children):
    """A span of `task`'s run in the trace it `carried` (task_context.running() says what
    `children` is); yields a function that records the task's outcome on it."""
    parent = PROPAGATOR.extract(carried)
    span = tracer().start_span(
        f"run {task}", parent, kind=SpanKind.CONSUMER, attributes={"task": task}
    )

    def ran(status):
        span.set_attribute("task.status", str(status))
        if status == "FAILED":
            span.set_status(StatusCode.ERROR)

    scope = Scope(span, current=children)
    try:
        yield ran
    finally:
        scope.end()
