"""scripts/release tags a release on a temporary clone of this repository: it checks the
CHANGELOG, the tree and the branch, makes an annotated tag, prints the push command, and refuses
anything else in one line without tagging."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import REPO
from harness.git import commit_all, git
from harness.releases import RELEASES

RELEASE_0_2_0 = RELEASES["0.2.0"]


@pytest.fixture
def clone(tmp_path) -> Path:
    """A clone of this repository on main, with this checkout's release script and CHANGELOG and a
    changelog entry for 9.0.0."""
    clone = tmp_path / "clone"
    git(REPO, "clone", "--quiet", "--no-local", str(REPO), str(clone))
    git(clone, "checkout", "--quiet", "-B", "main")
    for path in ("scripts/release", "CHANGELOG.md"):
        shutil.copy2(REPO / path, clone / path)
    changelog = clone / "CHANGELOG.md"
    text = changelog.read_text()
    first_entry = text.index("\n## ") + 1
    changelog.write_text(
        f"{text[:first_entry]}## 9.0.0 (2030-01-01)\n\n- A test release.\n\n{text[first_entry:]}"
    )
    git(clone, "config", "user.email", "test@example.com")
    git(clone, "config", "user.name", "Test")
    commit_all(clone, "The release script under test")
    return clone


def release(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [clone / "scripts" / "release", *args], cwd=clone, capture_output=True, text=True, check=False
    )


def tags(clone: Path) -> list[str]:
    return git(clone, "tag").split()


def test_release_tags_main_annotated_and_prints_the_push_command(clone):
    result = release(clone, "9.0.0")
    assert result.returncode == 0, result.stderr
    assert git(clone, "cat-file", "-t", "9.0.0").strip() == "tag", "an annotated tag"
    assert git(clone, "rev-parse", "9.0.0^{commit}") == git(clone, "rev-parse", "main")
    assert result.stdout.splitlines()[-1] == "git push origin 9.0.0"
    assert "9.0.0" not in git(REPO, "tag").split(), "nothing is pushed"


def test_release_tags_an_earlier_commit_of_main(clone):
    result = release(clone, "0.2.0", RELEASE_0_2_0)
    assert result.returncode == 0, result.stderr
    assert git(clone, "rev-parse", "0.2.0^{commit}").strip() == RELEASE_0_2_0
    assert result.stdout.splitlines()[-1] == "git push origin 0.2.0"


def make_dirty(clone: Path):
    (clone / "README.md").write_text("changed\n")


def switch_branch(clone: Path):
    git(clone, "checkout", "--quiet", "-b", "feature")


def tag_9_0_0(clone: Path):
    assert release(clone, "9.0.0").returncode == 0


def tag_0_2_0_on_main(clone: Path):
    assert release(clone, "0.2.0").returncode == 0


def commit_off_main(clone: Path) -> str:
    git(clone, "checkout", "--quiet", "-b", "side")
    (clone / "side.txt").write_text("side\n")
    commit_all(clone, "Off main")
    commit = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "checkout", "--quiet", "main")
    return commit


REFUSALS = {
    "no argument": (None, [], "usage: scripts/release VERSION"),
    "not a version": (None, ["v1.0"], "VERSION 'v1.0' is not MAJOR.MINOR.PATCH"),
    "no changelog entry": (None, ["7.7.7"], "CHANGELOG.md has no '## 7.7.7' entry"),
    "dirty tree": (make_dirty, ["9.0.0"], "the working tree has uncommitted changes"),
    "not on main": (switch_branch, ["9.0.0"], "releases are tagged on main, not on 'feature'"),
    "unknown commit": (None, ["0.2.0", "0" * 40], "is not a commit of this repository"),
    "tag exists": (tag_9_0_0, ["9.0.0"], "tag 9.0.0 exists already"),
    "older than a release it contains": (tag_9_0_0, ["0.2.0"], "0.2.0 is not newer than 9.0.0"),
    "newer than a release on a later commit": (
        tag_0_2_0_on_main,
        ["0.3.0", RELEASE_0_2_0],
        "0.3.0 is newer than 0.2.0, which is on a later commit",
    ),
}


@pytest.mark.parametrize(("prepare", "args", "reason"), REFUSALS.values(), ids=REFUSALS)
def test_release_refuses_in_one_line_and_tags_nothing(clone, prepare, args, reason):
    if prepare:
        prepare(clone)
    before = tags(clone)
    result = release(clone, *args)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scripts/release: ")
    assert reason in result.stderr
    assert tags(clone) == before


def test_release_refuses_a_commit_off_main(clone):
    commit = commit_off_main(clone)
    result = release(clone, "0.2.0", commit)
    assert result.returncode != 0
    assert result.stderr == f"scripts/release: COMMIT {commit} is not on main\n"
    assert tags(clone) == []
