"""Running a folder's pre-commit hooks, with the hook environments cached across tests and runs."""

import os
import subprocess
import sys
from pathlib import Path

from harness import CACHE


def run_pre_commit(folder: Path) -> subprocess.CompletedProcess:
    """`pre-commit run --all-files` in `folder`; the caller asserts on the result."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure", "--color=never"],
        cwd=folder,
        env={**os.environ, "PRE_COMMIT_HOME": str(CACHE / "pre-commit")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
