"""Template histories for `copier update` tests: the releases a user may still be on, and template
repositories whose commits hold them, tagged as releases or not (a project made from a checkout
before the first tag records a commit, which Copier reads as version 0.0.0.postN)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import REPO
from harness.git import git

# Template releases a user may still be on: version -> commit of this repository.
RELEASES = {
    "0.1.0": "ec724e9ed71bb94c3203e48375c46c22575efe89",
    "0.2.0": "2ca642051ce6454323e3f6446b01e10a3afe2ee0",
}
# What of a template checkout Copier reads.
TEMPLATE_PATHS = ("copier.yml", "template", "extensions")


@dataclass(frozen=True)
class History:
    repo: Path
    # Each step's name -> the commit that holds it.
    commits: dict[str, str]
    # The newest commit's tag: what `copier update` takes.
    newest: str


def template_history(repo: Path, steps: dict[str, tuple[str | Path, str | None]], newest: str) -> History:
    """A template repository at `repo` with one commit per step, in order: step name -> (a commit
    of this repository or a template checkout's folder, the tag to give it or None); then one more
    commit, tagged `newest`, that changes nothing (so no step is that release)."""
    git(repo, "init", "--quiet")
    git(repo, "config", "user.email", "template@example.com")
    git(repo, "config", "user.name", "Template")
    commits = {}
    for name, (source, tag) in steps.items():
        for child in repo.iterdir():
            if child.name != ".git":
                subprocess.run(["rm", "-rf", child], check=True)
        if isinstance(source, Path):
            for path in TEMPLATE_PATHS:
                subprocess.run(["cp", "-r", source / path, repo], check=True)
        else:
            archive = subprocess.run(
                ["git", "archive", source, *TEMPLATE_PATHS], cwd=REPO, capture_output=True, check=False
            )
            assert archive.returncode == 0, f"{name} ({source}) is not in this clone's history"
            subprocess.run(["tar", "-x", "-C", repo], input=archive.stdout, check=True)
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "--allow-empty", "--message", name)
        if tag:
            git(repo, "tag", tag)
        commits[name] = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "commit", "--quiet", "--allow-empty", "--message", f"Release {newest}")
    git(repo, "tag", newest)
    return History(repo, commits, newest)


def takes_the_first_tag_changing_only_its_answers(project: Path, update: subprocess.CompletedProcess) -> None:
    """What `copier update` to the first tag must do to a project made from the same template
    before it (committed): succeed without a traceback, record the tag, and change no other file,
    whatever the migrations it ran for a project recorded as a commit."""
    assert update.returncode == 0, update.stderr
    assert "Traceback" not in update.stderr, update.stderr
    assert git(project, "status", "--porcelain").splitlines() == [" M .copier-answers.yml"], update.stderr
    assert "_commit: 0.3.0\n" in (project / ".copier-answers.yml").read_text()
