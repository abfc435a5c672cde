"""What the project's signals cost: the database-backed page (bench/page/) served by one page image
twice at once, on the same gateway, database and workers, once with every signal on (its JSON
access and request lines at LOG_LEVEL=INFO, its metrics on METRICS_PORT, its traces sent to a
receiver on loopback) and once with every one off (LOG_LEVEL=WARNING, neither variable)."""

from __future__ import annotations

from contextlib import ExitStack

from bench import markdown, session
from bench.figures import database_page
from bench.measure import check
from bench.targets import NO_ERRORS, at_least
from harness import metrics
from harness.images import App, running
from harness.services import free_port
from harness.traces import Receiver

TITLE = "Logs, metrics and traces on, against all off"
TARGET = [
    at_least("requests_per_second_ratio", 0.9, "× the same page's req/s with every signal off"),
    NO_ERRORS,
]
ON, OFF = "signals on", "signals off"
REQUESTS = "http_server_request_duration_seconds_count"
# What each JSON access line of logs.py holds.
ACCESS_LINE = '"logger": "access"'


def measure(bench: session.Session) -> dict:
    database, rows, checks = bench.plan.database, {}, []
    for server in bench.plan.servers:
        url, volumes = bench.page_database(database, server)
        image = bench.page_image(database, server)
        receiver = Receiver().start()
        metrics_port = free_port()
        envs = {
            ON: session.app_env(
                DATABASE_URL=url,
                LOG_LEVEL="INFO",
                METRICS_PORT=str(metrics_port),
                OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                OTEL_SERVICE_NAME="bench",
            ),
            OFF: session.app_env(DATABASE_URL=url, LOG_LEVEL="WARNING"),
        }
        try:
            with ExitStack() as stack:
                apps = {
                    label: stack.enter_context(running(App(bench.client, image, env, volumes)))
                    for label, env in envs.items()
                }
                cell = database_page.interleaved(bench, f"observability {server}", apps)
                # Proof that the signals were on: what the metrics counted, and the spans received.
                cell[ON]["requests_counted"] = metrics.total(metrics.scrape(metrics_port), REQUESTS)
                for label, app in apps.items():
                    cell[label]["access_lines"] = app.logs().count(ACCESS_LINE)
        finally:
            receiver.stop()
        cell[ON]["spans_received"] = len(receiver.spans)
        rows[server] = cell
        measured = {"requests_per_second_ratio": round(ratio(cell), 3), "errors": cell[ON]["errors"]}
        label = f"every signal on against every one off, the page on {server}"
        checks.append(check(server, label, **measured))
    data = {"database": database, **database_page.interleaved_data(bench.plan, rows)}
    return {"checks": checks, "data": data}


def ratio(cell: dict, measure: str = "requests_per_second") -> float:
    return cell[ON][measure] / cell[OFF][measure]


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered, table = markdown.Rendered(), []
    for server, cell in data["rows"].items():
        on, off = cell[ON], cell[OFF]
        cpu_ratio = ratio(cell, "cpu_ms_per_request")
        table.append([server, OFF, *markdown.load_cells(off), f"{off['cpu_ms_per_request']:.2f}", "baseline"])
        table[-1] += ["", "", "", ""]
        table.append([server, ON, *markdown.load_cells(on), f"{on['cpu_ms_per_request']:.2f}"])
        table[-1] += [f"{ratio(cell):.2f}×", f"{cpu_ratio:.2f}×", signals(on), verdicts[server]]
        rendered.measured[server] = (
            f"{on['requests_per_second']:.0f} / {off['requests_per_second']:.0f} req/s = {ratio(cell):.2f}×,"
            f" p99 {markdown.ms(on['p99'])} ms (off {markdown.ms(off['p99'])}), errors: {markdown.errors(on)}"
        )
        rendered.limits[server] = (
            f"CPU time a request takes in the server's container: {on['cpu_ms_per_request']:.2f} ms on "
            f"against {off['cpu_ms_per_request']:.2f} ms off ({cpu_ratio:.2f}×)"
        )
    headers = ["gateway", "signals", *markdown.LOAD_HEADERS, "CPU ms/request", "req/s vs off"]
    warmup = data["warmup_seconds"]
    rendered.values = {
        **data,
        "path": database_page.PATH,
        "warmup": f", after {warmup} s of the same, not counted" if warmup else "",
        "table": markdown.table([*headers, "CPU/request vs off", "signals received", "verdict"], table),
    }
    rendered.summary = [
        (
            "database-backed page, every signal on against every one off, same gateway and run",
            ", ".join(
                f"{server} {ratio(cell):.2f}×" + ("" if verdicts[server] == "PASS" else " (**miss**)")
                for server, cell in data["rows"].items()
            ),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered


def signals(on: dict) -> str:
    """What showed the signals were on: access lines printed, requests counted, spans received."""
    return (
        f"{on['access_lines']} access lines, {on['requests_counted']:.0f} requests counted, "
        f"{on['spans_received']} spans"
    )
