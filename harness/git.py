"""git, as the tests use it on rendered projects and template histories."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repository, check=True, capture_output=True, text=True).stdout


def commit_all(repository: Path, message: str) -> None:
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--message", message)


def new_repository(folder: Path, message: str) -> None:
    """Make `folder` a git repository whose one commit holds everything in it, with its own
    committer (later commits, Copier's too, do not depend on the machine's git identity)."""
    git(folder, "init", "--quiet")
    git(folder, "config", "user.email", "user@example.com")
    git(folder, "config", "user.name", "User")
    commit_all(folder, message)
