"""A longer load at more connections on /healthz, with memory per worker at its end."""

from __future__ import annotations

from bench import markdown, session
from bench.measure import load, serving
from bench.targets import NO_ERRORS

TITLE = "Soak"
CONNECTIONS = 50
TARGET = [NO_ERRORS]


def measure(bench: session.Session) -> dict:
    seconds = bench.plan.soak_seconds
    rows, checks = {}, []
    for server in bench.plan.servers:
        with serving(bench.client, bench.image(bench.plan.database, server), session.app_env()) as app:
            rows[server] = load(app, "/healthz", f"{server}-soak", seconds, CONNECTIONS)
        checks.append(
            {
                "name": server,
                "label": f"{seconds} s at {CONNECTIONS} connections on {server}",
                "measured": {"errors": rows[server]["errors"]},
            }
        )
        print(f"  {server}: {rows[server]['requests']} requests, {rows[server]['errors']} errors", flush=True)
    return {"checks": checks, "data": {"seconds": seconds, "connections": CONNECTIONS, "rows": rows}}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered = markdown.Rendered()
    table = []
    for server, row in data["rows"].items():
        memory, errors = row["memory"], markdown.errors(row)
        rendered.measured[server] = (
            f"{row['requests']} requests, errors: {errors}; {len(memory['workers'])} workers, "
            f"RSS/PSS {markdown.workers_memory(memory)} MB, master RSS {memory['master_rss_mb']:.0f} MB"
        )
        rendered.limits[server] = row.get("read_errors_cause", "")
        latency = [markdown.ms(row["p50"]), markdown.ms(row["p99"])]
        master = f"{memory['master_rss_mb']:.0f}"
        rps = f"{row['requests_per_second']:.0f}"
        table.append(
            [
                server,
                row["requests"],
                rps,
                *latency,
                errors,
                verdicts[server],
                master,
                markdown.workers_memory(memory),
            ]
        )
    headers = ["gateway", "requests", "req/s", "p50 ms", "p99 ms", "errors", "verdict", "master RSS MB"]
    rendered.values = {**data, "table": markdown.table([*headers, "RSS/PSS MB per worker"], table)}
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
