"""`copier update` on a project a user has worked on: switching database or gateway server in every
direction, updating with nothing changed, and upgrading from an older template release."""

from __future__ import annotations

import filecmp
import subprocess
from itertools import permutations
from pathlib import Path

import pytest
import yaml

from extensions import variants
from tests.support import REPO
from tests.support.environments import production_env, production_env_on_disk
from tests.support.git import commit_all, git
from tests.support.images import App, ProxiedClient, run_once
from tests.support.project import Manage
from tests.support.render import copier_update, render_project
from tests.support.services import has_test_server

# Template releases a user may still be on: version -> commit of this repository.
RELEASES = {"0.1.0": "ec724e9ed71bb94c3203e48375c46c22575efe89"}

ROWS = {"database": variants.DATABASES, "server": variants.SERVERS}
# Every ordered pair of databases and of gateway servers.
SWITCHES = [(question, old, new) for question, rows in ROWS.items() for old, new in permutations(rows, 2)]
SWITCHED_FILES = ["requirements.txt", "Dockerfile", "docker-compose.yml", ".env-local"]
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")


# --- what a user does to their project --------------------------------------------------------------

USER_VIEW = """from django.http import HttpResponse


def hello(request):
    return HttpResponse("hello from the shop app")
"""


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def make_user_edits(project: Path):
    """Edits a real user makes: an app with a view and URL, a dependency, a variable, a setting."""
    app = project / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "views.py").write_text(USER_VIEW)
    settings = project / "example_shop" / "settings.py"
    edit(settings, '    "django.contrib.staticfiles",\n', '    "django.contrib.staticfiles",\n    "shop",\n')
    edit(settings, 'TIME_ZONE = "UTC"', 'TIME_ZONE = "Europe/Zurich"')
    urls = project / "example_shop" / "urls.py"
    edit(
        urls, "from django.urls import path\n", "from django.urls import path\nfrom shop.views import hello\n"
    )
    edit(
        urls,
        '    path("admin/", admin.site.urls),\n',
        '    path("admin/", admin.site.urls),\n    path("hello/", hello),\n',
    )
    with (project / "requirements.txt").open("a") as requirements:
        requirements.write("humanize==4.17.0\n")
    with (project / ".env-local").open("a") as env_local:
        env_local.write("SHOP_GREETING=Grüezi\n")


def user_project(template: Path, destination: Path, vcs_ref: str | None = None, **answers) -> Path:
    """A rendered project, committed, edited by its user, committed again."""
    project = render_project(template, destination, vcs_ref, **answers)
    git(project, "init", "--quiet")
    commit_all(project, "Generated from the template")
    make_user_edits(project)
    commit_all(project, "My own work")
    return project


# --- what must hold after an update -----------------------------------------------------------------


def project_files(project: Path) -> list[Path]:
    return sorted(
        path.relative_to(project)
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    )


def assert_no_conflicts(project: Path):
    for path in project_files(project):
        assert path.suffix != ".rej", f"{path} left by the update"
        lines = (project / path).read_text().splitlines()
        assert not any(line.startswith(CONFLICT_MARKERS) for line in lines), f"conflict markers in {path}"


def assert_same_as_fresh_render_with_user_edits(project: Path, fresh: Path):
    """The updated project is exactly a fresh render of the new answers plus the user's edits:
    so the user's work is all there, and nothing of the old variant is left anywhere."""
    make_user_edits(fresh)
    ignored = {Path(".copier-answers.yml")}
    assert [p for p in project_files(project) if p not in ignored] == [
        p for p in project_files(fresh) if p not in ignored
    ]
    different = [
        path
        for path in project_files(project)
        if path not in ignored and not filecmp.cmp(project / path, fresh / path, shallow=False)
    ]
    assert different == []


def assert_settings_work(project: Path, tmp_path: Path):
    manage = Manage(project)
    env = production_env_on_disk(tmp_path)
    manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    manage("migrate", "--noinput", env=env)
    get_hello = (
        "from django.test import Client; "
        "print(Client().get('/hello/', HTTP_HOST='example.com', secure=True).content.decode())"
    )
    response = manage("shell", "--verbosity=0", "-c", get_hello, env=env).stdout
    assert response.strip() == "hello from the shop app"


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


# --- switches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "old", "new"), SWITCHES, ids="{0[0]}:{0[1]}-to-{0[2]}".format)
def test_switch_keeps_user_work(copier_template, tmp_path, question, old, new):
    project = user_project(copier_template, tmp_path / "project", **{question: old})
    result = copier_update(project, **{question: new})
    assert result.returncode == 0, result.stderr
    assert answers(project)[question] == new
    assert_no_conflicts(project)
    for name in SWITCHED_FILES:
        text = (project / name).read_text()
        for marker in ROWS[question][old].markers:
            assert marker not in text, f"{marker!r} of {old} is still in {name}"
    fresh = render_project(copier_template, tmp_path / "fresh", None, **{question: new})
    assert_same_as_fresh_render_with_user_edits(project, fresh)
    assert_settings_work(project, tmp_path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (old, new)
        for question, old, new in SWITCHES
        if question == "server" and ROWS[question][old].config_file
    ],
)
def test_server_switch_names_the_removed_config_file(copier_template, tmp_path, old, new):
    project = user_project(copier_template, tmp_path / "project", server=old)
    config = variants.SERVERS[old].config_file
    with (project / config).open("a") as config_file:
        config_file.write("\n# tuned by the user\n")
    commit_all(project, "Tune the gateway")
    result = copier_update(project, server=new)
    assert result.returncode == 0, result.stderr
    assert not (project / config).exists()
    assert f"git show HEAD:{config}" in result.stderr, result.stderr
    assert "# tuned by the user" in git(project, "show", f"HEAD:{config}")


# --- updates without a change -----------------------------------------------------------------------


def test_update_with_no_change_leaves_no_diff(copier_template, tmp_path):
    project = user_project(copier_template, tmp_path / "project", database="mysql", server="uwsgi")
    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    assert git(project, "status", "--porcelain") == ""


def test_rendering_is_deterministic(copier_template, tmp_path):
    first = render_project(copier_template, tmp_path / "first", None)
    second = render_project(copier_template, tmp_path / "second", None)
    assert project_files(first) == project_files(second)
    assert all(filecmp.cmp(first / p, second / p, shallow=False) for p in project_files(first))


# --- template releases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_history(tmp_path_factory, copier_template):
    """A template repository with each old release tagged, then the working tree as the newest."""
    repo = tmp_path_factory.mktemp("template-history")
    git(repo, "init", "--quiet")
    for version, commit in RELEASES.items():
        archive = subprocess.run(
            ["git", "archive", commit, "copier.yml", "template", "extensions"],
            cwd=REPO,
            capture_output=True,
            check=False,
        )
        assert archive.returncode == 0, f"release {version} ({commit}) is not in this clone's history"
        for child in repo.iterdir():
            if child.name != ".git":
                subprocess.run(["rm", "-rf", child], check=True)
        subprocess.run(["tar", "-x", "-C", repo], input=archive.stdout, check=True)
        commit_all(repo, f"Release {version}")
        git(repo, "tag", version)
    for child in repo.iterdir():
        if child.name != ".git":
            subprocess.run(["rm", "-rf", child], check=True)
    for name in ("copier.yml", "template", "extensions"):
        subprocess.run(["cp", "-r", copier_template / name, repo], check=True)
    commit_all(repo, "Newest")
    git(repo, "tag", "99.99.99")
    return repo


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.variants(server=lambda server: server in ("gunicorn", "uwsgi"))  # 0.1.0 had their configs
def test_upgrade_from_an_older_release_keeps_user_work(template_history, tmp_path, release, server):
    project = user_project(template_history, tmp_path / "project", vcs_ref=release, server=server)
    config = variants.SERVERS[server].config_file
    old_config = project / Path(config).name  # releases before 0.2.0 kept it at the root
    with old_config.open("a") as config_file:
        config_file.write("\n# tuned by the user\n")
    commit_all(project, "Tune the gateway")

    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    assert answers(project)["_commit"] == "99.99.99"
    assert_no_conflicts(project)
    assert not old_config.exists()
    assert "# tuned by the user" in (project / config).read_text(), "the migration moved the user's file"
    fresh = render_project(template_history, tmp_path / "fresh", None, server=server)
    with (fresh / config).open("a") as config_file:
        config_file.write("\n# tuned by the user\n")
    assert_same_as_fresh_render_with_user_edits(project, fresh)
    assert_settings_work(project, tmp_path)


# --- a switched project still builds and serves -----------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [({"database": "sqlite"}, {"database": "postgresql"}), ({"server": "gunicorn"}, {"server": "uwsgi"})],
    ids=["sqlite-to-postgresql", "gunicorn-to-uwsgi"],
)
def test_switched_project_image_serves_the_user_view(
    copier_template, tmp_path, build, docker_client, database_servers, before, after
):
    project = user_project(copier_template, tmp_path / "project", **before)
    assert copier_update(project, **after).returncode == 0
    database = answers(project)["database"]
    if has_test_server(database):
        database_url = database_servers(database).create_database(f"switched_{tmp_path.name[-8:]}")
    else:
        database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL=database_url)
    image = build(project)
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate", "--noinput"], env)
    assert status == 0, output
    app = App(docker_client, image, env)
    try:
        app.start()
        response = ProxiedClient(app).get("/hello/")
        assert response.status_code == 200
        assert response.text == "hello from the shop app"
    finally:
        app.remove()
