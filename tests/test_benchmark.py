"""The benchmark's smoke run measures every figure bench/manifest.py lists, with real containers, and
writes them as JSON, each with its target and the numbers that target bounds (python -m bench.run
--smoke: one variant, one start, one-second loads); the report step renders that file with a
verdict per target (python -m bench.report).

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
from bench.figures import database_page, observability, worker
from extensions import variants
from harness import REPO, services
from harness.services import has_test_server, missing_service, server_class_for
from harness.workers import WORKER_COMMAND

SMOKE = session.SMOKE


def bench(*args) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=900, check=False
    )
    assert run.returncode == 0, f"python -m {args[0]} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def verdicts(page: str) -> dict[str, str]:
    """The Targets table of a rendered report: each check's label and verdict; every row names
    its target and what was measured."""
    table = page.split("\n## Targets\n")[1].split("\n## ", maxsplit=1)[0].strip().splitlines()[2:]
    found = {}
    for line in table:
        label, target, measured, verdict, _limit = (cell.strip() for cell in line.strip("|").split(" | "))
        assert target, line
        assert measured, line
        found[label] = verdict
    return found


def signals_were_on_and_off(figure: dict) -> None:
    """The observability figure's app with every signal on logged and counted its requests, and
    the one with every signal off logged none."""
    for cell in figure["data"]["rows"].values():
        on, off = cell[observability.ON], cell[observability.OFF]
        assert on["access_lines"] > 0, cell
        assert on["requests_counted"] > 0, cell
        assert off["access_lines"] == 0, cell


def test_a_measurement_outside_a_bound_of_its_target_is_a_miss():
    target = [targets.at_least("ratio", 0.5), targets.NO_ERRORS]
    assert targets.verdict(target, {"ratio": 0.5, "errors": 0}) == "PASS"
    assert targets.verdict(target, {"ratio": 0.49, "errors": 0}) == "MISS"
    assert targets.verdict(target, {"ratio": 0.9, "errors": 1}) == "MISS"


def test_docs_benchmark_is_the_report_of_the_last_full_run(tmp_path):
    page = tmp_path / "benchmark.md"
    bench("bench.report", "bench/results/full.json", "--output", str(page))
    assert page.read_text() == (REPO / "docs" / "benchmark.md").read_text(), "run: python -m bench.report"
    run = json.loads((REPO / "bench" / "results" / "full.json").read_text())
    labels = [check["label"] for figure in run["figures"].values() for check in figure["checks"]]
    assert sorted(verdicts(page.read_text())) == sorted(labels)
    assert "\n## Decided studies\n" in page.read_text()


def test_smoke_benchmark_measures_every_figure_and_the_report_renders_it(docker_client, tmp_path):
    if not shutil.which("wrk"):
        missing_service("wrk (the load generator) is not installed")
    for database in {*SMOKE.page_databases, *(database for database, _ in SMOKE.task_cells)}:
        if has_test_server(database) and not server_class_for(database).available():
            missing_service(f"no {database} server binaries (the smoke run's figures need them)")
    for _, backend in SMOKE.task_cells:
        server = variants.WORKERS[backend].test_server
        if server and not getattr(services, server).available():
            missing_service(f"no {backend} server binaries (the worker figure needs them)")
    results = tmp_path / "smoke.json"
    bench("bench.run", "--smoke", "--output", str(results))

    run = json.loads(results.read_text())
    assert list(run["figures"]) == list(manifest.FIGURES)
    for name, figure in run["figures"].items():
        assert figure["target"] == importlib.import_module(f"bench.figures.{name}").TARGET, name
        assert figure["data"], name
        for check in figure["checks"]:
            for bound in figure["target"]:
                assert isinstance(check["measured"][bound["measure"]], Real), (name, check)
    checks = {name: {check["name"] for check in figure["checks"]} for name, figure in run["figures"].items()}
    assert checks == {
        "image_size": {"size"},
        "rebuild": {"rebuild"},
        "cold_start": set(SMOKE.servers),
        "throughput": {
            f"{path} {server}" for path in ("/healthz", "static file") for server in SMOKE.servers
        },
        "soak": set(SMOKE.servers),
        "database_page": {
            f"{database} {server}" for database in SMOKE.page_databases for server in SMOKE.servers
        },
        "worker": {f"{database} {worker}" for database, worker in SMOKE.task_cells},
        "observability": set(SMOKE.servers),
    }
    pages = run["figures"]["database_page"]["data"]["rows"]
    page_rows = [row for servers in pages.values() for cell in servers.values() for row in cell.values()]
    assert len(page_rows) == 2 * len(checks["database_page"]), "the project and the bare Django, each cell"
    # Each app of a cell loaded in turns with the other, in every round.
    rounds, _ = database_page.turns(SMOKE.load_seconds)
    assert all(row["runs"] == rounds for row in page_rows)
    # And the CPU time the server's container spent on them, read from its cgroup.
    assert all(row["cpu_ms_per_request"] > 0 for row in page_rows)
    # The project's task worker and the library's, each with its latencies and its idle memory.
    for cell in run["figures"]["worker"]["data"]["rows"].values():
        assert set(cell) == {worker.PROJECT, worker.LIBRARY}
        assert cell[worker.PROJECT]["command"] == " ".join(WORKER_COMMAND)
        for row in cell.values():
            assert row["probes"] == SMOKE.task_probes * SMOKE.task_rounds, row
            assert row["idle_rss_mb"] > 0, row
    signals_were_on_and_off(run["figures"]["observability"])
    # Memory per worker beside every throughput row (WEB_CONCURRENCY=2).
    for server, rows in run["figures"]["throughput"]["data"]["rows"].items():
        for label, row in rows.items():
            assert len(row["memory"]["workers"]) == 2, (server, label, row["memory"])

    page = tmp_path / "benchmark.md"
    report = bench("bench.report", str(results), "--output", str(page))
    found = verdicts(page.read_text())
    labels = [check["label"] for figure in run["figures"].values() for check in figure["checks"]]
    assert sorted(found) == sorted(labels)
    assert set(found.values()) <= {"PASS", "MISS"}
    assert "| figure | target | latest | verdict |" in report.stdout, "the README's summary rows"
