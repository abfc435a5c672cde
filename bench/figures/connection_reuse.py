"""The database-backed page with a new database connection per request, against the connection
reused (persistent connections, CONN_MAX_AGE; psycopg's pool on PostgreSQL). No target: the
figure is what a later default is chosen by."""

from __future__ import annotations

from bench import markdown, session
from bench.figures.database_page import PATH, check_page
from bench.measure import LOAD_CONNECTIONS, load, serving
from extensions import variants

TITLE = "Database connections: new per request, or reused"
TARGET = None
# bench/page/bench_page/connections.py
MODES = {
    "new": "a new connection per request (CONN_MAX_AGE=0)",
    "persistent": "persistent connections (CONN_MAX_AGE=600)",
    "pool": "psycopg's connection pool",
}


def modes(database: str) -> list[str]:
    return ["new", "persistent", *(["pool"] if database == "postgresql" else [])]


def default_mode(database: str, server: str) -> str:
    """The mode the template's settings choose for `database` on `server`."""
    gateway = variants.SERVERS[server]
    if database == "postgresql" and gateway.postgresql_pool:
        return "pool"
    return "persistent" if gateway.conn_max_age else "new"


def measure(bench: session.Session) -> dict:
    rows = {}
    for database in bench.plan.page_databases:
        rows[database] = {}
        for server in session.SERVERS:
            url, volumes = bench.page_database(database, server)
            rows[database][server] = {}
            for mode in modes(database):
                env = session.app_env(DATABASE_URL=url, BENCH_DATABASE_CONNECTIONS=mode)
                with serving(bench.client, bench.page_image(database, server), env, volumes) as app:
                    check_page(app)
                    name = f"connections {database} {server} {mode}"
                    row = load(app, PATH, name, bench.plan.load_seconds, warmup=bench.plan.warmup_seconds)
                rows[database][server][mode] = row
                print(f"  {database} on {server}, {mode}: {row['requests_per_second']:.0f} req/s", flush=True)
    data = {
        "load_seconds": bench.plan.load_seconds,
        "connections": LOAD_CONNECTIONS,
        "defaults": {
            database: {server: default_mode(database, server) for server in session.SERVERS}
            for database in bench.plan.page_databases
        },
        "rows": rows,
    }
    return {"checks": [], "data": data}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    table, findings = [], []
    for database, servers in data["rows"].items():
        for server, cell in servers.items():
            new = cell["new"]["requests_per_second"]
            for mode, row in cell.items():
                default = " (the template's default)" if mode == data["defaults"][database][server] else ""
                table.append(
                    [
                        database,
                        server,
                        mode + default,
                        *markdown.load_cells(row),
                        f"{row['requests_per_second'] / new:.2f}×",
                    ]
                )
            best = markdown.fastest(cell)
            findings.append(
                f"{database} on {server}: {best} ({cell[best]['requests_per_second'] / new:.2f}× new)"
            )
    modes_text = "; ".join(f"`{mode}`: {text}" for mode, text in MODES.items())
    return markdown.Rendered(
        section=markdown.section(
            TITLE,
            f"The project serving the database-backed page (`GET {PATH}`, as in the figure above) with its "
            f"connection policy set by the bench's copy of its settings ({modes_text}; the pool on "
            "PostgreSQL only). Everything else as above. No target: the faster, where it is safe, is "
            "the candidate for the template's default.\n\nFastest per cell: " + "; ".join(findings) + ".",
            (["database", "gateway", "connections", *markdown.LOAD_HEADERS, "req/s vs new"], table),
        ),
        summary=[("database connections: new per request or reused (fastest)", "; ".join(findings), "")],
    )
