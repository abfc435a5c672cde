"""A database-backed page (bench/page/: one ORM query of 20 rows rendered through a template),
served by the generated project with its full settings and middleware, against a bare Django
serving the same view (bench/bare_page/) on the same gateway, database and workers."""

from __future__ import annotations

from contextlib import ExitStack

import requests

from bench import markdown, session
from bench.measure import PROXIED, check, load, wrk
from bench.targets import NO_ERRORS, at_least
from harness.images import App, running

TITLE = "Database-backed page, 2 workers"
TARGET = [
    at_least("requests_per_second_ratio", 0.9, "× the bare Django's req/s"),
    NO_ERRORS,
]
PATH = "/page/"
ROWS = 20  # bench/page/bench_page/views.py
# Each app of a cell is loaded in slices of about this many seconds, in turns with the other.
SLICE_SECONDS = 2
# Enough that each worker always has several: gunicorn's and uvicorn's workers keep the keep-alive
# connections they accept, and wrk's 10 fell as unevenly as 9 to 1 between two workers from one
# turn to the next (ss -tnp), when a worker left with one or two sat idle while its query ran.
PAGE_CONNECTIONS = 32


def measure(bench: session.Session) -> dict:
    rows, checks = {}, []
    for database in bench.plan.page_databases:
        rows[database] = {}
        for server in bench.plan.servers:
            url, volumes = bench.page_database(database, server)
            env = session.app_env(DATABASE_URL=url)
            images = {"bare Django": bench.bare_page_image, "project": bench.page_image}
            with ExitStack() as stack:
                apps = {
                    label: stack.enter_context(
                        running(App(bench.client, make(database, server), env, volumes))
                    )
                    for label, make in images.items()
                }
                rows[database][server] = cell = interleaved(bench, f"page {database} {server}", apps)
            label = f"database-backed page, {database} on {server}, against a bare Django"
            measured = {
                "requests_per_second_ratio": round(ratio(cell), 3),
                "errors": cell["project"]["errors"],
            }
            checks.append(check(f"{database} {server}", label, **measured))
    return {"checks": checks, "data": interleaved_data(bench.plan, rows)}


def interleaved_data(plan: session.Plan, rows: dict) -> dict:
    """A figure's data: `rows` of apps loaded as interleaved() loads them, and how."""
    rounds, slice_seconds = turns(plan.load_seconds)
    return {
        "load_seconds": plan.load_seconds,
        "rounds": rounds,
        "slice_seconds": slice_seconds,
        "warmup_seconds": plan.warmup_seconds,
        "connections": PAGE_CONNECTIONS,
        "rows": rows,
    }


def turns(load_seconds: int) -> tuple[int, int]:
    """How many rounds, and how many seconds each app is loaded a round, to make `load_seconds`."""
    rounds = max(2, load_seconds // SLICE_SECONDS)
    return rounds, max(1, load_seconds // rounds)


def interleaved(bench: session.Session, name: str, apps: dict) -> dict:
    """The apps of a cell loaded in turns, all of them serving throughout: slices of about
    SLICE_SECONDS (at least two rounds) adding up to the plan's load time for each app, the order
    reversed every round (A B, B A, ...). This machine's speed drifts from one 2-second turn to
    the next; in turns this short, the drift weighs on every app alike, where one run each would
    give it to whichever ran when it struck. Each app's row adds up its runs (see merged)."""
    runs = {label: [] for label in apps}
    for app in apps.values():
        check_page(app)
        if bench.plan.warmup_seconds:
            wrk(app.url(PATH), PAGE_CONNECTIONS, bench.plan.warmup_seconds, PROXIED)
    rounds, seconds = turns(bench.plan.load_seconds)
    order = list(apps)
    for round_number in range(1, rounds + 1):
        for label in order:
            turn = f"{name} {label} round {round_number}"
            runs[label].append(load(apps[label], PATH, turn, seconds, PAGE_CONNECTIONS))
        order.reverse()
    return {label: merged(rows) for label, rows in runs.items()}


def merged(rows: list[dict]) -> dict:
    """One row standing for several wrk runs of one app (see interleaved)."""
    seconds = sum(row["seconds"] for row in rows)
    requests = sum(row["requests"] for row in rows)
    cpu_seconds = sum(row["cpu_seconds"] for row in rows)
    socket_errors = {
        kind: sum(row["socket_errors"][kind] for row in rows) for kind in rows[0]["socket_errors"]
    }
    return {
        **rows[-1],
        "seconds": seconds,
        "runs": len(rows),
        "turns_requests_per_second": [row["requests_per_second"] for row in rows],
        "requests": requests,
        "requests_per_second": round(requests / seconds, 2),
        **{p: round(sum(row[p] for row in rows) / len(rows), 3) for p in ("p50", "p90", "p99")},
        "bad_status": sum(row["bad_status"] for row in rows),
        "socket_errors": socket_errors,
        "errors": sum(row["errors"] for row in rows),
        "cpu_seconds": round(cpu_seconds, 3),
        "cpu_ms_per_request": per_request_ms(cpu_seconds, requests),
    }


def per_request_ms(cpu_seconds: float, requests: int) -> float:
    return round(1000 * cpu_seconds / max(requests, 1), 3)


def check_page(app) -> None:
    """The page answers 200 with its 20 rows, as a browser behind the TLS proxy gets it."""
    headers = dict(header.split(": ") for header in PROXIED)
    response = requests.get(app.url(PATH), headers=headers, allow_redirects=False, timeout=10)
    if response.status_code != 200 or response.text.count('<tr class="item">') != ROWS:
        raise AssertionError(f"{PATH} answered {response.status_code}:\n{response.text[:2000]}")


def ratio(cell: dict, measure: str = "requests_per_second") -> float:
    """The project's req/s (or another measure) over the bare Django's."""
    return cell["project"][measure] / cell["bare Django"][measure]


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered = markdown.Rendered()
    table = []
    for database, servers in data["rows"].items():
        for server, cell in servers.items():
            bare, project, name = cell["bare Django"], cell["project"], f"{database} {server}"
            cpu = {label: f"{row['cpu_ms_per_request']:.2f}" for label, row in cell.items()}
            cpu_ratio = ratio(cell, "cpu_ms_per_request")
            table.append([database, server, "bare Django", *markdown.load_cells(bare), cpu["bare Django"]])
            table[-1] += ["baseline", "", ""]
            table.append([database, server, "project", *markdown.load_cells(project), cpu["project"]])
            table[-1] += [f"{ratio(cell):.2f}×", f"{cpu_ratio:.2f}×", verdicts[name]]
            rendered.measured[name] = (
                f"{project['requests_per_second']:.0f} / {bare['requests_per_second']:.0f} req/s = "
                f"{ratio(cell):.2f}×, p99 {markdown.ms(project['p99'])} ms (bare {markdown.ms(bare['p99'])}),"
                f" errors: {markdown.errors(project)}; RSS/PSS per worker "
                f"{markdown.workers_memory(project['memory'])} MB"
            )
            spread = bare["turns_requests_per_second"]
            rendered.limits[name] = (
                f"CPU time a request takes in the server's container: {cpu['project']} ms against the bare "
                f"Django's {cpu['bare Django']} ms ({cpu_ratio:.2f}×), what the project's settings and "
                f"middleware cost; the bare Django alone served {min(spread):.0f} to {max(spread):.0f} req/s "
                "from one turn to the next"
                + (f"; the bare Django had errors too: {markdown.errors(bare)}" if bare["errors"] else "")
            )
    headers = ["database", "gateway", "app", *markdown.LOAD_HEADERS, "CPU ms/request", "req/s vs bare"]
    warmup = data["warmup_seconds"]
    rendered.values = {
        **data,
        "path": PATH,
        "page_rows": ROWS,
        "warmup": f", after {warmup} s of the same, not counted" if warmup else "",
        "table": markdown.table([*headers, "CPU/request vs bare", "verdict"], table),
    }
    rendered.summary = [
        (
            "database-backed page against a bare Django, same gateway, database and workers",
            "; ".join(
                f"{database}: "
                + ", ".join(
                    f"{server} {ratio(cell):.2f}×"
                    + ("" if verdicts[f"{database} {server}"] == "PASS" else " (**miss**)")
                    for server, cell in servers.items()
                )
                for database, servers in data["rows"].items()
            ),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered
