"""Adding a gateway server is one row in extensions/variants.py: proved with a throwaway fourth row
(Hypercorn) in a copy of the template, with no other file edited (its lock is generated)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from harness import REPO
from harness.environments import production_env
from harness.git import new_repository
from harness.images import App, ProxiedClient, run_once
from harness.project import Manage
from harness.render import render_project

HYPERCORN_ROW = """
SERVERS["hypercorn"] = Server(
    name="hypercorn",
    label="Hypercorn (ASGI)",
    interface="asgi",
    requirements=("hypercorn==0.18.0",),
    command=(
        "sh",
        "-c",
        'exec hypercorn {slug}.asgi:application --bind="$LISTEN_ADDRESS:$PORT"'
        ' --workers="$WEB_CONCURRENCY"',
    ),
    conn_max_age=0,
    imports=("hypercorn", "h11", "h2", "hpack", "hyperframe", "priority", "wsproto"),
    markers=("hypercorn",),
)
"""


@pytest.fixture(scope="module")
def template_with_a_fourth_gateway(tmp_path_factory):
    template = tmp_path_factory.mktemp("template-with-hypercorn")
    for name in ("copier.yml", "template", "extensions"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, template / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, template / name)
    with (template / "extensions" / "variants.py").open("a") as table:
        table.write(HYPERCORN_ROW)
    # The new row's lock, which the template ships beside the others (needs PyPI).
    subprocess.run(
        [sys.executable, REPO / "scripts" / "lock-variants", "--template", template, "sqlite-hypercorn"],
        check=True,
        capture_output=True,
    )
    new_repository(template, "A fourth gateway server")
    return template


@pytest.fixture(scope="module")
def hypercorn_project(template_with_a_fourth_gateway, tmp_path_factory):
    # copier.yml's choices come from the table: Copier refuses an answer that is not among them.
    destination = tmp_path_factory.mktemp("hypercorn-project")
    return render_project(template_with_a_fourth_gateway, destination, database="sqlite", server="hypercorn")


def test_new_row_renders_lint_clean_with_its_pin_and_command(hypercorn_project):
    assert "hypercorn==0.18.0" in (hypercorn_project / "requirements.txt").read_text()
    dockerfile = (hypercorn_project / "Dockerfile").read_text()
    cmd = r'^CMD \["python", "-m", "example_shop\.drain", "sh", "-c", "exec hypercorn example_shop\.asgi'
    assert re.search(cmd, dockerfile, re.MULTILINE)
    ruff = [sys.executable, "-m", "ruff"]
    for check in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [*ruff, *check], cwd=hypercorn_project, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout


def test_new_row_passes_the_settings_checks(hypercorn_project, tmp_path, production_env_on_disk):
    manage = Manage(shutil.copytree(hypercorn_project, tmp_path / "project"))
    env = production_env_on_disk()
    manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)


def test_new_row_builds_and_serves_from_its_image(hypercorn_project, build, docker_client, tmp_path):
    image = build(hypercorn_project)
    volume = docker_client.volumes.create(f"django-template-test-{tmp_path.name[-12:].lower()}")
    volumes = {volume.name: {"bind": "/data", "mode": "rw"}}
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL="sqlite:////data/db.sqlite3")
    app = App(docker_client, image, env, volumes)
    try:
        status, output = run_once(
            docker_client, image, ["python", "manage.py", "migrate", "--noinput"], env, volumes
        )
        assert status == 0, output
        app.start()
        assert "hypercorn" in app.exec("cat", "/proc/1/cmdline")
        client = ProxiedClient(app)
        assert client.get("/readyz").status_code == 200
        login_page = client.get("/admin/login/")
        assert login_page.status_code == 200
        stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
        assert stylesheet, "the page links the hashed stylesheet"
        assert client.get(stylesheet.group(1)).status_code == 200
    finally:
        app.remove()
        volume.remove(force=True)
