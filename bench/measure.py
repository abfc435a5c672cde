"""Measuring helpers the figures share: serve an image, load it with wrk, read its memory."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import requests

from harness import REPO
from harness.images import App

RAW = REPO / "bench" / "results" / "raw"
LOAD_CONNECTIONS = 10
# Behind the platform's TLS proxy, from a browser: no HTTPS redirect, the gzip variant.
PROXIED = ("X-Forwarded-Proto: https",)
STATIC_HEADERS = (*PROXIED, "Accept-Encoding: gzip")
STATIC_FILE = "admin/css/base.css"

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


def headers_for(path: str) -> tuple[str, ...]:
    return STATIC_HEADERS if path.startswith("/static/") else PROXIED


def load(app: App, path: str, name: str, seconds: int, connections: int = LOAD_CONNECTIONS) -> dict:
    """wrk on `path`, then the memory of the server's processes: one row of a figure's raw data,
    with the CPU time the server's container spent meanwhile. wrk's output is kept under RAW."""
    cpu_before = cpu_seconds(app)
    output = wrk(app.url(path), connections, seconds, headers_for(path))
    log = RAW / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(output)
    return {
        "path": path,
        "seconds": seconds,
        "connections": connections,
        **parse(output),
        "cpu_seconds": round(cpu_seconds(app) - cpu_before, 3),
        "memory": memory(app),
    }


def wrk(url: str, connections: int, seconds: int, headers: tuple[str, ...]) -> str:
    """`wrk --latency -t2 -c<connections> -d<seconds>s`: the command line and its output."""
    command = ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    run = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30)
    return f"$ {' '.join(command)} {url}\n{run.stdout}"


MILLISECONDS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse(output: str) -> dict:
    """wrk's summary: requests, req/s, p50/p90/p99 in ms, responses with a status of 400 or more
    (bad_status), socket errors by kind, and `errors`, the two added up."""

    def percentile(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
        return float(value) * MILLISECONDS[unit]

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    counts = map(int, socket.groups()) if socket else (0,) * 4
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), counts, strict=True))
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    row = {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        **{f"p{p}": percentile(p) for p in (50, 90, 99)},
        "bad_status": int(bad_status.group(1)) if bad_status else 0,
        "socket_errors": socket_errors,
    }
    return {**row, "errors": row["bad_status"] + sum(socket_errors.values())}


# Where a container's CPU time is, by cgroup version and Docker's cgroup driver.
CGROUP_CPU_FILES = (
    ("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage", "nanoseconds"),
    ("/sys/fs/cgroup/docker/{id}/cpu.stat", "usage_usec"),
    ("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat", "usage_usec"),
)


def cpu_seconds(app: App) -> float:
    """The CPU time every process in the app's container has used so far: what the server spends
    on the requests, apart from wrk and the database server. On this machine it moves about half
    as much as requests/s with the CPU the machine gives from one second to the next."""
    for template, unit in CGROUP_CPU_FILES:
        path = Path(template.format(id=app.container.id))
        if path.exists():
            text = path.read_text()
            if unit == "nanoseconds":
                return int(text) / 1e9
            return int(re.search(r"^usage_usec (\d+)$", text, re.MULTILINE).group(1)) / 1e6
    # Docker's own figure, where the cgroup is elsewhere (it takes a second to answer).
    return app.container.stats(stream=False)["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


def processes(app: App) -> list[dict]:
    """Every process in the app's container, with its parent, RSS and PSS in kB (PROCESSES)."""
    return json.loads(app.exec("python", "-c", PROCESSES))


def memory(app: App) -> dict:
    """The master's RSS and each worker's RSS and PSS in MB, read from /proc in the container."""
    running = processes(app)
    master = next(process for process in running if process["pid"] == 1)
    # The image's first process is the project's drain.py, which runs the gateway as its child.
    if ".drain" in master["cmdline"]:
        master = next(process for process in running if process["ppid"] == master["pid"])
    workers = [p for p in running if p["ppid"] == master["pid"] and "resource_tracker" not in p["cmdline"]]
    return {
        "master_rss_mb": round(master["rss_kb"] / 1000, 1),
        "workers": [
            {"rss_mb": round(p["rss_kb"] / 1000, 1), "pss_mb": round(p["pss_kb"] / 1000, 1)} for p in workers
        ],
    }


def static_path(app: App) -> str:
    """The hashed name of STATIC_FILE, from the image's manifest; checked to answer 200 gzipped."""
    manifest = json.loads(app.exec("cat", "/app/staticfiles/staticfiles.json"))
    path = f"/static/{manifest['paths'][STATIC_FILE]}"
    headers = dict(header.split(": ") for header in STATIC_HEADERS)
    response = requests.get(app.url(path), headers=headers, allow_redirects=False, timeout=10)
    if response.status_code != 200 or response.headers.get("Content-Encoding") != "gzip":
        raise AssertionError(f"{path} answered {response.status_code} {dict(response.headers)}")
    return path


def check(name: str, label: str, **measured: float) -> dict:
    """A figure's check: its name, its label in the report, and every number its target bounds."""
    print(f"  {label}: {measured}", flush=True)
    return {"name": name, "label": label, "measured": measured}
