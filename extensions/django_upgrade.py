"""The migration that moves a project to a later Django release line (copier.yml's _migrations,
after every update; it does nothing unless the update changed django_version).

    python extensions/django_upgrade.py NEW_DJANGO_VERSION     (in the project, after the merge)

The update has already rendered the new release's pins and its lock (requirements.in,
requirements.txt). This re-locks with the project's scripts/lock (a generated project's: an adopted
one's requirements are its own), so that what the user added to requirements.in is locked for the
new Django too, then runs django-upgrade with the new --target-version over the project's Python
files and prints what it changed, as a diff. Copier refused a move backward before writing
anything (answers.django_downgrade), and the tree was clean before the update (Copier requires it),
so the committed answers file says where the project came from.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

variants = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]("variants")

# The rewriter of code for a newer Django; pinned so that an update rewrites the same way today
# and in a year. (pyupgrade-style tools have no Django fixers; Django's own docs point to it.)
DJANGO_UPGRADE = "django-upgrade==1.33.0"


def say(line: str = "") -> None:
    print(line, file=sys.stderr)


def recorded_version(project: Path) -> str:
    """django_version as the last commit's answers file records it (projects made before the
    question: the default, which they are on)."""
    command = ["git", "show", "HEAD:./.copier-answers.yml"]
    shown = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    recorded = yaml.safe_load(shown.stdout) if shown.returncode == 0 else None
    return str((recorded or {}).get("django_version") or variants.DEFAULT_DJANGO_VERSION)


def tool_path() -> str:
    """PATH with the folder of the Python running Copier first: uv is often installed beside it."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def relock(project: Path) -> None:
    if not (project / "scripts" / "lock").is_file():
        return
    env = {**os.environ, "PATH": tool_path()}
    result = subprocess.run(
        ["scripts/lock"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        say(f"scripts/lock failed ({last}): run it yourself, then commit requirements.txt")
    else:
        say("Re-locked requirements.txt for the new Django (scripts/lock).")


def install_django_upgrade(folder: Path) -> bool:
    """django-upgrade into `folder`, with pip (or uv where this Python has no pip)."""
    if importlib.util.find_spec("pip"):
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    elif uv := shutil.which("uv", path=tool_path()):
        command = [uv, "pip", "install", "--quiet", "--python", sys.executable]
    else:
        return False
    command += ["--target", str(folder), DJANGO_UPGRADE]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def python_files(project: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(name for name in set(listed.stdout.split("\0")) if name and (project / name).is_file())


def upgrade_code(project: Path, target: str) -> None:
    files = python_files(project)
    by_hand = f"pipx run {DJANGO_UPGRADE} --target-version {target} $(git ls-files '*.py')"
    before = {name: (project / name).read_text() for name in files}
    with tempfile.TemporaryDirectory() as folder:
        if not install_django_upgrade(Path(folder)):
            say(f"django-upgrade could not be installed: run it yourself: {by_hand}")
            return
        env = {**os.environ, "PYTHONPATH": folder}
        command = [sys.executable, "-m", "django_upgrade", "--target-version", target, *files]
        # One rewrite can make way for the next (send_mail's positional fail_silently becomes a
        # keyword, which 6.1 then drops): until nothing changes, a few passes at most.
        for _ in range(3):
            done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
            if "Rewriting" not in done.stderr + done.stdout:
                break
    changed = [name for name in files if (project / name).read_text() != before[name]]
    if not changed:
        say(f"{DJANGO_UPGRADE} --target-version {target} changed nothing in your code.")
        return
    say(f"{DJANGO_UPGRADE} --target-version {target} rewrote {len(changed)} file(s) for Django {target}:")
    for name in changed:
        diff = difflib.unified_diff(
            before[name].splitlines(), (project / name).read_text().splitlines(), name, name, n=0, lineterm=""
        )
        say("\n".join(line for line in diff if not line.startswith("@@")))


def main() -> None:
    project, new = Path.cwd(), sys.argv[1]
    old = recorded_version(project)
    if old == new:
        return
    say(f"Django {old} -> {new}:")
    relock(project)
    upgrade_code(project, variants.DJANGO_VERSIONS[new].name)
    say("Review the changes, run your tests, then commit.")


if __name__ == "__main__":
    main()
