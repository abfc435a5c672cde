#!/usr/bin/env python3
"""A stand-in for GitHub's `gh` command, for the generated project's scripts/update-template, run
as `gh` from the folder environment() puts first on PATH: `gh pr create` records the pull request
it would open (opened() reads them), and `gh pr list --head BRANCH --state open` answers from those
records, as GitHub would while they stay open. Any other use of it fails, naming it. Standard
library only: the script runs it with the system's Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

RECORDS = "GH_STAND_IN_RECORDS"


def environment(folder: Path, *path: Path) -> dict[str, str]:
    """This process's environment with the stand-in as `gh`, then `path`, first on PATH; it records
    into a file of `folder`."""
    (folder / "bin").mkdir()
    (folder / "bin" / "gh").symlink_to(Path(__file__).resolve())
    search = os.pathsep.join(map(str, (folder / "bin", *path, os.environ["PATH"])))
    return {**os.environ, "PATH": search, RECORDS: str(folder / "pull-requests.jsonl")}


def opened(env: dict[str, str]) -> list[dict[str, str]]:
    """The pull requests `gh pr create` opened with `env`: base, head, title and body of each."""
    records = Path(env[RECORDS])
    return [json.loads(line) for line in records.read_text().splitlines()] if records.exists() else []


def main(args: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="gh (stand-in)", exit_on_error=False)
    parser.add_argument("command", choices=["pr create", "pr list"])
    for option in ("--base", "--head", "--title", "--body", "--state", "--json", "--jq"):
        parser.add_argument(option)
    try:
        options = parser.parse_args([" ".join(args[:2]), *args[2:]])
    except argparse.ArgumentError:
        sys.exit(f"gh stand-in: gh {shlex.join(args)} is not a use it knows")
    records = Path(os.environ[RECORDS])
    if options.command == "pr create":
        record = {name: getattr(options, name) for name in ("base", "head", "title", "body")}
        if None in record.values():  # gh would ask for them
            sys.exit(f"gh stand-in: gh {shlex.join(args)} lacks one of --base, --head, --title, --body")
        with records.open("a") as file:
            file.write(json.dumps(record) + "\n")
        print(f"https://github.com/example/project/pull/{len(opened(os.environ))}")
    elif (options.state, options.json, options.jq) == ("open", "url", ".[].url"):
        for number, record in enumerate(opened(os.environ), start=1):
            if record["head"] == options.head:
                print(f"https://github.com/example/project/pull/{number}")
    else:
        sys.exit(f"gh stand-in: gh {shlex.join(args)} is not a use it knows")


if __name__ == "__main__":
    main(sys.argv[1:])
