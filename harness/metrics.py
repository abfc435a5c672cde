"""Reading the Prometheus metrics a container serves on its METRICS_PORT, in the text format, and
the processes of its gateway that wrote them."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

import requests

from harness.images import App

# A sample line of the text format: a name, labels in braces (if any), a value.
SAMPLE = re.compile(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# The files prometheus_client's multiprocess mode writes, one per process, in the folder drain.py
# gives the gateway (metrics.py in the project).
PROCESS_FILE = re.compile(r"^histogram_(\d+)\.db$", re.MULTILINE)


class Sample(NamedTuple):
    name: str
    labels: dict[str, str]
    value: float


def scrape(port: int, path: str = "/metrics") -> list[Sample]:
    """The samples served on 127.0.0.1:`port`, as Prometheus scrapes them."""
    response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers
    samples = []
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE.fullmatch(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            samples.append(Sample(name, dict(LABEL.findall(labels or "")), float(value)))
    return samples


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples named `name` that have `labels` (among others)."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def wait_for_total(port: int, expected: float, name: str, timeout: float = 10, **labels: str) -> float:
    """total() of a scrape, once it is `expected` (a process records a thing it did just after
    doing it): what it last was, which the caller compares, after `timeout` seconds at most."""
    deadline = time.monotonic() + timeout
    while (found := total(scrape(port), name, **labels)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def recording_processes(app: App) -> set[int]:
    """The ids of the container's processes that have recorded metrics: the gateway's workers that
    have served a request."""
    return {int(pid) for pid in PROCESS_FILE.findall(app.exec("sh", "-c", "ls /tmp/*-metrics-*/"))}
