"""Running a folder's pre-commit hooks, with the hook environments cached across tests and runs."""

import os
import subprocess
import sys
from pathlib import Path

from harness import CACHE


def run_pre_commit(folder: Path, *hook: str) -> subprocess.CompletedProcess:
    """`pre-commit run [HOOK] --all-files` in `folder`; the caller asserts on the result."""
    options = ["--all-files", "--show-diff-on-failure", "--color=never"]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *hook, *options],
        cwd=folder,
        env={**os.environ, "PRE_COMMIT_HOME": str(CACHE / "pre-commit")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
