"""Container start to the first 200 on /healthz, per gateway; the same images serving hello-world
and a bare Django instead show what the gateway and Django take of it."""

from __future__ import annotations

import statistics
import time

from bench import markdown, session
from bench.measure import serving
from bench.targets import at_most

TITLE = "Cold start"
TARGET = [at_most("median_seconds", 1.0, " s")]
BASELINES = {"hello": "hello-world", "bare_django": "bare Django"}


def measure(bench: session.Session) -> dict:
    servers = bench.plan.servers
    images = {server: bench.image(bench.plan.database, server) for server in servers}
    baselines = {
        f"{label} ({server})": bench.baseline(server, app)
        for server in servers
        for app, label in BASELINES.items()
    }
    seconds = {}
    for name, image in [
        *images.items(),
        *baselines.items(),
        ("reference (gunicorn)", bench.reference_image()),
    ]:
        seconds[name] = []
        for _ in range(bench.plan.starts):
            started = time.monotonic()
            with serving(bench.client, image, session.app_env()):
                seconds[name].append(round(time.monotonic() - started, 3))
        print(f"  {name}: median {statistics.median(seconds[name]):.2f} s", flush=True)
    checks = [
        {
            "name": server,
            "label": f"container start → first 200 on /healthz, {server}",
            "measured": {"median_seconds": statistics.median(seconds[server])},
        }
        for server in images
    ]
    return {"checks": checks, "data": {"seconds": seconds}}


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
        rendered.limits[server] = "the same image starts in " + ", ".join(
            f"{medians[f'{label} ({server})']:.2f} s serving {label}" for label in BASELINES.values()
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
