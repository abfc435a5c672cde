"""Adding a gateway server is one row in extensions/variants.py: proved with a throwaway fourth row
(Hypercorn) in a copy of the template, with no other file edited (its lock is generated).
tests/test_adding_a_database.py proves the same of a database."""

from __future__ import annotations

import re
import shutil

import pytest

from harness.environments import production_env
from harness.inputs import start_images_cmd
from harness.new_row import assert_serves_admin, migrated_app, ruff_problems, template_with_row
from harness.project import Manage
from harness.render import render_project

# The gateway's own command line only: the image runs the environment check before it, whatever
# the row says (Server.exec_form).
HYPERCORN_ROW = """
SERVERS["hypercorn"] = Server(
    name="hypercorn",
    label="Hypercorn (ASGI)",
    interface="asgi",
    requirements=("hypercorn==0.18.0",),
    command='hypercorn {app}:application --bind="$LISTEN_ADDRESS:$PORT" --workers="$WEB_CONCURRENCY"',
    conn_max_age=0,
    imports=("hypercorn", "h11", "h2", "hpack", "hyperframe", "priority", "wsproto"),
    markers=("hypercorn",),
)
"""


@pytest.fixture(scope="module")
def template_with_a_fourth_gateway(tmp_path_factory):
    return template_with_row(
        tmp_path_factory.mktemp("template-with-hypercorn"), HYPERCORN_ROW, "sqlite-hypercorn-none"
    )


@pytest.fixture(scope="module")
def hypercorn_project(template_with_a_fourth_gateway, tmp_path_factory):
    # copier.yml's choices come from the table: Copier refuses an answer that is not among them.
    destination = tmp_path_factory.mktemp("hypercorn-project")
    return render_project(template_with_a_fourth_gateway, destination, database="sqlite", server="hypercorn")


@pytest.fixture(scope="module")
def hypercorn_image(hypercorn_project, build):
    return build(hypercorn_project)


def test_new_row_renders_lint_clean_with_its_pin_and_command(hypercorn_project):
    assert "hypercorn==0.18.0" in (hypercorn_project / "requirements.txt").read_text()
    dockerfile = (hypercorn_project / "Dockerfile").read_text()
    cmd = (
        r'^CMD \["python", "-m", "example_shop\.drain", "sh", "-c",'
        r' "python -m example_shop\.environment && exec hypercorn example_shop\.asgi'
    )
    assert re.search(cmd, dockerfile, re.MULTILINE)
    assert not ruff_problems(hypercorn_project)


def test_new_row_passes_the_settings_checks(hypercorn_project, tmp_path, production_env_on_disk):
    manage = Manage(shutil.copytree(hypercorn_project, tmp_path / "project"))
    env = production_env_on_disk()
    manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)


def test_new_row_builds_and_serves_from_its_image(hypercorn_image, docker_client, tmp_path):
    volume = docker_client.volumes.create(f"django-template-test-{tmp_path.name[-12:].lower()}")
    volumes = {volume.name: {"bind": "/data", "mode": "rw"}}
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL="sqlite:////data/db.sqlite3")
    try:
        with migrated_app(docker_client, hypercorn_image, env, volumes) as app:
            assert "hypercorn" in app.exec("cat", "/proc/1/cmdline")
            assert_serves_admin(app)
    finally:
        volume.remove(force=True)


def test_new_row_cannot_skip_the_environment_check(hypercorn_image, docker_client):
    # Hypercorn itself would answer --workers=abc with its usage text: the one line, and nothing
    # else, shows the check ran first and the gateway never started.
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL="sqlite:////tmp/db.sqlite3", WEB_CONCURRENCY="abc")
    status, logs = start_images_cmd(docker_client, hypercorn_image, {"bad": env})["bad"]
    assert status not in (0, None)
    assert logs.strip().startswith("example_shop: configuration error: WEB_CONCURRENCY"), logs
    assert len(logs.strip().splitlines()) == 1, logs
