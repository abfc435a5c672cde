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
# Django's docs' other way to run uvicorn, to compare its start with: gunicorn's master imports the
# app once and forks workers of uvicorn's class, where uvicorn spawns workers that import it anew.
UVICORN_ALTERNATIVES = {
    "gunicorn + uvicorn worker, preloaded": lambda bench: bench.gunicorn_uvicorn_worker_image(),
}


def measure(bench: session.Session) -> dict:
    images = {server: bench.image(session.DATABASE, server) for server in session.SERVERS}
    baselines = {
        f"{label} ({server})": bench.baseline(server, app)
        for server in session.SERVERS
        for app, label in BASELINES.items()
    }
    seconds = {}
    for name, image in [
        *images.items(),
        *baselines.items(),
        *((name, image_of(bench)) for name, image_of in UVICORN_ALTERNATIVES.items()),
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
    rows, measured = [], {}
    for name, times in seconds.items():
        median = statistics.median(times)
        target = figure["target"][0]["text"] if name in verdicts else ""
        rows.append(
            [name, f"{median:.2f}", f"{min(times):.2f}", f"{max(times):.2f}", target, verdicts.get(name, "")]
        )
        measured[name] = f"median {median:.2f} s of {len(times)} (min {min(times):.2f}, max {max(times):.2f})"
    limits = {
        server: "the same image starts in "
        + ", ".join(
            f"{statistics.median(seconds[f'{label} ({server})']):.2f} s serving {label}"
            for label in BASELINES.values()
        )
        + (
            "; the project starts in "
            + ", ".join(
                f"{statistics.median(seconds[name]):.2f} s under {name}" for name in UVICORN_ALTERNATIVES
            )
            if server == "uvicorn"
            else ""
        )
        for server in verdicts
    }
    starts = len(next(iter(seconds.values())))
    return markdown.Rendered(
        measured=measured,
        limits=limits,
        section=markdown.section(
            TITLE,
            f"Seconds from `docker run` (create and start, detached) to the first 200 on `/healthz`, "
            f"polled every 50 ms; {starts} start{'s' * (starts > 1)} each, `WEB_CONCURRENCY=2`. The same "
            "images serving hello-world (`bench/hello/`) and a bare Django (`bench/bare_django/`) show "
            "what the gateway and Django's own import take; the reference image runs the same gunicorn "
            "command. One more row compares uvicorn's way to start its workers (`spawn`: each imports "
            "the app anew) with the project served by gunicorn with uvicorn's worker class "
            "(`uvicorn-worker`, `--preload`: one import of the app, in the master, before it forks "
            "the workers).",
            (["image", "median s", "min s", "max s", "target", "verdict"], rows),
        ),
        summary=[
            (
                "start → first 200 on `/healthz`",
                ", ".join(f"{name} {statistics.median(seconds[name]):.2f} s" for name in verdicts),
                markdown.overall(verdicts.values()),
            )
        ],
    )
