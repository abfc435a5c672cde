"""Running a rendered project's manage.py on this machine, in a virtualenv of its requirements."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

import yaml

from extensions import variants
from harness import CACHE, locks

# uv from this repository's virtualenv (requirements-dev.txt pins it).
UV = Path(sys.executable).parent / "uv"
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


def virtualenv_for(requirements: Path) -> Path:
    """A virtualenv with `requirements` installed (their hashes checked, if they have them), for
    running a project's manage.py; shared by every project that pins the same. Made with uv, which
    installs the same files several times faster than pip: the tests make a few dozen of these."""

    def make(path: Path) -> None:
        subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, path], check=True)
        subprocess.run(
            [UV, "pip", "install", "--quiet", "--python", path / "bin" / "python", "-r", requirements],
            check=True,
        )

    return _cached_virtualenv("uv", [requirements], make)


def readme_virtualenv(project: Path) -> Path:
    """A virtualenv for `project` made as its README says: `python -m venv`, then pip installs the
    lock (`--require-hashes`) and then requirements-dev.txt."""
    files = [project / "requirements.txt", project / "requirements-dev.txt"]

    def make(path: Path) -> None:
        venv.create(path, with_pip=True, clear=True)
        pip = [path / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--require-hashes", "-r", files[0]], check=True)
        subprocess.run([*pip, "-r", files[1]], check=True)

    return _cached_virtualenv("readme", files, make)


def development_virtualenv(project: Path) -> Path:
    """A virtualenv of `project`'s lock and requirements-dev.txt. The default database and gateway's
    is made with pip exactly as the README says (readme_virtualenv); the other cells' with uv from
    the same files, which installs the same packages several times faster: pip's hash-checking
    install of each cell's lock is proven by the build of its image."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if (answers["database"], answers["server"]) == (variants.DEFAULT_DATABASE, variants.DEFAULT_SERVER):
        return readme_virtualenv(project)
    files = [project / "requirements.txt", project / "requirements-dev.txt"]

    def make(path: Path) -> None:
        subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, path], check=True)
        for file in files:
            install = [UV, "pip", "install", "--quiet", "--python", path / "bin" / "python", "-r", file]
            subprocess.run(install, check=True)

    return _cached_virtualenv("development", files, make)


def _cached_virtualenv(kind: str, files: list[Path], make) -> Path:
    digest = hashlib.sha256(b"\0".join(file.read_bytes() for file in files)).hexdigest()[:16]
    path = CACHE / "venvs" / f"{kind}-{digest}"
    with locks.exclusive(path.name):
        if not (path / ".complete").exists():
            make(path)
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


def with_tools_on_path() -> dict[str, str]:
    """This process's environment with this virtualenv's commands (uv, pre-commit) first on PATH,
    as a developer has them after following a generated project's README."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def relock(project: Path) -> None:
    """The project's scripts/lock after an edit of its requirements.in, as its README says."""
    result = subprocess.run(
        ["scripts/lock"],
        cwd=project,
        env=with_tools_on_path(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode:
        raise ManageFailed(f"scripts/lock failed in {project}:\n{result.stderr}")
