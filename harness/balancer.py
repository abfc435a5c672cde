"""HAProxy in front of a set of replicas on 127.0.0.1, and a bounded load that counts every
request it sends through it."""

from __future__ import annotations

import collections
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests

from harness.services import HOST, free_port

# Health checks as a load balancer does them: GET /readyz every 300 ms; one failure takes a
# replica out, one success puts it back. No retries and no connection reuse towards the replicas:
# a request a replica drops reaches the client as an error, not hidden by the balancer.
CONFIG = """\
global
    stats socket {socket} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A check that answers slowly on a loaded machine is not a failed check; a 503 from /readyz is.
    timeout check 3s
    retries 0
    option http-server-close
frontend web
    bind {host}:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 300ms fall 1 rise 1
{servers}
"""


def haproxy_binary() -> str | None:
    return shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin:/usr/bin")


class HAProxy:
    """HAProxy on a free loopback port, balancing the given ports; a port with nothing on it yet
    is a replica that is down."""

    def __init__(self, workdir: Path, ports: list[int]):
        self.workdir = workdir
        self.port = free_port()
        self.socket = workdir / "haproxy.sock"
        self.names = {port: f"replica{index}" for index, port in enumerate(ports)}
        servers = "\n".join(f"    server {name} {HOST}:{port} check" for port, name in self.names.items())
        self.config = workdir / "haproxy.cfg"
        self.config.write_text(CONFIG.format(socket=self.socket, host=HOST, port=self.port, servers=servers))
        self.log = workdir / "haproxy.log"
        self.process = None

    def start(self) -> HAProxy:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [haproxy_binary(), "-db", "-f", self.config], stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def states(self) -> dict[int, str]:
        """Each balanced port's state as HAProxy sees it now: UP, DOWN, ..."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.settimeout(5)
            admin.connect(str(self.socket))
            admin.sendall(b"show stat\n")
            csv = b""
            while chunk := admin.recv(65536):
                csv += chunk
        rows = [line.split(",") for line in csv.decode().splitlines() if line and not line.startswith("#")]
        by_name = {row[1]: row[17].split()[0] for row in rows if row[0] == "replicas"}
        return {port: by_name.get(name, "") for port, name in self.names.items()}

    def wait_for(self, expected: dict[int, str], timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                states = self.states()
                if all(states[port] == state for port, state in expected.items()):
                    return
            except OSError as error:  # the admin socket is not there yet
                states = str(error)
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"HAProxy states {states}, expected {expected}"
            time.sleep(0.1)

    def close(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Load:
    """`clients` threads sending GET requests in a loop until stop(), or for at most `limit`
    seconds; counts responses by status and errors by kind."""

    def __init__(self, url: str, headers: dict[str, str], clients=4, limit=90.0):
        self.url = url
        self.headers = headers
        self.limit = limit
        self.statuses = collections.Counter()
        self.errors = collections.Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(clients)]

    def start(self) -> Load:
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def client(self):
        session = requests.Session()
        session.trust_env = False
        while not self.stopping.is_set() and time.monotonic() - self.started < self.limit:
            try:
                status = session.get(
                    self.url, headers=self.headers, allow_redirects=False, timeout=30
                ).status_code
                error = None
            except requests.RequestException as caught:
                status, error = None, type(caught).__name__
            with self.lock:
                if error:
                    self.errors[error] += 1
                else:
                    self.statuses[status] += 1

    def stop(self) -> Load:
        self.stopping.set()
        for thread in self.threads:
            thread.join(40)
        return self

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    @property
    def failures(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200) + sum(
            self.errors.values()
        )
