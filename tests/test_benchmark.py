"""The benchmark (bench/run.py) runs end to end, and its table has a measured row for every figure
it must report.

Only the report's shape is checked: the figures depend on the machine, and a figure that misses its
target is reported as a miss, not failed. The full run's table is docs/benchmark.md.
"""

import shutil
import subprocess
import sys

from extensions import variants
from tests.support import REPO
from tests.support.services import missing_service


def expected_figures() -> list[str]:
    figures = [
        "final image size, mysql variant, against the reference",
        "final image size, mysql variant, over base image + installed site-packages",
        "rebuild after a code-only change, against the reference",
    ]
    for server in variants.SERVERS:
        figures += [
            f"container start → first 200 on /healthz, {server}",
            f"/healthz on {server}, against hello-world",
            f"static file on {server}, against hello-world",
        ]
    return figures


def test_quick_benchmark_reports_every_figure_with_a_verdict(docker_client, tmp_path):
    if not shutil.which("wrk"):
        missing_service("wrk (the load generator) is not installed")
    report = tmp_path / "benchmark.md"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--output", report],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert run.returncode == 0, f"python -m bench.run failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"

    targets = report.read_text().split("\n## Targets\n")[1].split("\n## ")[0]
    rows = {}
    for line in targets.strip().splitlines()[2:]:
        figure, target, measured, verdict, _limit = (cell.strip() for cell in line.strip("|").split(" | "))
        rows[figure] = (target, measured, verdict)
    soak = [figure for figure in rows if " at 50 connections on " in figure]
    assert sorted(soak) == sorted(f"5 s at 50 connections on {server}" for server in variants.SERVERS)
    assert set(rows) == set(expected_figures()) | set(soak)
    for figure, (target, measured, verdict) in rows.items():
        assert target, figure
        assert measured, figure
        assert verdict in {"PASS", "MISS"}, figure
    assert "Better on the static file: **" in report.read_text(), "the ASGI static-file comparison ran"
