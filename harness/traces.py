"""An OpenTelemetry collector's OTLP/HTTP receiver on loopback, for the spans a container sends to
its OTEL_EXPORTER_OTLP_ENDPOINT (the generated project's traces.py), decoded with
opentelemetry-proto; and the span trees they make."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from harness.services import HOST, free_port

TRACES_PATH = "/v1/traces"


@dataclass(frozen=True)
class Span:
    service: str
    # The resource's environment and release (deployment.environment.name, service.version).
    environment: str
    release: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict = field(hash=False)


class Receiver:
    """Receives OTLP/HTTP (protobuf) exports at http://127.0.0.1:`port`/v1/traces while started;
    `spans` holds every span received. stop() closes the port: an exporter's connections are
    refused, as by a collector that is down."""

    def __init__(self):
        self.port = free_port()
        self.spans: list[Span] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != TRACES_PATH or self.headers["Content-Type"] != "application/x-protobuf":
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.spans.extend(decode(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, predicate, timeout: float = 30) -> list[Span]:
        """The spans received, once predicate(spans) is true; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(spans := list(self.spans)):
            assert time.monotonic() < deadline, f"no such spans after {timeout} s: {spans}"
            time.sleep(0.2)
        return spans


def decode(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        service=resource.get("service.name", ""),
                        environment=resource.get("deployment.environment.name", ""),
                        release=resource.get("service.version", ""),
                        name=span.name,
                        kind=ProtoSpan.SpanKind.Name(span.kind),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        attributes=attributes(span.attributes),
                    )
                )
    return spans


def attributes(pairs) -> dict:
    """OTLP's key-value list as a dict of its values (strings, integers, booleans, doubles)."""
    return {pair.key: getattr(pair.value, pair.value.WhichOneof("value")) for pair in pairs}


def children(spans: list[Span], parent: Span) -> list[Span]:
    return [span for span in spans if span.parent_id == parent.span_id and span.trace_id == parent.trace_id]
