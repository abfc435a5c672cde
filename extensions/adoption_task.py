"""The adoption's one task, run by copier.yml's _tasks after the template's files are rendered
(`python adoption_task.py finish DESTINATION SQLITE_FILE INCLUDE_IN`): it sets the user's Docker
files aside for the template's, includes the template's requirements from the user's requirements
files (INCLUDE_IN, comma-separated: requirements.txt, and the requirements.in it is compiled
from), completes their .gitignore and has .dockerignore exclude what it ignores, and copies a
SQLite database into data/. Standard library only: any Python runs it. The names below are also
what adopt.py's summary reports.
"""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

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


def exclude_what_git_ignores(dst: Path) -> None:
    """Append to .dockerignore the patterns of the user's .gitignore files (the root's, then those
    in subfolders) it lacks, then an exception for each file git tracks that a pattern matches
    (git keeps it, so the image must have it too). Run after every copy, recopy and update of an
    adopted project, as each renders the template's .dockerignore afresh; on one that has them
    already it changes nothing."""
    dockerignore = dst / ".dockerignore"
    text = dockerignore.read_text() if dockerignore.exists() else ""
    if DOCKERIGNORE_HEADING in text or TRACKED_HEADING in text:
        return  # added before, and kept by the update's merge (the pre-commit hook checks it since)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard", "-z"],
        cwd=dst,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode:
        return  # not the project: an update's render of the old version, outside any repository
    tracked = [f"!{path}" for path in sorted(set(listed.stdout.split("\0")) - {""})]
    missing_patterns = runpy.run_path(str(DOCKERIGNORE_CHECK))["missing_patterns"]
    added = [pattern for _file, _line, pattern in missing_patterns(dst, text)]
    if added:
        text += DOCKERIGNORE_HEADING + "\n".join(added) + "\n"
    if tracked:
        text += TRACKED_HEADING + "\n".join(tracked) + "\n"
    dockerignore.write_text(text)


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
    if sqlite and not (dst / SQLITE_DATA).exists():
        shutil.copy2(dst / sqlite, dst / SQLITE_DATA)


if __name__ == "__main__":
    command, destination, *arguments = sys.argv[1:]
    if command == "finish":
        sqlite_name, include_in = arguments
        finish(Path(destination), sqlite_name, [name for name in include_in.split(",") if name])
    elif command == "exclude-what-git-ignores":
        exclude_what_git_ignores(Path(destination))
    else:
        sys.exit(f"adoption_task.py: unknown command {command!r}; finish or exclude-what-git-ignores")
