"""Measure the generated images against a Dockerfile in the guide's style; write the raw results.

    .venv/bin/python -m bench.run [--smoke] [--output PATH] [--figure NAME ...]

Runs the figures bench/manifest.py lists (each a module under bench/figures/) on this machine and
one base image, and writes what they measured, with each figure's target, as JSON: by default
bench/results/full.json (committed; docs/benchmark.md is rendered from it) or, with --smoke (one
variant, one start, one rebuild, one-second loads: proof that each figure measures),
bench/results/smoke.json; with --figure, full-some.json or smoke-some.json. It decides no
verdict: `python -m bench.report` does, from that file. wrk's raw output goes to bench/results/raw/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from bench import manifest, session
from bench.measure import RAW
from harness import REPO
from harness.images import find_base_image, is_stand_in

RESULTS = REPO / "bench" / "results"
SCHEMA = 1


def machine(client, base: str) -> dict:
    def proc(name: str, key: str) -> str:
        """The value of `key` in /proc/`name`, a file of `key: value` lines."""
        lines = Path(f"/proc/{name}").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith(key))

    image = client.images.get(base)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split()
    return {
        "cpus": os.cpu_count(),
        "cpu": proc("cpuinfo", "model name"),
        "memory_gib": round(int(proc("meminfo", "MemTotal").split()[0]) / 1024**2, 1),
        "os": platform.freedesktop_os_release()["PRETTY_NAME"],
        "kernel": platform.release(),
        "docker": client.version()["Version"],
        "wrk": wrk[1] if len(wrk) > 1 else "unknown",
        "base_image": {
            "name": base,
            "id": image.short_id.split(":")[1],
            "bytes": image.attrs["Size"],
            "stand_in": is_stand_in(client, base),
        },
    }


def template_revision() -> dict:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "copier.yml", "template", "extensions", "bench")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(dirty)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="each figure on one gateway, with tiny loads")
    parser.add_argument(
        "--output", type=Path, help="the JSON file (default bench/results/full.json or smoke.json)"
    )
    parser.add_argument(
        "--figure",
        action="append",
        choices=manifest.FIGURES,
        help="measure only this figure (repeatable); the default is every figure",
    )
    args = parser.parse_args()
    plan = session.SMOKE if args.smoke else session.FULL
    # A run of some figures only does not replace the last run of them all.
    output = args.output or RESULTS / f"{plan.name}{'-some' if args.figure else ''}.json"
    figures = [name for name in manifest.FIGURES if not args.figure or name in args.figure]

    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    load_at_start = os.getloadavg()
    client = docker.from_env(timeout=900)
    base = find_base_image(client)
    for previous in RAW.glob("*.txt"):  # RAW holds the last run's wrk output only
        previous.unlink()
    results = {}
    with tempfile.TemporaryDirectory(prefix="django-bench-") as work:
        bench = session.Session(client, base, Path(work), plan)
        try:
            for name in figures:
                module = importlib.import_module(f"bench.figures.{name}")
                print(f"\n== {module.TITLE}", flush=True)
                figure_started = time.monotonic()
                measured = module.measure(bench)
                results[name] = {
                    "title": module.TITLE,
                    "target": module.TARGET,
                    **measured,
                    "seconds": round(time.monotonic() - figure_started, 1),
                }
            reference = bench.reference_dockerfile()
        finally:
            bench.close()

    run = {
        "schema": SCHEMA,
        "plan": plan.name,
        "settings": {name: value for name, value in dataclasses.asdict(plan).items() if name != "name"},
        "started": started.isoformat(timespec="seconds"),
        "minutes": round((time.monotonic() - clock) / 60, 1),
        "load_average": {"start": list(load_at_start), "end": list(os.getloadavg())},
        "machine": machine(client, base),
        "template": template_revision(),
        "reference_dockerfile": reference,
        "figures": results,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {output} in {run['minutes']} minutes; render it with: python -m bench.report {output}")


if __name__ == "__main__":
    main()
