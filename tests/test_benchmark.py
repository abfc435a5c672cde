"""The benchmark measures every figure bench/manifest.py lists and writes them as JSON, each with
its target and the numbers that target bounds (python -m bench.run); the report step renders
that file with a verdict per target (python -m bench.report).

Only the shape is checked: the figures depend on the machine, and a figure that misses its
target is reported as a miss, not failed. The full run's results are bench/results/full.json,
rendered as docs/benchmark.md.
"""

import importlib
import json
import shutil
import subprocess
import sys
from numbers import Real

from bench import manifest, session, targets
from bench.figures import cold_start, database_page
from bench.figures import granian as granian_figure
from extensions import variants
from harness import REPO
from harness.services import has_test_server, missing_service, server_class_for


def bench(*args) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=1800, check=False
    )
    assert run.returncode == 0, f"python -m {args[0]} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def test_a_measurement_outside_a_bound_of_its_target_is_a_miss():
    target = [targets.at_least("ratio", 0.5), targets.NO_ERRORS]
    assert targets.verdict(target, {"ratio": 0.5, "errors": 0}) == "PASS"
    assert targets.verdict(target, {"ratio": 0.49, "errors": 0}) == "MISS"
    assert targets.verdict(target, {"ratio": 0.9, "errors": 1}) == "MISS"


def test_quick_benchmark_measures_every_figure_and_the_report_renders_it(docker_client, tmp_path):
    if not shutil.which("wrk"):
        missing_service("wrk (the load generator) is not installed")
    for database in session.QUICK.page_databases:
        if has_test_server(database) and not server_class_for(database).available():
            missing_service(f"no {database} server binaries (the database-backed page needs them)")
    results = tmp_path / "quick.json"
    bench("bench.run", "--quick", "--output", str(results))

    run = json.loads(results.read_text())
    assert list(run["figures"]) == list(manifest.FIGURES)
    for name, figure in run["figures"].items():
        assert figure["target"] == importlib.import_module(f"bench.figures.{name}").TARGET, name
        assert figure["data"], name
        for check in figure["checks"]:
            for bound in figure["target"]:
                assert isinstance(check["measured"][bound["measure"]], Real), (name, check)
    checks = {name: {check["name"] for check in figure["checks"]} for name, figure in run["figures"].items()}
    cells = {
        f"{database} {server}" for database in session.QUICK.page_databases for server in variants.SERVERS
    }
    assert checks == {
        "image_size": {"size"},
        "rebuild": {"rebuild"},
        "cold_start": set(variants.SERVERS),
        "throughput": {
            f"{path} {server}" for path in ("/healthz", "static file") for server in variants.SERVERS
        },
        "soak": set(variants.SERVERS),
        "asgi_static": set(),
        "database_page": cells,
        "connection_reuse": set(),
        "granian": set(),
    }
    pages = run["figures"]["database_page"]["data"]["rows"]
    assert all(
        set(cell) == {"bare Django", *database_page.PROBES, "project"}
        for servers in pages.values()
        for cell in servers.values()
    )
    reuse = run["figures"]["connection_reuse"]["data"]["rows"]
    assert {f"{database} {server}" for database in reuse for server in reuse[database]} == cells
    assert all(
        {"new", "persistent"} <= set(modes) for servers in reuse.values() for modes in servers.values()
    )
    page_rows = [row for servers in pages.values() for cell in servers.values() for row in cell.values()]
    # Each app of a cell loaded in turns with the others, in every round.
    rounds, _ = database_page.turns(session.QUICK.load_seconds)
    assert all(row["runs"] == rounds for row in page_rows)
    # And the CPU time the server's container spent on them, read from its cgroup.
    assert all(row["cpu_ms_per_request"] > 0 for row in page_rows)
    granian = run["figures"]["granian"]["data"]["rows"]
    assert set(granian) == {
        *variants.SERVERS,
        "granian (WSGI)",
        "granian (ASGI)",
        granian_figure.UVICORN_WORKER,
    }
    starts = run["figures"]["cold_start"]["data"]["seconds"]
    assert set(cold_start.UVICORN_ALTERNATIVES) <= set(starts)
    # Memory per worker beside every throughput row (WEB_CONCURRENCY=2).
    for server, rows in run["figures"]["throughput"]["data"]["rows"].items():
        for label, row in rows.items():
            assert len(row["memory"]["workers"]) == 2, (server, label, row["memory"])

    page = tmp_path / "benchmark.md"
    report = bench("bench.report", str(results), "--output", str(page))
    table = page.read_text().split("\n## Targets\n")[1].split("\n## ")[0].strip().splitlines()[2:]
    verdicts = {}
    for line in table:
        label, target, measured, verdict, _limit = (cell.strip() for cell in line.strip("|").split(" | "))
        assert target, line
        assert measured, line
        verdicts[label] = verdict
    labels = [check["label"] for figure in run["figures"].values() for check in figure["checks"]]
    assert sorted(verdicts) == sorted(labels)
    assert set(verdicts.values()) <= {"PASS", "MISS"}
    assert "| figure | target | latest | verdict |" in report.stdout, "the README's summary rows"
