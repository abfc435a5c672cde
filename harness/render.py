"""Rendering a project from the template, through Copier's API or its command line."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from copier import run_copy

from harness import locks
from harness.git import git, new_repository

DEFAULT_ANSWERS = {"project_name": "Example Shop"}


def render_project(template: Path, destination: Path, vcs_ref: str | None = "HEAD", **answers) -> Path:
    """`copier copy --trust --defaults` of `template` at `vcs_ref` (None: its latest tag) into
    `destination`, with `answers` over the defaults; the template's uncommitted changes count."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Dirty template changes")
        run_copy(
            str(template),
            destination,
            data={**DEFAULT_ANSWERS, **answers},
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=vcs_ref,
        )
    return destination


def template_repository(folder: Path, root: Path, paths: list[str]) -> Path:
    """`paths` of the template checkout at `root`, as they are on disk, in a new repository at
    `folder` whose one commit is tagged 99.99.99."""
    folder.mkdir()
    for path in paths:
        if (root / path).is_dir():
            shutil.copytree(root / path, folder / path)
        else:
            shutil.copy(root / path, folder / path)
    new_repository(folder, "the template as it is")
    git(folder, "tag", "99.99.99")
    return folder


def shared_once(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """The folder `name` in the temporary folder that every process of this test run shares
    (pytest-xdist's workers have one each inside it), made by `make(folder)` in whichever process
    asks first; the others wait for it and reuse it."""
    base = tmp_path_factory.getbasetemp()
    run_folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = run_folder / name
    done = run_folder / f"{name}.done"
    with locks.exclusive(hashlib.sha256(str(folder).encode()).hexdigest()[:16]):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a process killed while making it left
            make(folder)
            done.touch()
    return folder


def copier_cli(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """The `copier` command as a user runs it, so its messages are captured as they would show."""
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copier_update(project: Path, **answers) -> subprocess.CompletedProcess:
    """`copier update --trust --defaults` in `project`, changing `answers`."""
    data = [f"--data={name}={value}" for name, value in answers.items()]
    return copier_cli("update", "--trust", "--defaults", *data, cwd=project)


def refused_before_writing(project: Path, *args: str) -> str:
    """`copier *args` in the committed `project`, which must refuse: it exits non-zero with no
    traceback and leaves every file as it was; its last line, the reason, is returned."""
    result = copier_cli(*args, cwd=project)
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert status == "", f"the refused run changed files:\n{status}"
    return result.stderr.strip().splitlines()[-1]
