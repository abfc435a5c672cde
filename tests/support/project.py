"""Running a rendered project's manage.py on this machine, in a virtualenv of its requirements."""

from __future__ import annotations

import hashlib
import os
import subprocess
import venv
from pathlib import Path

from tests.support import CACHE

# For `manage.py shell -c`: saves a file through the default storage, prints its name and content.
SAVE_AND_READ_MEDIA = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
name = default_storage.save("notes/hello.txt", ContentFile(b"hello media"))
print(name)
print(default_storage.open(name).read().decode())
"""


class ManageFailed(AssertionError):
    pass


def virtualenv_for(requirements: Path, dev_requirements: Path | None = None) -> Path:
    """A virtualenv with `requirements` installed, then `dev_requirements` if given (as a project's
    README installs its test and tooling requirements on top of the lock); shared by every project
    that pins the same."""
    files = [requirements, *([dev_requirements] if dev_requirements else [])]
    digest = hashlib.sha256(b"\0".join(file.read_bytes() for file in files)).hexdigest()[:16]
    path = CACHE / "venvs" / digest
    if not (path / ".complete").exists():
        venv.create(path, with_pip=True, clear=True)
        for file in files:  # one pip run each: the lock's hashes are not the dev requirements'
            subprocess.run(
                [path / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", "-r", file],
                check=True,
            )
        (path / ".complete").touch()
    return path


class Manage:
    """Runs a rendered project's manage.py with its own virtualenv."""

    def __init__(self, project: Path, venv_path: Path | None = None):
        self.project = project
        self.venv = venv_path or virtualenv_for(project / "requirements.txt")
        self.python = self.venv / "bin" / "python"

    def __call__(self, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
        """manage.py `args` with `env` (and only what any process needs besides); a check that
        fails raises with its output."""
        basics = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            # Some tests run manage.py in a session's shared render: leave no bytecode in it.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.project,
            env={**basics, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and result.returncode:
            raise ManageFailed(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result
