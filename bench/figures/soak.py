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
    for server in session.SERVERS:
        with serving(bench.client, bench.image(session.DATABASE, server), session.app_env()) as app:
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
        memory = row["memory"]
        rendered.measured[server] = (
            f"{row['requests']} requests, errors: {markdown.errors(row)}; {len(memory['workers'])} workers, "
            f"RSS/PSS {markdown.workers_memory(memory)} MB, master RSS {memory['master_rss_mb']:.0f} MB"
        )
        rendered.limits[server] = row.get("read_errors_cause", "")
        table.append(
            [
                server,
                row["requests"],
                f"{row['requests_per_second']:.0f}",
                markdown.ms(row["p50"]),
                markdown.ms(row["p99"]),
                markdown.errors(row),
                verdicts[server],
                f"{memory['master_rss_mb']:.0f}",
                markdown.workers_memory(memory),
            ]
        )
    rendered.section = markdown.section(
        f"{TITLE}: {data['seconds']} s at {data['connections']} connections",
        f"`wrk --latency -t2 -c{data['connections']} -d{data['seconds']}s` on `/healthz`, "
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
                "RSS/PSS MB per worker",
            ],
            table,
        ),
    )
    rendered.summary = [
        (
            f"{data['seconds']} s at {data['connections']} connections",
            "errors: "
            + ", ".join(f"{server} {markdown.errors(row)}" for server, row in data["rows"].items())
            + "; RSS/PSS per worker: "
            + ", ".join(
                f"{server} {markdown.workers_memory(row['memory'])} MB"
                for server, row in data["rows"].items()
            ),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered
