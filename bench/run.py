"""Benchmark the generated images against a Dockerfile in the guide's style.

    .venv/bin/python -m bench.run [--quick] [--output PATH]

Measures, on this machine and one base image: image size, rebuild time after a code-only change,
cold start, throughput and latency under wrk against a hello-world app on the same gateway,
a 30 s soak with memory per worker, and WhiteNoise against ServeStatic under ASGI. Prints each
figure next to its target as it goes and writes docs/benchmark.md (--quick: shorter loads, fewer
starts, written to bench/results/raw/benchmark-quick.md unless --output says otherwise). wrk's raw
output goes to bench/results/raw/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

from bench import projects, wrk
from extensions import variants
from tests.support import REPO
from tests.support.environments import production_env
from tests.support.images import App, find_base_image, run_once

RAW = REPO / "bench" / "results" / "raw"
DATABASE = "mysql"  # the variant whose driver needs a compiler
SERVERS = list(variants.SERVERS)
SERVESTATIC_VERSION = "4.4.0"
MB = 1e6

# Targets, from the issue.
SIZE_RATIO = 0.5
SIZE_SLACK_MB = 15
REBUILD_RATIO = 0.15
COLD_START_SECONDS = 1.5
THROUGHPUT_RATIO = 0.5

REBUILDS = 3

# A production environment; no path measured here touches the database.
APP_ENV = production_env(DOMAIN="127.0.0.1", DATABASE_URL="sqlite:////tmp/bench.sqlite3", WEB_CONCURRENCY="2")
# Behind the platform's TLS proxy, from a browser: no HTTPS redirect, the gzip variant.
STATIC_HEADERS = ("X-Forwarded-Proto: https", "Accept-Encoding: gzip")
STATIC_FILE = "admin/css/base.css"
LOAD_CONNECTIONS = 10
PERCENTILES = ("p50", "p90", "p99")
SOAK_CONNECTIONS = 50

# Run inside a container: every process with its parent, resident and proportional set size.
PROCESSES = r"""
import json, os
found = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
        rollup = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup") if ":" in line)
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode().strip()
    except OSError:
        continue
    kb = lambda value: int(value.split()[0])
    found.append({"pid": int(pid), "ppid": int(status["PPid"]), "rss_kb": kb(status["VmRSS"]),
                  "pss_kb": kb(rollup["Pss"]), "cmdline": cmdline})
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Plan:
    starts: int
    load_seconds: int
    soak_seconds: int


FULL = Plan(starts=5, load_seconds=10, soak_seconds=30)
QUICK = Plan(starts=2, load_seconds=3, soak_seconds=5)


class Report:
    """The figures, each with its target and verdict, printed as they come and kept for the file."""

    def __init__(self):
        # (figure, target, measured, verdict, what limits a miss)
        self.checks: list[tuple[str, str, str, str, str]] = []
        self.sections: list[str] = []

    def check(self, figure: str, measured: str, target: str, ok: bool, limit: str = "") -> str:
        """Record one figure; `limit` says what the measurements show holds it back, for a miss."""
        verdict = "PASS" if ok else "MISS"
        limit = "" if ok else limit
        print(
            f"  {figure}: {measured} (target {target}) {verdict}" + (f"\n    {limit}" if limit else ""),
            flush=True,
        )
        self.checks.append((figure, target, measured, verdict, limit))
        return verdict

    def section(self, title: str, text: str, *tables: tuple[list[str], list[list]]) -> None:
        parts = [f"## {title}", text.strip(), *(markdown_table(*table) for table in tables)]
        self.sections.append("\n\n".join(part for part in parts if part))


def markdown_table(headers: list[str], rows: list[list]) -> str:
    def cell(value):
        return str(value).replace("|", "\\|")

    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(cell(value) for value in line) + " |" for line in lines)


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def mb(size: float) -> str:
    return f"{size / MB:.0f}"


def ms(value: float) -> str:
    return f"{value:.2f}"


@contextmanager
def serving(client, image: str):
    """The image's CMD on a free loopback port, until /healthz first answers 200."""
    app = App(client, image, APP_ENV)
    try:
        app.start()
        yield app
    finally:
        app.remove()


def load(app: App, path: str, name: str, seconds: int, connections=LOAD_CONNECTIONS) -> wrk.Result:
    """wrk on `path` (with STATIC_HEADERS for a static file); its output is kept under RAW as `name`."""
    headers = STATIC_HEADERS if path.startswith("/static/") else ()
    log = RAW / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt")
    return wrk.run(app.url(path), connections, seconds, headers, log=log)


def static_path(app: App) -> str:
    """The hashed name of STATIC_FILE, from the image's manifest; checked to answer 200 gzipped."""
    manifest = json.loads(app.exec("cat", "/app/staticfiles/staticfiles.json"))
    path = f"/static/{manifest['paths'][STATIC_FILE]}"
    headers = dict(header.split(": ") for header in STATIC_HEADERS)
    response = requests.get(app.url(path), headers=headers, allow_redirects=False, timeout=10)
    if response.status_code != 200 or response.headers.get("Content-Encoding") != "gzip":
        raise AssertionError(f"{path} answered {response.status_code} {dict(response.headers)}")
    return path


def timed_build(client, context: Path, name: str, buildargs: dict[str, str]) -> tuple[str, float]:
    started = time.monotonic()
    tag = projects.build(client, context, name, buildargs)
    return tag, time.monotonic() - started


# --- the figures ------------------------------------------------------------------------------------


def image_size(client, report: Report, template: str, reference: str, base: str) -> None:
    step("image size")

    def size(tag):
        return client.images.get(tag).attrs["Size"]

    status, output = run_once(client, template, ["sh", "-c", "du -sb /venv/lib/python*/site-packages"], {})
    assert status == 0, output
    site_packages = int(output.split()[0])
    template_size, reference_size, base_size = size(template), size(reference), size(base)
    template_layers, reference_layers = layers(client, template, base), layers(client, reference, base)
    ratio = template_size / reference_size
    overhead = template_size - base_size - site_packages
    size_verdict = report.check(
        f"final image size, {DATABASE} variant, against the reference",
        f"{mb(template_size)} MB / {mb(reference_size)} MB = {ratio:.2f}×",
        f"≤ {SIZE_RATIO}×",
        ratio <= SIZE_RATIO,
        "largest layers above the base: "
        + describe(sorted(template_layers, key=lambda layer: -layer[1])[:2]),
    )
    overhead_verdict = report.check(
        f"final image size, {DATABASE} variant, over base image + installed site-packages",
        f"{mb(template_size)} − ({mb(base_size)} + {mb(site_packages)}) = {overhead / MB:+.0f} MB",
        f"≤ {SIZE_SLACK_MB} MB",
        overhead <= SIZE_SLACK_MB * MB,
        "layers other than the virtualenv: "
        + describe([layer for layer in template_layers if " in /venv" not in layer[0] and layer[1] >= MB]),
    )
    report.section(
        f"Image size ({DATABASE} variant, gunicorn)",
        "Sizes as the Docker engine reports them (1 MB = 10⁶ bytes). The layer tables list every "
        "layer above the base image with a size of at least 0.1 MB: they show what each image is "
        "made of.",
        (
            ["image", "MB", "target", "verdict"],
            [
                ["base image", mb(base_size), "", ""],
                ["template image: installed site-packages", mb(site_packages), "", ""],
                ["template image", mb(template_size), "", ""],
                ["reference image (guide style)", mb(reference_size), "", ""],
                ["template / reference", f"{ratio:.2f}×", f"≤ {SIZE_RATIO}×", size_verdict],
                [
                    "template − (base + site-packages)",
                    f"{overhead / MB:+.0f}",
                    f"≤ {SIZE_SLACK_MB}",
                    overhead_verdict,
                ],
            ],
        ),
        (["template image layer", "MB"], layer_rows(template_layers)),
        (["reference image layer", "MB"], layer_rows(reference_layers)),
    )


def layers(client, image: str, base: str) -> list[tuple[str, int]]:
    """The layers `image` adds to `base` of at least 0.1 MB, bottom up, as (instruction, bytes)."""
    history = client.api.history(image)
    own = history[: len(history) - len(client.api.history(base))]
    return [
        (
            " ".join(
                layer["CreatedBy"].replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").split()
            ),
            layer["Size"],
        )
        for layer in reversed(own)
        if layer["Size"] >= 0.1 * MB
    ]


def layer_rows(layers: list[tuple[str, int]]) -> list[list[str]]:
    return [[f"`{instruction[:100]}`", f"{size / MB:.1f}"] for instruction, size in layers]


def describe(layers: list[tuple[str, int]]) -> str:
    return "; ".join(f"`{instruction[:60]}…` {size / MB:.0f} MB" for instruction, size in layers)


def rebuild(client, report: Report, template: Path, reference: Path, buildargs: dict[str, str]) -> None:
    """Both images are already built (a warm cache); change one .py file in a copy of each project
    and build it again. The rebuilt images are removed, the warm cache is left as it was."""
    step("rebuild after a code-only change")
    seconds = {"template": [], "reference": []}
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as work:
        contexts = {
            name: shutil.copytree(context, Path(work) / name)
            for name, context in {"template": template, "reference": reference}.items()
        }
        for _ in range(REBUILDS):
            for name, context in contexts.items():
                projects.touch_code(context)
                tag, elapsed = timed_build(client, context, f"{name}-rebuild", buildargs)
                client.images.remove(tag)
                seconds[name].append(elapsed)
                print(f"  {name}: {elapsed:.1f} s", flush=True)
    (template_s, template_each), (reference_s, reference_each) = (
        (statistics.median(times), ", ".join(f"{value:.1f}" for value in times)) for times in seconds.values()
    )
    ratio = template_s / reference_s
    verdict = report.check(
        "rebuild after a code-only change, against the reference",
        f"median {template_s:.1f} s / {reference_s:.1f} s = {ratio:.2f}×",
        f"≤ {REBUILD_RATIO}×",
        ratio <= REBUILD_RATIO,
    )
    report.section(
        "Rebuild after a code-only change",
        f"Both images built once first, so the cache is warm; then, {REBUILDS} times over, a comment is "
        "appended to the project's `urls.py` and each image is built again with the classic builder; "
        "the medians are compared. The reference downloads and installs every requirement again, "
        "compiling mysqlclient, because its `COPY . /app` comes before `pip install`.",
        (
            ["image", "median s", "each s", "target", "verdict"],
            [
                ["template", f"{template_s:.1f}", template_each, "", ""],
                ["reference (guide style)", f"{reference_s:.1f}", reference_each, "", ""],
                ["template / reference", f"{ratio:.2f}×", "", f"≤ {REBUILD_RATIO}×", verdict],
            ],
        ),
    )


def cold_start(client, report: Report, images: dict[str, str], reference: str, plan: Plan) -> None:
    step("cold start")
    rows = []
    for name, image in [*images.items(), ("reference (gunicorn)", reference)]:
        seconds = []
        for _ in range(plan.starts):
            started = time.monotonic()
            with serving(client, image):
                seconds.append(time.monotonic() - started)
        median = statistics.median(seconds)
        if name in images:
            verdict = report.check(
                f"container start → first 200 on /healthz, {name}",
                f"median {median:.2f} s of {plan.starts} (min {min(seconds):.2f}, max {max(seconds):.2f})",
                f"≤ {COLD_START_SECONDS} s",
                median <= COLD_START_SECONDS,
            )
            target = f"≤ {COLD_START_SECONDS}"
        else:
            print(f"  {name}: median {median:.2f} s", flush=True)
            verdict = target = ""
        rows.append([name, f"{median:.2f}", f"{min(seconds):.2f}", f"{max(seconds):.2f}", target, verdict])
    report.section(
        "Cold start",
        f"Seconds from `docker run` (create and start, detached) to the first 200 on `/healthz`, "
        f"polled every 50 ms; {plan.starts} starts each, `WEB_CONCURRENCY=2`. The reference image "
        "runs the same gunicorn command, for comparison.",
        (["image", "median s", "min s", "max s", "target s", "verdict"], rows),
    )


def throughput(client, report: Report, images: dict[str, str], baselines: dict, plan: Plan) -> None:
    """Each gateway's /healthz and static file against hello-world (the target) and a bare Django."""
    step("throughput and latency")
    rows = []
    for server, image in images.items():
        with serving(client, baselines[server]["hello"]) as app:
            hello = load(app, "/", f"{server} hello", plan.load_seconds)
        with serving(client, baselines[server]["bare_django"]) as app:
            bare = load(app, "/", f"{server} bare django", plan.load_seconds)
        rows.append([server, "hello-world `/`", *wrk_cells(hello), "baseline", "baseline", ""])
        rows.append([server, "bare Django `/`", *wrk_cells(bare), *against(bare, hello), ""])
        with serving(client, image) as app:
            for label, path in {"/healthz": "/healthz", "static file": static_path(app)}.items():
                result = load(app, path, f"{server} {label}", plan.load_seconds)
                ratio = result.requests_per_second / hello.requests_per_second
                latency = [getattr(result, p) / getattr(hello, p) for p in PERCENTILES]
                verdict = report.check(
                    f"{label} on {server}, against hello-world",
                    f"{result.requests_per_second:.0f} req/s = {ratio:.2f}×, p50/p90/p99 "
                    f"{ms(result.p50)}/{ms(result.p90)}/{ms(result.p99)} ms (hello "
                    f"{ms(hello.p50)}/{ms(hello.p90)}/{ms(hello.p99)}), errors: {result.describe_errors()}",
                    f"≥ {THROUGHPUT_RATIO}× req/s, percentiles ≤ {1 / THROUGHPUT_RATIO:.0f}×, 0 errors",
                    ratio >= THROUGHPUT_RATIO and max(latency) <= 1 / THROUGHPUT_RATIO and result.errors == 0,
                    shortfall(app, path, result, hello, bare),
                )
                rows.append([server, f"`{path}`", *wrk_cells(result), *against(result, hello), verdict])
    report.section(
        "Throughput and latency, 2 workers",
        f"`wrk --latency -t2 -c{LOAD_CONNECTIONS} -d{plan.load_seconds}s` per row, one container at a "
        "time, `WEB_CONCURRENCY=2`. The baselines are the same image with the project's `wsgi.py` and "
        "`asgi.py` replaced, so the same gateway command and config serve them: hello-world "
        "(`bench/hello/`, the target's baseline) and a bare Django with no middleware and one view "
        "(`bench/bare_django/`, for what Django itself costs on that gateway). The static file is the "
        f"hashed `{STATIC_FILE}`, requested with "
        + " and ".join(f"`{header}`" for header in STATIC_HEADERS)
        + ". Target per row: at least half hello-world's requests/s, latency percentiles at most "
        "twice hello-world's, and no errors (socket errors, or statuses of 400 and above). uWSGI's "
        "`http-socket` closes the connection after each response (the template says "
        "`Connection: close`), so its rows include a reconnect per request.",
        (
            [
                "gateway",
                "path",
                "req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "errors",
                "req/s vs hello",
                "p50/p90/p99 vs hello",
                "verdict",
            ],
            rows,
        ),
    )


def against(result: wrk.Result, hello: wrk.Result) -> list[str]:
    """The req/s ratio and the latency percentiles' ratios to hello-world's, as table cells."""
    latency = "/".join(f"{getattr(result, p) / getattr(hello, p):.1f}" for p in PERCENTILES)
    return [f"{result.requests_per_second / hello.requests_per_second:.2f}×", f"{latency}×"]


def shortfall(app: App, path: str, result: wrk.Result, hello: wrk.Result, bare: wrk.Result) -> str:
    """Which parts of a throughput target a row misses, with what the baselines and the response show."""
    missed = []
    if result.requests_per_second < THROUGHPUT_RATIO * hello.requests_per_second:
        missed.append(
            f"req/s: a bare Django app on the same gateway and workers makes {bare.requests_per_second:.0f} "
            f"({bare.requests_per_second / hello.requests_per_second:.2f}× hello-world's)"
        )
    slow = [
        f"{p} {getattr(result, p) / getattr(hello, p):.1f}×"
        for p in PERCENTILES
        if getattr(result, p) > getattr(hello, p) / THROUGHPUT_RATIO
    ]
    if slow:
        missed.append(
            f"latency against hello-world's: {', '.join(slow)} (bare Django: {against(bare, hello)[1]})"
        )
    return "; ".join(filter(None, [*missed, read_errors(app, path, result)]))


def read_errors(app: App, path: str, result: wrk.Result) -> str:
    """What the response shows about wrk's read errors, if there were any."""
    if not result.socket_errors["read"]:
        return ""
    headers = dict(header.split(": ") for header in STATIC_HEADERS)
    response = requests.get(app.url(path), headers=headers, timeout=10)
    if "Content-Length" in response.headers or response.headers.get("Connection") != "close":
        return "read errors"
    return (
        "read errors: the response has no Content-Length and ends when the server closes the "
        "connection, which wrk counts as a read error"
    )


def wrk_cells(result: wrk.Result) -> list[str]:
    return [
        f"{result.requests_per_second:.0f}",
        ms(result.p50),
        ms(result.p90),
        ms(result.p99),
        result.describe_errors(),
    ]


def soak(client, report: Report, images: dict[str, str], plan: Plan) -> None:
    step("soak")
    rows = []
    for server, image in images.items():
        with serving(client, image) as app:
            result = load(app, "/healthz", f"{server}-soak", plan.soak_seconds, SOAK_CONNECTIONS)
            processes = json.loads(app.exec("python", "-c", PROCESSES))
            cause = read_errors(app, "/healthz", result)
        master = next(p for p in processes if p["pid"] == 1)
        workers = [p for p in processes if p["ppid"] == 1 and "resource_tracker" not in p["cmdline"]]
        rss = ", ".join(f"{p['rss_kb'] / 1000:.0f}" for p in workers)
        pss = ", ".join(f"{p['pss_kb'] / 1000:.0f}" for p in workers)
        verdict = report.check(
            f"{plan.soak_seconds} s at {SOAK_CONNECTIONS} connections on {server}",
            f"{result.requests} requests, errors: {result.describe_errors()}; {len(workers)} workers, "
            f"RSS {rss} MB (PSS {pss} MB), master RSS {master['rss_kb'] / 1000:.0f} MB",
            "0 errors",
            result.errors == 0,
            cause,
        )
        rows.append(
            [
                server,
                result.requests,
                f"{result.requests_per_second:.0f}",
                ms(result.p50),
                ms(result.p99),
                result.describe_errors(),
                verdict,
                f"{master['rss_kb'] / 1000:.0f}",
                rss,
                pss,
            ]
        )
    report.section(
        f"Soak: {plan.soak_seconds} s at {SOAK_CONNECTIONS} connections",
        f"`wrk --latency -t2 -c{SOAK_CONNECTIONS} -d{plan.soak_seconds}s` on `/healthz`, "
        "`WEB_CONCURRENCY=2`. Memory is read from `/proc` inside the container right after the load "
        "ends: RSS counts pages shared with the master (gunicorn preloads the app and forks), PSS "
        "splits shared pages between the processes that share them.",
        (
            [
                "gateway",
                "requests",
                "req/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "verdict",
                "master RSS MB",
                "worker RSS MB",
                "worker PSS MB",
            ],
            rows,
        ),
    )


def asgi_static(client, report: Report, images: dict[str, str], plan: Plan) -> None:
    """WhiteNoise against ServeStatic under uvicorn, measured back to back."""
    step("ASGI: WhiteNoise against ServeStatic")
    rows, static = [], {}
    for name, image in images.items():
        with serving(client, image) as app:
            for label, path in {"static file": static_path(app), "/healthz": "/healthz"}.items():
                result = load(app, path, f"asgi {name} {label}", plan.load_seconds)
                print(
                    f"  {name}, {label}: {result.requests_per_second:.0f} req/s, p50/p99 "
                    f"{ms(result.p50)}/{ms(result.p99)} ms, {result.errors} errors",
                    flush=True,
                )
                rows.append([name, label, *wrk_cells(result)])
                if label == "static file":
                    static[name] = result
    # Better: no errors first, then more requests/s.
    best = max(static, key=lambda name: (static[name].errors == 0, static[name].requests_per_second))
    others = ", ".join(
        f"{name} {result.requests_per_second:.0f}" for name, result in static.items() if name != best
    )
    verdict = (
        f"Better on the static file: **{best}**, {static[best].requests_per_second:.0f} req/s with "
        f"{static[best].errors} errors (others: {others} req/s)."
    )
    print(f"  {verdict.replace('**', '')}", flush=True)
    report.section(
        "ASGI: WhiteNoise against ServeStatic (uvicorn)",
        f"The uvicorn image as generated (WhiteNoise), the same with `servestatic=={SERVESTATIC_VERSION}`'s "
        "`ServeStaticMiddleware` and `CompressedManifestStaticFilesStorage` in WhiteNoise's places, and "
        "that again with the health-check middleware made able to run async (`bench/async_health.py`): "
        "ServeStatic's middleware is async-only, and the template's health check is sync-only, so "
        f"without that Django switches to a thread and back on every request. `wrk -t2 -c{LOAD_CONNECTIONS} "
        f"-d{plan.load_seconds}s`, `WEB_CONCURRENCY=2`.\n\n{verdict}",
        (["static files by", "path", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors"], rows),
    )


# --- the run ----------------------------------------------------------------------------------------


def machine(client, base: str) -> list[list[str]]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    cpu = next(
        line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
    )
    meminfo = Path("/proc/meminfo").read_text()
    memory_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
    os_release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    image = client.images.get(base)
    return [
        ["CPU", f"{os.cpu_count()} × {cpu}"],
        ["memory", f"{memory_kb / 1024**2:.1f} GiB"],
        ["OS", f"{os_release['PRETTY_NAME'].strip(chr(34))}, kernel {platform.release()}"],
        ["Docker engine", f"{client.version()['Version']} (classic builder)"],
        ["wrk", subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split()[1]],
        ["base image", f"`{base}` ({image.short_id.split(':')[1]}, {mb(image.attrs['Size'])} MB)"],
        ["template", template_revision()],
    ]


def template_revision() -> str:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "copier.yml", "template", "extensions")
    return f"commit {git('rev-parse', '--short', 'HEAD')}" + (" with uncommitted changes" if dirty else "")


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def write(
    path: Path,
    report: Report,
    machine_rows,
    plan: Plan,
    started: datetime.datetime,
    minutes: float,
    loads: tuple[str, str],
    reference_dockerfile: str,
) -> None:
    quick = " --quick" if plan == QUICK else ""
    text = f"""# Benchmark: the generated images against the guide's Dockerfile

Latest run: {started:%Y-%m-%d %H:%M} UTC, {minutes:.0f} minutes{", quick run" if quick else ""}.
Reproduce from a checkout of the repository, on a machine with a Docker engine and `wrk`:

```sh
.venv/bin/python -m bench.run{quick}
```

## Machine

{markdown_table(["", ""], [*machine_rows, ["load average (1/5/15 min) at start, at end", " → ".join(loads)]])}

The load generator runs on the same CPUs as the containers. Every container uses the host network,
bound to 127.0.0.1; every image is built from the same base image.

## Targets

{markdown_table(["figure", "target", "measured", "verdict", "what limits a miss"], report.checks)}

{chr(10).join(section + chr(10) for section in report.sections)}
## The reference Dockerfile

The guide's style, built on the same base image from a copy of the same rendered project:

```dockerfile
{reference_dockerfile.strip()}
```
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"\nwrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run: fewer starts, shorter loads")
    parser.add_argument("--output", type=Path, help="the markdown file (default docs/benchmark.md)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    output = args.output or (RAW / "benchmark-quick.md" if args.quick else REPO / "docs" / "benchmark.md")

    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    start_load = load_average()
    client = docker.from_env(timeout=900)
    base = find_base_image(client)
    buildargs = {"BASE_IMAGE": base}
    report = Report()
    for previous in RAW.glob("*.txt"):  # RAW holds the last run's wrk output only
        previous.unlink()
    with tempfile.TemporaryDirectory(prefix="django-bench-") as work_dir:
        work = Path(work_dir)
        step(f"render and build the {DATABASE} variant for each gateway, the reference and ServeStatic")
        contexts = {server: projects.render(work / server, DATABASE, server) for server in SERVERS}
        reference = projects.reference(contexts["gunicorn"], work / "reference", DATABASE)
        servestatic = projects.servestatic(contexts["uvicorn"], work / "servestatic", SERVESTATIC_VERSION)
        builds = {
            **{f"{DATABASE}-{server}": context for server, context in contexts.items()},
            "reference": reference,
            "servestatic": servestatic,
            "servestatic-async-health": projects.async_health(servestatic, work / "servestatic-async-health"),
        }
        tags = {}
        for name, context in builds.items():
            tags[name], seconds = timed_build(client, context, name, buildargs)
            print(f"  built {tags[name]} in {seconds:.0f} s", flush=True)
        images = {server: tags[f"{DATABASE}-{server}"] for server in SERVERS}
        baselines = {
            server: {
                app: projects.swap_app(client, image, app, f"{app}-{server}")
                for app in ("hello", "bare_django")
            }
            for server, image in images.items()
        }

        image_size(client, report, images["gunicorn"], tags["reference"], base)
        rebuild(client, report, contexts["gunicorn"], reference, buildargs)
        cold_start(client, report, images, tags["reference"], plan)
        throughput(client, report, images, baselines, plan)
        soak(client, report, images, plan)
        asgi_static(
            client,
            report,
            {
                "WhiteNoise": images["uvicorn"],
                "ServeStatic": tags["servestatic"],
                "ServeStatic, async health check": tags["servestatic-async-health"],
            },
            plan,
        )
        reference_dockerfile = (reference / "Dockerfile").read_text()

    minutes = (time.monotonic() - clock) / 60
    loads = (start_load, load_average())
    write(output, report, machine(client, base), plan, started, minutes, loads, reference_dockerfile)
    misses = [check[0] for check in report.checks if check[3] == "MISS"]
    print(
        f"{len(report.checks) - len(misses)} of {len(report.checks)} targets met"
        + "".join(f"\n  MISS: {figure}" for figure in misses)
    )


if __name__ == "__main__":
    main()
