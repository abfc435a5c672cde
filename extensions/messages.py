"""What copier.yml's after-copy and after-update messages check (a Jinja extension loaded by
copier-template-extensions): a template given by a relative path, whether a new project is in a
git repository, what an update changed in the answers, the files it could not merge and those it
removed, and whether the project's lock still covers its requirements.in.
"""

from __future__ import annotations

import json
import re
import runpy
import shlex
import subprocess
from pathlib import Path

import yaml
from jinja2.ext import Extension
from packaging.utils import canonicalize_name  # Copier's own dependency

variants = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]("variants")

# The values each choice question offers now: an update maps a recorded answer that is no longer
# among them to the question's default.
OFFERED = {
    "python_version": variants.PYTHON_VERSIONS,
    **{question: tuple(rows) for question, rows in variants.QUESTIONS.items()},
}

# A pinned line of a lock or of requirements.in: name, extras, version.
_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^\s;\\#]+))?")
RELOCK = "run scripts/lock, then commit requirements.in and requirements.txt together"


def files_deleted_since_last_commit(project_dir: str, candidates: list[str]) -> list[str]:
    """Which of `candidates` git tracks in `project_dir` but the working tree no longer has."""
    result = subprocess.run(
        ["git", "ls-files", "--deleted", "--", *candidates],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()


def _git_paths(project_dir: str, *args: str) -> list[str]:
    result = subprocess.run(
        ["git", *args, "-z"], cwd=project_dir, capture_output=True, text=True, check=False
    )
    return [path for path in result.stdout.split("\0") if path]


def answer_changes(project_dir: str, answers_file: str) -> list[str]:
    """What an update changed in the project's answers, one line each ("server: gunicorn ->
    uwsgi"), against the answers file of the last commit (Copier updates only a committed
    project); a recorded answer that is no longer offered says so."""
    current = Path(project_dir, answers_file)
    committed = subprocess.run(
        ["git", "show", f"HEAD:./{answers_file}"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if committed.returncode or not current.is_file():
        return []
    old = yaml.safe_load(committed.stdout) or {}
    new = yaml.safe_load(current.read_text()) or {}
    lines = []
    for name in dict.fromkeys([*old, *new]):
        if old.get(name) == new.get(name):
            continue
        line = f"{name}: {_shown(old.get(name))} -> {_shown(new.get(name))}"
        if name in OFFERED and name in old and str(old[name]) not in OFFERED[name]:
            line += f" ({old[name]} is no longer offered: the template's README.md says why)"
        lines.append(line)
    return lines


def _shown(value) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value)


def files_left_to_merge(project_dir: str) -> list[str]:
    """What an update in `project_dir` could not merge, one line each: the files Copier left with
    conflict markers (it records them as unmerged in git's index), and the `.rej` files of
    `--conflict rej`, ignored by a .gitignore or not."""
    unmerged = dict.fromkeys(
        line.split("\t", 1)[1] for line in _git_paths(project_dir, "ls-files", "--unmerged")
    )
    rejects = [path for path in _git_paths(project_dir, "ls-files", "--others") if path.endswith(".rej")]
    return [
        *(f"{path}: conflict markers" for path in unmerged),
        *(f"{path}: the part of the update that did not apply to {path[: -len('.rej')]}" for path in rejects),
    ]


def has_answers_file(folder: str) -> bool:
    """Whether `folder` holds a project Copier made (or adopted) already."""
    return (Path(folder) / ".copier-answers.yml").exists()


def in_git_repository(folder: str) -> bool:
    """Whether `folder` is inside a git repository's working tree."""
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=folder, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() == "true"


def is_relative_path(src_path: str) -> bool:
    """Whether the template was given as a relative local path (not absolute, not a URL)."""
    return not (
        Path(src_path).expanduser().is_absolute() or re.match(r"[\w+.-]+://|[\w.-]+@|gh:|gl:", src_path)
    )


def lock_problem(project_dir: str) -> str:
    """One line when the project's requirements.txt does not lock what its requirements.in lists
    (a line the lock lacks or pins differently, a direct requirement the lock still has after its
    line went, a merge left in the lock), or "" when it does."""
    folder = Path(project_dir)
    if not (folder / "requirements.in").exists() or not (folder / "requirements.txt").exists():
        return ""
    lock_lines = (folder / "requirements.txt").read_text().splitlines()
    if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lock_lines):
        return f"requirements.txt has conflict markers: do not resolve them by hand; {RELOCK}."
    wanted = {}
    for text in (folder / "requirements.in").read_text().splitlines():
        line = text.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")) and (match := _PIN.match(line)):
            wanted[canonicalize_name(match[1])] = (line, match[2])
    # uv writes each package's line, then indented hashes and "# via" lines naming who wants it.
    locked, direct, package = {}, set(), None
    for line in lock_lines:
        if line and not line.startswith((" ", "#", "-")) and (match := _PIN.match(line)):
            package = canonicalize_name(match[1])
            locked[package] = match[2]
        elif package and line.startswith(" ") and "-r requirements.in" in line:
            direct.add(package)
    missing = [
        line
        for name, (line, version) in wanted.items()
        if name not in locked or version not in (None, locked[name])
    ]
    if missing:
        return f"requirements.txt does not lock {', '.join(missing)} from requirements.in: {RELOCK}."
    stale = sorted(direct - set(wanted))
    if stale:
        return f"requirements.txt still locks {', '.join(stale)}, no longer in requirements.in: {RELOCK}."
    return ""


class MessageHelpers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(shell_quoted=shlex.quote)
        environment.globals.update(
            has_answers_file=has_answers_file,
            in_git_repository=in_git_repository,
            answer_changes=answer_changes,
            files_deleted_since_last_commit=files_deleted_since_last_commit,
            files_left_to_merge=files_left_to_merge,
            is_relative_path=is_relative_path,
            lock_problem=lock_problem,
        )
