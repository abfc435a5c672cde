"""Other gateways on the database-backed page: Granian's WSGI and ASGI interfaces, and gunicorn
with uvicorn's worker class, against the template's three gateways, measured back to back. No
target: the template would add one only if it served this page faster than all three."""

from __future__ import annotations

from bench import markdown, session
from bench.figures.database_page import PATH, check_page
from bench.measure import LOAD_CONNECTIONS, load, serving

TITLE = "A fourth gateway? Granian, and gunicorn with uvicorn's worker, on the database-backed page"
TARGET = None
# What a fourth gateway would have to beat the fastest of the three by: less is within the
# run-to-run spread of this page on a shared machine.
ENOUGH = 1.1
UVICORN_WORKER = "gunicorn + uvicorn worker (ASGI)"


def measure(bench: session.Session) -> dict:
    database = session.DATABASE
    # gateway: (image, the template's gateway whose settings and database it uses)
    images = {server: (bench.page_image(database, server), server) for server in session.SERVERS}
    for interface, basis in session.GRANIAN_BASIS.items():
        images[f"granian ({interface.upper()})"] = (bench.granian_page_image(database, interface), basis)
    images[UVICORN_WORKER] = (bench.gunicorn_uvicorn_worker_image(page=True), "uvicorn")
    rows = {}
    for gateway, (image, basis) in images.items():
        url, volumes = bench.page_database(database, basis)
        with serving(bench.client, image, session.app_env(DATABASE_URL=url), volumes) as app:
            check_page(app)
            rows[gateway] = load(
                app,
                PATH,
                f"granian figure {database} {gateway}",
                bench.plan.load_seconds,
                warmup=bench.plan.warmup_seconds,
            )
        print(f"  {gateway}: {rows[gateway]['requests_per_second']:.0f} req/s", flush=True)
    data = {
        "granian_version": session.GRANIAN_VERSION,
        "uvicorn_worker_version": session.UVICORN_WORKER_VERSIONS["uvicorn-worker"],
        "database": database,
        "load_seconds": bench.plan.load_seconds,
        "warmup_seconds": bench.plan.warmup_seconds,
        "connections": LOAD_CONNECTIONS,
        "rows": rows,
    }
    return {"checks": [], "data": data}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rows = data["rows"]
    best = markdown.fastest(rows)
    ours = markdown.fastest({name: row for name, row in rows.items() if name in session.SERVERS})
    margin = rows[best]["requests_per_second"] / rows[ours]["requests_per_second"]
    verdict = (
        f"{best} is {margin:.2f}× {ours}: enough to make it a candidate for a fourth gateway."
        if margin >= ENOUGH
        else f"None is {ENOUGH}× the fastest of the three ({ours}): the template leaves them out."
    )
    finding = (
        f"Fastest: **{best}**, {rows[best]['requests_per_second']:.0f} req/s; "
        + ", ".join(f"{name} {rows[name]['requests_per_second']:.0f}" for name in rows if name != best)
        + f" req/s. {verdict}"
    )
    return markdown.Rendered(
        section=markdown.section(
            TITLE,
            f"The database-backed page of the figure above on {data['database']}, served by each of "
            f"the template's gateways and by `granian=={data['granian_version']}` (`--interface wsgi` "
            "and `--interface asgi`, its other settings at their defaults, pip-installed into the "
            "gunicorn and the uvicorn image respectively, so with their connection policies), and by "
            f"gunicorn with uvicorn's worker class (`uvicorn-worker=={data['uvicorn_worker_version']}`, "
            "`--preload`, pip-installed into the uvicorn image), one after the other. "
            f"`wrk --latency -t2 -c{data['connections']} -d{data['load_seconds']}s`"
            + (
                f" after {data['warmup_seconds']} s of the same, not counted"
                if data["warmup_seconds"]
                else ""
            )
            + f", `WEB_CONCURRENCY=2`.\n\n{finding}",
            (
                ["gateway", *markdown.LOAD_HEADERS],
                [[name, *markdown.load_cells(row)] for name, row in rows.items()],
            ),
        ),
        summary=[
            (
                "a fourth gateway: Granian, gunicorn + uvicorn worker, on the page",
                finding.replace("**", ""),
                "",
            )
        ],
    )
