"""Rebuild time after a code-only change, against the guide-style reference."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import markdown, projects, session
from bench.measure import check
from bench.targets import at_most

TITLE = "Rebuild after a code-only change"
# No worse than the template when the target was set (2026-11-28: 0.11× the reference's).
TARGET = [at_most("ratio", 0.11, "× the reference's")]


def measure(bench: session.Session) -> dict:
    """Both images are built first (a warm cache); then a comment is appended to one .py file in a
    copy of each project, and each is built again. The rebuilt images are removed."""
    bench.image(bench.plan.database, "gunicorn")
    bench.reference_image()
    seconds = {"template": [], "reference": []}
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as work:
        sources = {
            "template": bench.project(bench.plan.database, "gunicorn"),
            "reference": bench.reference_project(),
        }
        contexts = {name: shutil.copytree(project, Path(work) / name) for name, project in sources.items()}
        for _ in range(bench.plan.rebuilds):
            for name, context in contexts.items():
                projects.touch_code(context)
                started = time.monotonic()
                tag = projects.build(bench.client, context, f"{name}-rebuild")
                seconds[name].append(round(time.monotonic() - started, 2))
                bench.client.images.remove(tag)
    template, reference = (statistics.median(seconds[name]) for name in ("template", "reference"))
    ratio = round(template / reference, 2)  # as precise as the target
    label = "rebuild after a code-only change, against the reference"
    return {"checks": [check("rebuild", label, ratio=ratio)], "data": {"seconds": seconds}}


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    seconds = figure["data"]["seconds"]
    template, reference = (statistics.median(seconds[name]) for name in ("template", "reference"))
    ratio = figure["checks"][0]["measured"]["ratio"]
    each = {name: ", ".join(f"{value:.1f}" for value in times) for name, times in seconds.items()}
    count = len(seconds["template"])
    rows = [
        ["template", f"{template:.1f}", each["template"], "", ""],
        ["reference (guide style)", f"{reference:.1f}", each["reference"], "", ""],
        ["template / reference", f"{ratio:.2f}×", "", figure["target"][0]["text"], verdicts["rebuild"]],
    ]
    measured = f"{template:.1f} s / {reference:.1f} s = {ratio:.2f}×"
    return markdown.Rendered(
        measured={"rebuild": f"median {measured}"},
        values={
            "rebuilds": "once" if count == 1 else f"{count} times over",
            "table": markdown.table(["image", "median s", "each s", "target", "verdict"], rows),
        },
        summary=[
            ("rebuild after a code-only change, against the reference's", measured, verdicts["rebuild"])
        ],
    )
