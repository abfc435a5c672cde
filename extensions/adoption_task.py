"""The adoption's one task, run by copier.yml's _tasks after the template's files are rendered
(`python adoption_task.py finish DESTINATION SQLITE_FILE INCLUDE_IN`): it sets the user's Docker
files aside for the template's, includes the template's requirements from the user's requirements
files (INCLUDE_IN, comma-separated: requirements.txt, and the requirements.in it is compiled
from), completes their .gitignore and has .dockerignore exclude what it ignores, copies a
SQLite database into data/, and adds the dockerignore-covers-gitignore hook to the user's own
.pre-commit-config.yaml. The standard library and PyYAML, Copier's own: the Python that runs Copier
runs it. The names below are also what adopt.py's summary reports.
"""

from __future__ import annotations

import fnmatch
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

# The template's versions replace the user's, which are set aside under these names.
DOCKER_FILES = {
    "Dockerfile": "Dockerfile.before-adoption",
    "docker-compose.yml": "docker-compose.before-adoption.yml",
    ".dockerignore": ".dockerignore.before-adoption",
}
# The template's own requirements of an adopted project, included from the user's requirements.txt.
REQUIREMENTS_FILE = "requirements-twelve-factor.txt"
INCLUDE_LINE = f"-r {REQUIREMENTS_FILE}"
# Where the template's Docker files are rendered during the adoption, before the task moves them.
STAGING = ".adoption"
GITIGNORE_LINES = ("/staticfiles/", "/data/*", "!/data/.gitkeep")
# A project whose data/ holds committed files of its own: only the SQLite copy and local media
# uploads are ignored there (and left out of the image, which has the rest: .dockerignore's
# patterns follow .gitignore's).
GITIGNORE_LINES_BESIDE_DATA = ("/staticfiles/", "/data/db.sqlite3*", "/data/media/")
SQLITE_DATA = Path("data") / "db.sqlite3"
# The generated project's check that .dockerignore excludes what .gitignore ignores, and its
# translation of one into the other (a script of the template, run here by path).
DOCKERIGNORE_CHECK = Path(__file__).resolve().parent.parent / "template" / "scripts" / "check-dockerignore"
DOCKERIGNORE_HEADING = (
    "\n# Your .gitignore's own patterns, as Docker reads them (the adoption added them): what git"
    "\n# ignores stays out of the image.\n"
)
# The generated project's pre-commit hook that runs that check, which an adoption adds to the user's
# own .pre-commit-config.yaml (a project without one gets the template's, which has it).
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
DOCKERIGNORE_HOOK = "dockerignore-covers-gitignore"
TEMPLATE_PRE_COMMIT_CONFIG = DOCKERIGNORE_CHECK.parent.parent / PRE_COMMIT_CONFIG
HOOK_HEADING = "# The twelve-factor template's: .dockerignore must exclude what .gitignore ignores."
TRACKED_HEADING = (
    "\n# Files git tracks although .gitignore matches them: the image has what the repository holds.\n"
)


def _append_missing(path: Path, lines: tuple[str, ...]) -> None:
    """Appends the lines `path` lacks, in its own line endings; the rest stays byte for byte."""
    data = path.read_bytes() if path.exists() else b""
    text = data.decode(errors="surrogateescape")
    missing = [line for line in lines if line not in text.splitlines()]
    if missing:
        newline = "\r\n" if "\r\n" in text else "\n"
        separator = "" if not text or text.endswith("\n") else newline
        added = f"{separator}{newline.join(missing)}{newline}"
        path.write_bytes(data + added.encode())


# Files that stay out of the image though git tracks them (the template's .dockerignore lists them
# too): files of variables, which the platform gives the container, and SQLite databases, which
# live on its volume. One committed would be in every image built from it (a tracked *.pem, a
# certificate the app reads as a rule, goes in).
NEVER_IN_THE_IMAGE = (".env", ".env.*", ".env-local", ".envs", "*.sqlite3*")


def never_in_the_image(path: str) -> bool:
    """Whether `path` (relative, with /) is a file NEVER_IN_THE_IMAGE names, or lies in such a folder."""
    return any(
        fnmatch.fnmatchcase(part, pattern) for part in path.split("/") for pattern in NEVER_IN_THE_IMAGE
    )


def tracked_and_ignored(dst: Path) -> list[str] | None:
    """The files git tracks that a .gitignore pattern matches (None outside a repository)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard", "-z"],
        cwd=dst,
        capture_output=True,
        text=True,
        check=False,
    )
    return None if listed.returncode else sorted(set(listed.stdout.split("\0")) - {""})


def exclude_what_git_ignores(dst: Path) -> None:
    """Append to .dockerignore the patterns of the user's .gitignore files (the root's, then those
    in subfolders) it lacks, then an exception for each file git tracks that a pattern matches
    (git keeps it, so the image must have it too), but those NEVER_IN_THE_IMAGE. Run after every
    copy, recopy and update of an adopted project, as each renders the template's .dockerignore
    afresh; on one that has them already it changes nothing."""
    dockerignore = dst / ".dockerignore"
    text = dockerignore.read_text() if dockerignore.exists() else ""
    if DOCKERIGNORE_HEADING in text or TRACKED_HEADING in text:
        return  # added before, and kept by the update's merge (the pre-commit hook checks it since)
    listed = tracked_and_ignored(dst)
    if listed is None:
        return  # not the project: an update's render of the old version, outside any repository
    tracked = [f"!{path}" for path in listed if not never_in_the_image(path)]
    missing_patterns = runpy.run_path(str(DOCKERIGNORE_CHECK))["missing_patterns"]
    added = [pattern for _file, _line, pattern in missing_patterns(dst, text)]
    if added:
        text += DOCKERIGNORE_HEADING + "\n".join(added) + "\n"
    if tracked:
        text += TRACKED_HEADING + "\n".join(tracked) + "\n"
    dockerignore.write_text(text)


def dockerignore_hook_repo(indent: str = "") -> str:
    """The template's dockerignore-covers-gitignore hook as one item of a pre-commit `repos` list,
    its lines at `indent`."""
    config = yaml.safe_load(TEMPLATE_PRE_COMMIT_CONFIG.read_text())
    hook = next(hook for repo in config["repos"] for hook in repo["hooks"] if hook["id"] == DOCKERIGNORE_HOOK)
    item = yaml.safe_dump([{"repo": "local", "hooks": [hook]}], sort_keys=False)
    return textwrap.indent(f"{HOOK_HEADING}\n{item}", indent)


def has_dockerignore_hook(config: str) -> bool:
    """Whether the pre-commit config text `config` runs the dockerignore-covers-gitignore hook."""
    try:
        repos = yaml.safe_load(config).get("repos") or []
        return any(hook.get("id") == DOCKERIGNORE_HOOK for repo in repos for hook in repo.get("hooks", []))
    except (yaml.YAMLError, AttributeError, TypeError):
        return False


def add_dockerignore_hook(dst: Path) -> None:
    """Add the dockerignore-covers-gitignore hook to the user's .pre-commit-config.yaml, as one
    more item at the end of its block-style `repos:` list, in that list's indentation: only when
    the file then says what it said plus that item (YAML read before and after), else it stays as
    it is and the summary gives the lines to add. Every line of the user's stays, comments too."""
    path = dst / PRE_COMMIT_CONFIG
    text = path.read_bytes().decode(errors="surrogateescape") if path.exists() else ""
    if not text or has_dockerignore_hook(text):
        return
    lines = text.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if re.match(r"repos:\s*(#.*)?$", line)), None)
    if start is None:
        return  # no block-style repos list (none, or a flow-style one): the summary names the lines
    end = next(
        (n for n, line in enumerate(lines[start + 1 :], start + 1) if re.match(r"[^\s#-]", line)), len(lines)
    )
    items = [line for line in lines[start + 1 : end] if line.lstrip().startswith("-")]
    content = [n for n in range(start + 1, end) if lines[n].strip() and not lines[n].lstrip().startswith("#")]
    if not items or not content:
        return
    indent = items[0][: len(items[0]) - len(items[0].lstrip())]
    newline = "\r\n" if "\r\n" in text else "\n"
    last = content[-1] + 1
    before = "".join(lines[:last])
    if not before.endswith(("\n", "\r")):
        before += newline
    added = dockerignore_hook_repo(indent).replace("\n", newline)
    edited = before + added + "".join(lines[last:])
    try:
        old, new = yaml.safe_load(text), yaml.safe_load(edited)
    except yaml.YAMLError:
        return
    if isinstance(old, dict) and new == {**old, "repos": [*old["repos"], *yaml.safe_load(added)]}:
        path.write_bytes(edited.encode(errors="surrogateescape"))


PARENT_IGNORES_HEADING = (
    "# What the repository's .gitignore files above this folder ignore here (the adoption copied"
    " them,\n# so that .dockerignore, which sees only this folder, leaves it out of the image too).\n"
)


def _git_line(dst: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=dst, capture_output=True, text=True, check=False).stdout.strip()


def _pattern_below(line: str, below: str) -> str | None:
    """A .gitignore line of a folder above the project as the line of the project's .gitignore
    that ignores the same files in it (`below`: the project's path from that folder); None when
    it ignores nothing there. A pattern with no slash but a trailing one matches at any depth, so
    stays as it is; one anchored to that folder keeps the part inside the project."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    negation = "!" if line.startswith("!") else ""
    body = line.removeprefix("!")
    core = body.rstrip("/")
    if "/" not in core or core.startswith("**/"):
        return line
    if not core.lstrip("/").startswith(f"{below}/"):
        return None
    return f"{negation}/{body.lstrip('/')[len(below) + 1 :]}"


def parent_ignores(dst: Path) -> list[str]:
    """The patterns of the .gitignore files between the git repository's root and the project's
    folder (a monorepo's subfolder), root's first, as the project's .gitignore writes them."""
    parts = _git_line(dst, "rev-parse", "--show-prefix").strip("/").split("/")
    if parts == [""]:
        return []
    root = Path(_git_line(dst, "rev-parse", "--show-toplevel"))
    patterns = []
    for depth in range(len(parts)):
        gitignore = root.joinpath(*parts[:depth], ".gitignore")
        if gitignore.is_file():
            below = "/".join(parts[depth:])
            for line in gitignore.read_text(errors="replace").splitlines():
                if (pattern := _pattern_below(line, below)) and pattern not in patterns:
                    patterns.append(pattern)
    return patterns


def _prepend_parent_ignores(dst: Path) -> None:
    """Writes the parents' patterns the project's .gitignore lacks at its top, where its own
    lines, later, still win over them as they did from the deeper file."""
    path = dst / ".gitignore"
    data = path.read_bytes() if path.exists() else b""
    text = data.decode(errors="surrogateescape")
    own = {line.strip() for line in text.splitlines()}
    missing = [pattern for pattern in parent_ignores(dst) if pattern not in own]
    if missing:
        newline = "\r\n" if "\r\n" in text else "\n"
        heading = PARENT_IGNORES_HEADING.replace("\n", newline)
        path.write_bytes((heading + newline.join(missing) + newline + newline).encode() + data)


def _own_data(dst: Path) -> bool:
    """Whether git tracks files of the project's own in data/ (the template's .gitkeep aside)."""
    tracked = subprocess.run(
        ["git", "ls-files", "data"], cwd=dst, capture_output=True, text=True, check=False
    ).stdout.split()
    return any(name != "data/.gitkeep" for name in tracked)


def finish(dst: Path, sqlite: str, include_in: list[str]) -> None:
    """After the template's files are rendered: what adoption changes in the user's files."""
    staging = dst / STAGING
    for name, aside in DOCKER_FILES.items():
        if (staging / name).exists():
            (dst / name).rename(dst / aside)
            (staging / name).rename(dst / name)
    if staging.is_dir():
        staging.rmdir()
    for name in include_in:
        _append_missing(dst / name, (INCLUDE_LINE,))
    _append_missing(dst / ".gitignore", GITIGNORE_LINES_BESIDE_DATA if _own_data(dst) else GITIGNORE_LINES)
    _prepend_parent_ignores(dst)
    if sqlite and not (dst / SQLITE_DATA).exists():
        shutil.copy2(dst / sqlite, dst / SQLITE_DATA)
    add_dockerignore_hook(dst)


if __name__ == "__main__":
    command, destination, *arguments = sys.argv[1:]
    if command == "finish":
        sqlite_name, include_in = arguments
        finish(Path(destination), sqlite_name, [name for name in include_in.split(",") if name])
    elif command == "exclude-what-git-ignores":
        exclude_what_git_ignores(Path(destination))
    else:
        sys.exit(f"adoption_task.py: unknown command {command!r}; finish or exclude-what-git-ignores")
