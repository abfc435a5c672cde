"""copier.yml's _migrations step for projects made before 0.3.0, whose requirements.txt was the
list of direct requirements: the update has rendered requirements.in and the lock afresh (and may
have left conflict markers where the user's lines met the lock); this puts the user's own lines
at the end of requirements.in and the template's lock for the project's answers in
requirements.txt. The after-update message then names scripts/lock if the lock lacks their lines.

It applies to a generated project made before 0.3.0 only: one whose last commit has a
requirements.txt that is no lock and no requirements.in, and to which the update rendered
requirements.in. Anything else (a project made at or after 0.3.0 that records a commit rather than
a release, a project that keeps its own requirements.in, an adopted one) it leaves as it is.

Run by Copier in the project folder: python upgrade_to_locked_requirements.py
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import yaml

EXTENSIONS = Path(__file__).resolve().parent
load = runpy.run_path(str(EXTENSIONS / "loading.py"))["load"]
package = load("adopt").requirement_name


def users_lines(old_requirements: str, template_packages: set[str]) -> list[str]:
    """The lines the user added to an old requirements.txt: everything after the template's last
    pin (the README said to add at the end), and any requirement of a package the template never
    pinned that stands higher up."""
    lines = old_requirements.splitlines()
    last = max((i for i, line in enumerate(lines) if package(line) in template_packages), default=-1)
    higher = [line for line in lines[:last] if package(line) and package(line) not in template_packages]
    return [*higher, *(line for line in lines[last + 1 :] if line.strip())]


def committed(path: str) -> str | None:
    """The file at `path` in the project's last commit, or None when it has none."""
    shown = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True, check=False)
    return shown.stdout if shown.returncode == 0 else None


def main():
    project = Path.cwd()
    old = committed("requirements.txt")
    if not old or "--hash=" in old or committed("requirements.in") is not None:
        return  # nothing committed, already a lock, or a list of the project's own already
    requirements_in = project / "requirements.in"
    if not requirements_in.is_file():
        print(
            "The 0.3.0 migration moved nothing: the update rendered no requirements.in, so your"
            " requirements.txt stays the list the image installs.",
            file=sys.stderr,
        )
        return
    variants = load("variants")
    rows = [*variants.DATABASES.values(), *variants.SERVERS.values(), *variants.WORKERS.values()]
    pins = [
        *variants.COMMON_REQUIREMENTS,
        *(pin for row in rows for pin in row.requirements),
        *(row.requirement for row in variants.DJANGO_VERSIONS.values()),
    ]
    added = users_lines(old, {package(pin) for pin in pins})
    if added:
        text = requirements_in.read_text()
        requirements_in.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(added) + "\n")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    worker = answers.get("worker", variants.DEFAULT_WORKER)
    django_version = answers.get("django_version", variants.DEFAULT_DJANGO_VERSION)
    variant = (answers["database"], answers["server"], worker, django_version)
    lock = EXTENSIONS / "locks" / variants.lock_name(*variant)
    if lock.exists():
        (project / "requirements.txt").write_text(lock.read_text())
        # The update may have recorded its merge of the old list into the lock as unmerged.
        subprocess.run(["git", "reset", "--quiet", "--", "requirements.txt"], check=False)


if __name__ == "__main__":
    main()
