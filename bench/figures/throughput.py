"""/healthz and a hashed static file per gateway, against a hello-world app on the same gateway
and workers."""

from __future__ import annotations

from bench import markdown, session
from bench.measure import LOAD_CONNECTIONS, STATIC_FILE, STATIC_HEADERS, check, load, static_path
from bench.targets import NO_ERRORS, at_least, at_most
from harness.images import App, running

TITLE = "Throughput and latency, 2 workers"
TARGET = [
    at_least("requests_per_second_ratio", 0.5, "× hello-world's req/s"),
    at_most("p99_ratio", 2, "× hello-world's p99"),
    NO_ERRORS,
]
PERCENTILES = ("p50", "p90", "p99")
PATHS = ("/healthz", "static file")


def measure(bench: session.Session) -> dict:
    seconds = bench.plan.load_seconds
    rows, checks = {}, []
    for server in bench.plan.servers:
        with running(App(bench.client, bench.hello_image(server), session.app_env())) as app:
            rows[server] = {"hello-world": load(app, "/", f"{server} hello-world", seconds)}
        with running(App(bench.client, bench.image(bench.plan.database, server), session.app_env())) as app:
            for label in PATHS:
                path = static_path(app) if label == "static file" else label
                rows[server][label] = load(app, path, f"{server} {label}", seconds)
        hello = rows[server]["hello-world"]
        for label in PATHS:
            row, text = rows[server][label], f"{label} on {server}, against hello-world"
            rps, p99 = (round(row[measure] / hello[measure], 3) for measure in ("requests_per_second", "p99"))
            measured = {"requests_per_second_ratio": rps, "p99_ratio": p99, "errors": row["errors"]}
            checks.append(check(f"{label} {server}", text, **measured))
    return {
        "checks": checks,
        "data": {"load_seconds": seconds, "connections": LOAD_CONNECTIONS, "rows": rows},
    }


def ratios(row: dict, hello: dict) -> list[str]:
    """The req/s ratio and the latency percentiles' ratios to hello-world's, as table cells."""
    latency = "/".join(f"{row[p] / hello[p]:.1f}" for p in PERCENTILES)
    return [f"{row['requests_per_second'] / hello['requests_per_second']:.2f}×", f"{latency}×"]


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered = markdown.Rendered()
    table = []
    for server, rows in data["rows"].items():
        hello = rows["hello-world"]
        table.append([server, "hello-world `/`", *markdown.load_cells(hello), "baseline", "baseline", ""])
        for label in PATHS:
            row, name = rows[label], f"{label} {server}"
            table.append(
                [server, f"`{row['path']}`", *markdown.load_cells(row), *ratios(row, hello), verdicts[name]]
            )
            rendered.measured[name] = (
                f"{row['requests_per_second']:.0f} req/s = {ratios(row, hello)[0]}, p50/p90/p99 "
                f"{latencies(row)} ms (hello {latencies(hello)}), errors: {markdown.errors(row)}; "
                f"RSS/PSS per worker {markdown.workers_memory(row['memory'])} MB"
            )
    headers = ["gateway", "path", *markdown.LOAD_HEADERS, "req/s vs hello", "p50/p90/p99 vs hello", "verdict"]
    rendered.values = {
        **data,
        "static_file": STATIC_FILE,
        "static_headers": " and ".join(f"`{header}`" for header in STATIC_HEADERS),
        "table": markdown.table(headers, table),
    }
    rendered.summary = [
        (
            f"{'`/healthz`' if label == '/healthz' else 'hashed static file'}, against hello-world",
            ", ".join(
                f"{server} {ratios(rows[label], rows['hello-world'])[0]}"
                + ("" if verdicts[f"{label} {server}"] == "PASS" else " (**miss**)")
                for server, rows in data["rows"].items()
            ),
            markdown.overall(verdicts[f"{label} {server}"] for server in data["rows"]),
        )
        for label in PATHS
    ]
    return rendered


def latencies(row: dict) -> str:
    return "/".join(markdown.ms(row[p]) for p in PERCENTILES)
