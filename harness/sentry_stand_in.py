"""A stand-in for Sentry's ingestion endpoint on 127.0.0.1, where a container on the host network
reaches it: it takes the envelopes sentry-sdk sends with the DSN's key, and keeps their items (an
error report is an `event`); or, once told to hang, it accepts each connection and never answers,
as a Sentry that is down behind a load balancer still taking connections does."""

from __future__ import annotations

import gzip
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROJECT_ID = 42


def envelope_items(body: bytes) -> list[tuple[dict, bytes]]:
    """The (header, payload) of each item of a Sentry envelope: a header line for the envelope, then
    per item a header line and its payload, of the header's `length` or up to the next newline."""
    _envelope_header, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] :].removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


class SentryStandIn:
    def __init__(self):
        self.key = secrets.token_hex(16)
        self.items: list[tuple[dict, bytes]] = []
        self.refused: list[str] = []
        self.hanging = False
        self.released = threading.Event()
        self.received = threading.Condition()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if stand_in.hanging:
                    stand_in.released.wait(timeout=300)
                    self.close_connection = True
                    return
                if f"sentry_key={stand_in.key}" not in self.headers.get("X-Sentry-Auth", ""):
                    stand_in.refused.append(self.path)
                    self.send_response(403)
                    self.end_headers()
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with stand_in.received:
                    stand_in.items.extend(envelope_items(body))
                    stand_in.received.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def dsn(self) -> str:
        return f"http://{self.key}@127.0.0.1:{self.server.server_address[1]}/{PROJECT_ID}"

    def events(self) -> list[dict]:
        with self.received:
            return [json.loads(payload) for header, payload in self.items if header.get("type") == "event"]

    def item_types(self) -> set[str]:
        with self.received:
            return {header.get("type") for header, _ in self.items}

    def wait_for_event(self, matches, timeout: float = 30) -> dict:
        """The first event received for which matches(event) is true, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        with self.received:
            while True:
                found = [event for event in self.events() if matches(event)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no such event in {timeout} s; received {self.item_types() or 'nothing'}"
                self.received.wait(timeout=left)

    def hang(self):
        """From now on, hold every request unanswered until close()."""
        self.hanging = True

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
