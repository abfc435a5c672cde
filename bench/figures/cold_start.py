"""Container start to the first 200 on /healthz, per gateway; the same images serving hello-world
instead show what the gateway takes of it."""

from __future__ import annotations

import statistics
import time

from bench import markdown, session
from bench.measure import check
from bench.targets import at_most
from harness.images import App, running

TITLE = "Cold start"
TARGET = [at_most("median_seconds", 1.0, " s")]


def measure(bench: session.Session) -> dict:
    servers = bench.plan.servers
    images = {server: bench.image(bench.plan.database, server) for server in servers}
    images |= {f"hello-world ({server})": bench.hello_image(server) for server in servers}
    images["reference (gunicorn)"] = bench.reference_image()
    seconds = {
        name: [start(bench, image) for _ in range(bench.plan.starts)] for name, image in images.items()
    }
    label = "container start → first 200 on /healthz, {}"
    checks = [
        check(server, label.format(server), median_seconds=statistics.median(seconds[server]))
        for server in servers
    ]
    return {"checks": checks, "data": {"seconds": seconds}}


def start(bench: session.Session, image: str) -> float:
    """Seconds from `docker run` to the first 200 on /healthz."""
    started = time.monotonic()
    with running(App(bench.client, image, session.app_env())):
        return round(time.monotonic() - started, 3)


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    seconds = figure["data"]["seconds"]
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    rendered = markdown.Rendered()
    rows = []
    for name, times in seconds.items():
        target = figure["target"][0]["text"] if name in verdicts else ""
        low, high = min(times), max(times)
        rows.append(
            [name, f"{medians[name]:.2f}", f"{low:.2f}", f"{high:.2f}", target, verdicts.get(name, "")]
        )
        rendered.measured[name] = (
            f"median {medians[name]:.2f} s of {len(times)} (min {low:.2f}, max {high:.2f})"
        )
    for server in verdicts:
        rendered.limits[server] = (
            f"the same image starts in {medians[f'hello-world ({server})']:.2f} s serving hello-world"
        )
    starts = len(next(iter(seconds.values())))
    rendered.values = {
        "starts": f"{starts} start{'s' * (starts > 1)}",
        "table": markdown.table(["image", "median s", "min s", "max s", "target", "verdict"], rows),
    }
    rendered.summary = [
        (
            "start → first 200 on `/healthz`",
            ", ".join(f"{name} {medians[name]:.2f} s" for name in verdicts),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered
