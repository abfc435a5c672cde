"""A longer load at more connections on /healthz, with memory per worker at its end."""

from __future__ import annotations

from bench import markdown, session
from bench.measure import check, load
from bench.targets import NO_ERRORS
from harness.images import App, running

TITLE = "Soak"
CONNECTIONS = 50
TARGET = [NO_ERRORS]


def measure(bench: session.Session) -> dict:
    seconds = bench.plan.soak_seconds
    rows, checks = {}, []
    for server in bench.plan.servers:
        with running(App(bench.client, bench.image(bench.plan.database, server), session.app_env())) as app:
            rows[server] = load(app, "/healthz", f"{server}-soak", seconds, CONNECTIONS)
        label = f"{seconds} s at {CONNECTIONS} connections on {server}"
        checks.append(check(server, label, errors=rows[server]["errors"]))
    return {"checks": checks, "data": {"seconds": seconds, "connections": CONNECTIONS, "rows": rows}}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered = markdown.Rendered()
    table = []
    for server, row in data["rows"].items():
        memory, master = row["memory"], f"{row['memory']['master_rss_mb']:.0f}"
        rendered.measured[server] = (
            f"{row['requests']} requests, errors: {markdown.errors(row)}; {len(memory['workers'])} workers, "
            f"RSS/PSS {markdown.workers_memory(memory)} MB, master RSS {master} MB"
        )
        table.append([server, row["requests"], *markdown.load_cells(row), master, verdicts[server]])
    headers = ["gateway", "requests", *markdown.LOAD_HEADERS, "master RSS MB", "verdict"]
    rendered.values = {**data, "table": markdown.table(headers, table)}
    rows = data["rows"].items()
    rendered.summary = [
        (
            f"{data['seconds']} s at {data['connections']} connections",
            "errors: "
            + ", ".join(f"{server} {markdown.errors(row)}" for server, row in rows)
            + "; RSS/PSS per worker: "
            + ", ".join(f"{server} {markdown.workers_memory(row['memory'])} MB" for server, row in rows),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered
