"""Render a run's JSON (from `python -m bench.run`) as markdown, with a verdict per target.

    .venv/bin/python -m bench.report [RESULTS] [--output PATH]

RESULTS defaults to bench/results/full.json, and the output to docs/benchmark.md for a full run
(bench/results/<plan>.md otherwise). The verdicts are computed here, from each figure's target and
measured numbers as the JSON holds them; the README's summary rows are printed to stdout.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
from pathlib import Path

from bench import manifest, markdown, targets
from bench.markdown import MB
from harness import REPO

RESULTS = REPO / "bench" / "results"
STAND_IN = ", the stand-in from `scripts/build-offline-base-image`"


def render(run: dict) -> tuple[str, list[list[str]]]:
    """The markdown document, and the README's summary rows (figure, target, latest, verdict)."""
    checks, sections, summary = [], [], []
    for name in manifest.FIGURES:
        if name not in run["figures"]:
            continue
        figure = run["figures"][name]
        verdicts = {
            check["name"]: targets.verdict(figure["target"], check["measured"]) for check in figure["checks"]
        }
        rendered = importlib.import_module(f"bench.figures.{name}").render(figure, verdicts)
        target = targets.text(figure["target"]) if figure["target"] else "none: reported"
        for check in figure["checks"]:
            verdict = verdicts[check["name"]]
            limit = rendered.limits.get(check["name"], "") if verdict == "MISS" else ""
            checks.append([check["label"], target, rendered.measured[check["name"]], verdict, limit])
        sections.append(rendered.section)
        summary += [[label, target, latest, verdict] for label, latest, verdict in rendered.summary]
    return document(run, checks, sections), summary


def document(run: dict, checks: list[list[str]], sections: list[str]) -> str:
    machine, template = run["machine"], run["template"]
    quick = run["plan"] == "quick"
    started = datetime.datetime.fromisoformat(run["started"])
    loads = " → ".join(
        " / ".join(f"{value:.2f}" for value in run["load_average"][when]) for when in ("start", "end")
    )
    base = machine["base_image"]
    base_origin = STAND_IN if base.get("stand_in") else ""
    revision = f"commit {template['commit']}" + (
        " with uncommitted changes" if template["uncommitted_changes"] else ""
    )
    machine_rows = [
        ["CPU", f"{machine['cpus']} × {machine['cpu']}"],
        ["memory", f"{machine['memory_gib']} GiB"],
        ["OS", f"{machine['os']}, kernel {machine['kernel']}"],
        ["Docker engine", f"{machine['docker']} (classic builder)"],
        ["wrk", machine["wrk"]],
        [
            "base image",
            f"`{base['name']}`{base_origin} ({base['id']}, {base['bytes'] / MB:.0f} MB)",
        ],
        ["template", revision],
        ["load average (1/5/15 min) at start, at end", loads],
    ]
    flag, results = (" --quick", " bench/results/quick.json") if quick else ("", "")
    latest = (
        f"Latest run: {started:%Y-%m-%d %H:%M} UTC, {run['minutes']:.0f} minutes"
        + (", quick run (short loads: a smoke test, not figures to quote)" if quick else "")
        + ". Reproduce from a checkout of the repository, on a machine with a Docker engine, `wrk` "
        "and the PostgreSQL and MariaDB server binaries:"
    )
    parts = [
        "# Benchmark: the generated images against the guide's Dockerfile",
        latest,
        f"```sh\n.venv/bin/python -m bench.run{flag}\n.venv/bin/python -m bench.report{results}\n```",
        (
            "The first command measures and writes the raw results as JSON "
            f"(`bench/results/{run['plan']}.json`); the second computes the verdicts and writes this page."
        ),
        "## Machine",
        markdown.table(["", ""], machine_rows),
        (
            "The load generator runs on the same CPUs as the containers. Every container uses the host "
            "network, bound to 127.0.0.1; every image is built from the same base image."
        ),
        "## Targets",
        markdown.table(["figure", "target", "measured", "verdict", "what limits a miss"], checks),
        *sections,
    ]
    if run.get("reference_dockerfile"):
        parts += [
            "## The reference Dockerfile",
            "The guide's style, built on the same base image from a copy of the same rendered project:",
            f"```dockerfile\n{run['reference_dockerfile'].strip()}\n```",
        ]
    return "\n\n".join(parts) + "\n"


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
