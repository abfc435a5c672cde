"""Render a run's JSON (from `python -m bench.run`) as markdown, with a verdict per target.

    .venv/bin/python -m bench.report [RESULTS] [--output PATH]

RESULTS defaults to bench/results/full.json, and the output to docs/benchmark.md for a full run
(bench/results/<plan>.md otherwise). The verdicts are computed here, from each figure's target and
measured numbers as the JSON holds them; the README's summary rows are printed to stdout. The prose
is bench/report.md's, and the studies no longer run are bench/decided.md, as it is.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import re
from pathlib import Path

from bench import manifest, markdown, targets
from bench.markdown import MB
from harness import REPO

RESULTS = REPO / "bench" / "results"
STAND_IN = ", the stand-in from `scripts/build-offline-base-image`"
SMOKE = ", a smoke run (one gateway, one-second loads): it proves each figure measures, not figures to quote"
TEMPLATE = REPO / "bench" / "report.md"
DECIDED = REPO / "bench" / "decided.md"


def parts() -> dict[str, str]:
    """bench/report.md's parts by name: the text after each line `<!-- name -->`."""
    pieces = re.split(r"^<!-- (\w+) -->\n", TEMPLATE.read_text(), flags=re.MULTILINE)
    return dict(zip(pieces[1::2], (piece.strip() for piece in pieces[2::2]), strict=True))


def render(run: dict) -> tuple[str, list[list[str]]]:
    """The markdown document, and the README's summary rows (figure, target, latest, verdict)."""
    checks, sections, summary, prose = [], [], [], parts()
    for name in manifest.FIGURES:
        if name not in run["figures"]:
            continue
        figure = run["figures"][name]
        verdicts = {
            check["name"]: targets.verdict(figure["target"], check["measured"]) for check in figure["checks"]
        }
        rendered = importlib.import_module(f"bench.figures.{name}").render(figure, verdicts)
        target = targets.text(figure["target"])
        for check in figure["checks"]:
            verdict = verdicts[check["name"]]
            limit = rendered.limits.get(check["name"], "") if verdict == "MISS" else ""
            checks.append([check["label"], target, rendered.measured[check["name"]], verdict, limit])
        sections.append(prose[name].format_map({"title": figure["title"], **rendered.values}))
        summary += [[label, target, latest, verdict] for label, latest, verdict in rendered.summary]
    return document(run, checks, sections, prose), summary


def document(run: dict, checks: list[list[str]], sections: list[str], prose: dict[str, str]) -> str:
    smoke, base = run["plan"] == "smoke", run["machine"]["base_image"]
    started = datetime.datetime.fromisoformat(run["started"])
    loads = (" / ".join(f"{value:.2f}" for value in run["load_average"][when]) for when in ("start", "end"))
    dirty = " with uncommitted changes" if run["template"]["uncommitted_changes"] else ""
    values = {
        "latest": f"Latest run: {started:%Y-%m-%d %H:%M} UTC, {run['minutes']:.0f} minutes{SMOKE * smoke}.",
        "flag": " --smoke" * smoke,
        "results": " bench/results/smoke.json" * smoke,
        "plan": run["plan"],
        "machine": run["machine"],
        "stand_in": STAND_IN * bool(base.get("stand_in")),
        "base_mb": f"{base['bytes'] / MB:.0f}",
        "revision": f"commit {run['template']['commit']}{dirty}",
        "loads": " → ".join(loads),
        "targets": markdown.table(["figure", "target", "measured", "verdict", "what limits a miss"], checks),
    }
    parts = [prose["document"].format_map(values), *sections]
    if run.get("reference_dockerfile"):
        parts.append(
            prose["reference_dockerfile"].format_map({"dockerfile": run["reference_dockerfile"].strip()})
        )
    return "\n\n".join([*parts, DECIDED.read_text().strip()]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS / "full.json", help="a run's JSON")
    parser.add_argument("--output", type=Path, help="the markdown file")
    args = parser.parse_args()
    run = json.loads(args.results.read_text())
    output = args.output or (
        REPO / "docs" / "benchmark.md" if run["plan"] == "full" else RESULTS / f"{run['plan']}.md"
    )
    text, summary = render(run)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"wrote {output}\n\nThe README's summary rows:\n")
    print(markdown.table(["figure", "target", "latest", "verdict"], summary))
    misses = [row[0] for row in summary if row[3] == "MISS"]
    print(f"\n{len(misses)} summary rows miss their target" + "".join(f"\n  MISS: {row}" for row in misses))


if __name__ == "__main__":
    main()
