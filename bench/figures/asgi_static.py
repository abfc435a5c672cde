"""The template's static files under uvicorn (front.py, on WhiteNoise's index) against ServeStatic's
ASGI app, measured back to back. No target: it reports which serves the static file faster, the
reason the template keeps the one it has."""

from __future__ import annotations

from bench import markdown, session
from bench.measure import LOAD_CONNECTIONS, load, serving, static_path

TITLE = "ASGI: front.py against ServeStatic's ASGI app (uvicorn)"
TARGET = None


def measure(bench: session.Session) -> dict:
    rows = {}
    for name, image in bench.servestatic_images().items():
        with serving(bench.client, image, session.app_env()) as app:
            rows[name] = {
                "static file": load(
                    app, static_path(app), f"asgi {name} static file", bench.plan.load_seconds
                ),
                "/healthz": load(app, "/healthz", f"asgi {name} healthz", bench.plan.load_seconds),
            }
        print(
            f"  {name}: static file {rows[name]['static file']['requests_per_second']:.0f} req/s", flush=True
        )
    data = {
        "servestatic_version": session.SERVESTATIC_VERSION,
        "load_seconds": bench.plan.load_seconds,
        "connections": LOAD_CONNECTIONS,
        "rows": rows,
    }
    return {"checks": [], "data": data}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    static = {name: rows["static file"] for name, rows in data["rows"].items()}
    best = markdown.fastest(static)
    others = ", ".join(
        f"{name} {row['requests_per_second']:.0f}" for name, row in static.items() if name != best
    )
    finding = (
        f"Better on the static file: **{best}**, {static[best]['requests_per_second']:.0f} req/s with "
        f"{static[best]['errors']} errors (others: {others} req/s)."
    )
    table = [
        [name, label, *markdown.load_cells(row)]
        for name, rows in data["rows"].items()
        for label, row in rows.items()
    ]
    return markdown.Rendered(
        section=markdown.section(
            TITLE,
            "The uvicorn image as generated, whose `front.py` serves the static files from "
            "WhiteNoise's index of them on the event loop, and the same with "
            f"`servestatic=={data['servestatic_version']}`'s ASGI app (`ServeStaticASGI`, the same "
            "headers and cache lifetimes) in front of it, reading the files in a thread. "
            f"`wrk -t2 -c{data['connections']} -d{data['load_seconds']}s`, `WEB_CONCURRENCY=2`.\n\n{finding}",
            (["static files by", "path", *markdown.LOAD_HEADERS], table),
        ),
        summary=[
            ("static files under uvicorn: front.py or ServeStatic's ASGI app", finding.replace("**", ""), "")
        ],
    )
