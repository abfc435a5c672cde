"""Files git ignores, planted in a project whose image must leave them out, and what of them an
image's /app holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Secrets a developer keeps beside the code, which the project's .gitignore ignores: at the root,
# in a folder, and in a subfolder (git matches a pattern without a slash in any folder).
IGNORED_SECRETS = (".env", "secrets/key.pem", "foo/.env")
# What local runs leave in data/, which git ignores there: the SQLite database's -wal and -shm
# files and a media upload (the database itself is there in an adopted SQLite project).
LOCAL_DATA = ("data/db.sqlite3-wal", "data/db.sqlite3-shm", "data/media/uploads/cover.jpg")
# sh -c: each argument that names a path under /app, one a line.
IN_APP = 'for path; do [ ! -e "/app/$path" ] || echo "$path"; done'


def plant_ignored_files(project: Path, paths: tuple[str, ...]) -> None:
    """Write each of `paths` in `project` (a git repository), after checking that git ignores it:
    a file git tracks would belong in the image, and the test would prove nothing."""
    for path in paths:
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text("SECRET_KEY = 'planted: must not reach the image'\n")
    tracked = [
        path
        for path in paths
        if subprocess.run(["git", "check-ignore", "--quiet", path], cwd=project, check=False).returncode
    ]
    assert not tracked, f"the project's .gitignore does not ignore {tracked}"


def in_app_command(paths) -> list[str]:
    """The command that prints which of `paths` the container's /app holds."""
    return ["sh", "-c", IN_APP, "sh", *paths]
