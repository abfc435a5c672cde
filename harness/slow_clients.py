"""Idle and slow clients on a gateway's port, and a normal client timed while they hold it.

The attack is bounded and loopback only: at most MAX_CONNECTIONS sockets, every one to 127.0.0.1,
closed when the `with` block ends. Three kinds, as a handful of careless or hostile clients open
them on a public port: connections that send nothing, connections that send half a request head
and stop, and one client that sends a request head one byte a second.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

from harness.services import HOST

MAX_CONNECTIONS = 64
HALF_HEAD = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: half-a-head\r\n"
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"


class SlowClients:
    """`idle` connections that send nothing, `half_head` that send half a request head, and
    `slow` clients that send a head one byte every `interval` seconds, all to 127.0.0.1:`port`
    while the block runs. A slow client whose connection the server closes counts it in
    `closed_by_server` and connects again."""

    def __init__(self, port: int, idle: int, half_head: int, slow: int = 1, interval: float = 1.0):
        if idle + half_head + slow > MAX_CONNECTIONS:
            raise ValueError(f"at most {MAX_CONNECTIONS} connections")
        self.port = port
        self.idle, self.half_head, self.slow, self.interval = idle, half_head, slow, interval
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.closed_by_server = 0

    def connect(self) -> socket.socket:
        sock = socket.create_connection((HOST, self.port), timeout=5)
        self.sockets.append(sock)
        return sock

    def __enter__(self) -> SlowClients:
        for _ in range(self.idle):
            self.connect()
        for _ in range(self.half_head):
            self.connect().sendall(HALF_HEAD)
        for _ in range(self.slow):
            thread = threading.Thread(target=self.trickle, daemon=True)
            thread.start()
            self.threads.append(thread)
        time.sleep(0.2)  # the gateway has accepted them
        return self

    def trickle(self):
        sock = self.connect()
        sent = 0
        while not self.stopping.wait(self.interval):
            try:
                sock.sendall(SLOW_HEAD[sent % len(SLOW_HEAD) : sent % len(SLOW_HEAD) + 1])
                sent += 1
            except OSError:
                self.closed_by_server += 1
                sock = self.connect()
                sent = 0

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join(5)
        for sock in self.sockets:
            sock.close()


@dataclass
class Timings:
    """A normal client's requests to one path: seconds each successful one took, and failures."""

    path: str
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def slowest(self) -> float:
        return max(self.seconds, default=float("inf"))

    def line(self) -> str:
        if not self.seconds:
            return f"{self.path}: 0 answered, {len(self.failures)} failed ({', '.join(self.failures[:2])})"
        median = statistics.median(self.seconds)
        return (
            f"{self.path}: {len(self.seconds)} answered, median {median * 1000:.0f} ms, "
            f"slowest {self.slowest() * 1000:.0f} ms, {len(self.failures)} failed"
        )


def time_requests(port: int, paths: list[str], headers: dict[str, str], seconds: float, timeout: float):
    """Request each of `paths` in turn for `seconds`, a new connection each time, as a normal
    client; a request not answered 200 within `timeout` is a failure. {path: Timings}."""
    timings = {path: Timings(path) for path in paths}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in paths:
            started = time.monotonic()
            connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
            try:
                connection.request("GET", path, headers=headers)
                status = connection.getresponse().status
            except OSError as error:
                timings[path].failures.append(type(error).__name__)
            else:
                if status == 200:
                    timings[path].seconds.append(time.monotonic() - started)
                else:
                    timings[path].failures.append(str(status))
            finally:
                connection.close()
    return timings
