"""Adopting the example Django projects of tests/adoption_examples/ (each made a git repository
here, as a user's project is), and checking what the adoption did to the user's files."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from extensions.adopt import DOCKER_FILES
from harness import REPO
from harness.git import git, new_repository
from harness.project import virtualenv_for
from harness.render import copier_cli

EXAMPLES = REPO / "tests" / "adoption_examples"
# The row the SQLite example's own page must still show after the adoption.
EXISTING_ROW = "Is this row still here after the adoption?"


@dataclass(frozen=True)
class Example:
    name: str
    package: str
    settings_module: str
    database: str
    # The app's own page, what it shows, and a static file of the project's own (None: admin's).
    page_text: str
    static_file: str | None
    # The gateway `copier update` switches to afterwards (None: not switched, one image less).
    switch_to: str | None
    # Settings of the developer's own machine, which the example's .gitignore ignores.
    ignored_settings: str
    # Files of the developer's own machine that a .gitignore in a subfolder ignores.
    ignored_in_subfolders: tuple[str, ...] = ()
    # Variables the project's own settings need in production, besides the template's.
    environment: tuple[tuple[str, str], ...] = ()
    # The X-Frame-Options header its pages send (the project's own setting, where it has one).
    x_frame_options: str = "DENY"
    # The example whose files this one's are written over (its folder holds only what differs).
    based_on: str | None = None
    # Files the example commits that the image must not hold all the same (secrets).
    kept_out: tuple[str, ...] = ()
    # The worker answer it is adopted with (None: the default).
    worker: str | None = None


# What split_settings' books/.gitignore ignores (its /exports/ and *.key): there when the image is built.
BOOKS_IGNORED = ("books/exports/loans.csv", "books/signing.key", "books/migrations/old.key")

EXAMPLE_PROJECTS = {
    example.name: example
    for example in (
        Example(
            "sqlite_startproject", "mysite", "mysite.settings", "sqlite", EXISTING_ROW, None, "uwsgi",
            "mysite/local_settings.py",
        ),
        Example(
            "split_settings", "bookshelf", "bookshelf.settings.production", "postgresql",
            "The shelf is empty.", "css/shelf.css", "uvicorn", "bookshelf/settings/local.py",
            ignored_in_subfolders=BOOKS_IGNORED,
        ),
        # Requires uwsgi, which compiles from source: adopted on uWSGI, the image runs that one.
        Example(
            "custom_user", "crm", "crm.settings", "postgresql", "1 member", "accounts/team.css", "uvicorn",
            "crm/local_settings.py", worker="redis",
        ),
        # split_settings as real projects are: requirements.txt includes requirements/production.txt,
        # which includes base.txt and pins psycopg2 (source only) and a gunicorn older than the
        # template's (23, before the control socket's options); wsgi.py names the development
        # settings, the Dockerfile the production ones, which define django-environ's `env`, read
        # three variables at import (SECRET_KEY's its own, which twelve_factor.py sets from the
        # template's) and, as cookiecutter-django's do, DATABASE_URL where it is set, else
        # variables of their own; it commits cookiecutter-django's .envs/ files of variables.
        Example(
            "nested_requirements", "bookshelf", "bookshelf.settings.production", "postgresql",
            "The shelf is empty.", "css/shelf.css", None, "bookshelf/settings/local.py",
            ignored_in_subfolders=BOOKS_IGNORED,
            environment=(("SHELF_ADMIN_URL", "admin/"), ("SHELF_ADMIN_EMAIL", "admin@shelf.example.com")),
            x_frame_options="SAMEORIGIN",
            based_on="split_settings",
            kept_out=(".envs/.production/.django",),
        ),
    )
}  # fmt: skip


def _write_files(destination: Path, files: dict[str, str | bytes | None]) -> None:
    """Writes each file (path -> content) under `destination`; None removes it."""
    for path, content in files.items():
        target = destination / path
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)


def user_project(
    example: Example,
    destination: Path,
    edits: dict[str, str | bytes | None] | None = None,
    repository: tuple[Path, dict[str, str]] | None = None,
) -> Path:
    """A copy of the example as a git repository with one commit, as its user has it; `edits`
    write files of another shape over it first (path -> content, None: removed). With
    `repository`, (its root, its files beside the project: path -> content), `destination` is a
    subfolder of that larger repository instead (a monorepo)."""
    if example.based_on:
        shutil.copytree(EXAMPLES / example.based_on, destination)
    shutil.copytree(EXAMPLES / example.name, destination, dirs_exist_ok=True)
    _write_files(destination, edits or {})
    root = destination
    if repository is not None:
        root, files = repository
        _write_files(root, files)
    new_repository(root, "The project before adoption")
    if example.database == "sqlite":
        add_existing_sqlite_row(destination)
    return destination


def add_existing_sqlite_row(project: Path) -> None:
    """The SQLite example's db.sqlite3 (ignored by its .gitignore) with one poll in it, written by
    the project's own manage.py with its own requirements."""
    python = virtualenv_for(project / "requirements.txt") / "bin" / "python"
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    for command in (
        ["migrate", "--noinput"],
        [
            "shell",
            "-c",
            f"from polls.models import Question; Question.objects.create(question_text={EXISTING_ROW!r})",
        ],
    ):
        subprocess.run([python, "manage.py", *command], cwd=project, env=env, check=True, capture_output=True)


@dataclass
class Adoption:
    project: Path
    output: str
    seconds: float
    returncode: int


def adopt(project: Path, template: Path, *args: str, vcs_ref: str = "HEAD") -> Adoption:
    """`copier copy --trust --defaults <template> .` in the project, as the README says."""
    started = time.monotonic()
    result = copier_cli(
        "copy", "--trust", "--defaults", f"--vcs-ref={vcs_ref}", *args, str(template), ".", cwd=project
    )
    seconds = time.monotonic() - started
    return Adoption(project, result.stdout + result.stderr, seconds, result.returncode)


def summary_section(output: str, heading: str) -> list[str]:
    """The indented lines under `heading` (e.g. "Files changed") in the adoption's summary."""
    found = re.search(rf"^{heading} \(\d+\):\n((?:  .*\n)*)", output, re.MULTILINE)
    assert found, f"the summary has no {heading!r} section:\n{output}"
    return [line.strip() for line in found.group(1).splitlines()]


def removed_lines(project: Path) -> dict[str, list[str]]:
    """Lines of the user's committed files that the working tree no longer has, per file; a
    Docker file set aside counts as kept when its new name holds its old content whole."""
    removed = {}
    for path in git(project, "ls-files", "-z").split("\0"):
        if not path:
            continue
        before = git(project, "show", f"HEAD:{path}").splitlines()
        if path in DOCKER_FILES:
            aside = project / DOCKER_FILES[path]
            after = aside.read_text().splitlines() if aside.exists() else []
        else:
            after = (project / path).read_text().splitlines() if (project / path).exists() else []
        lost = [line[2:] for line in difflib.ndiff(before, after) if line.startswith("- ")]
        if lost:
            removed[path] = lost
    return removed


def changed_user_files(project: Path) -> dict[str, int]:
    """The user's committed files the working tree changes, with the number of lines added."""
    changed = {}
    for line in git(project, "diff", "--numstat").splitlines():
        added, _removed, path = line.split("\t")
        changed[path] = int(added)
    return changed
