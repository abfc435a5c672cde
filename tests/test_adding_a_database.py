"""Adding a database is one row in extensions/variants.py: proved with a throwaway fourth row
(PostgreSQL under another name, with its own label, pins and compose image) in a copy of the
template, with no other file edited (its lock is generated), served against a real PostgreSQL
by the test server class its row names. tests/test_adding_a_variant.py proves the same of a
gateway server."""

from __future__ import annotations

import uuid

import pytest
import yaml

from harness import services
from harness.environments import production_env
from harness.new_row import assert_serves_admin, load_variants, migrated_app, ruff_problems, template_with_row
from harness.render import render_project

# PostgreSQL's row under another name, label, pins and compose image: its migration lock and its
# pool are PostgreSQL's, which the rendered code finds by Django's vendor name.
POSTGRES16_ROW = """
import dataclasses

DATABASES["postgres16"] = dataclasses.replace(
    DATABASES["postgresql"],
    name="postgres16",
    label="PostgreSQL 16",
    requirements=("psycopg[binary]==3.2.10", "psycopg-pool==3.2.6"),
    compose=dataclasses.replace(DATABASES["postgresql"].compose, image="postgres:16-alpine"),
)
"""


@pytest.fixture(scope="module")
def template_with_a_fourth_database(tmp_path_factory):
    template = tmp_path_factory.mktemp("template-with-postgres16")
    return template_with_row(template, POSTGRES16_ROW, "postgres16-uvicorn-none")


@pytest.fixture(scope="module")
def postgres16_project(template_with_a_fourth_database, tmp_path_factory):
    # copier.yml's choices come from the table: Copier refuses an answer that is not among them.
    destination = tmp_path_factory.mktemp("postgres16-project")
    return render_project(
        template_with_a_fourth_database, destination, database="postgres16", server="uvicorn"
    )


@pytest.fixture(scope="module")
def its_test_server(template_with_a_fourth_database, tmp_path_factory):
    """A real server of the new row's database, of the class its row names."""
    row = load_variants(template_with_a_fourth_database).DATABASES["postgres16"]
    server_class = getattr(services, row.test_server)
    if not server_class.available():
        services.missing_service(f"no {row.label} server binaries on this machine")
    server = server_class(tmp_path_factory.mktemp("postgres16-server"))
    server.start()
    yield server
    server.close()


def test_new_database_row_renders_lint_clean_with_its_pins_and_services(postgres16_project):
    requirements = (postgres16_project / "requirements.txt").read_text()
    assert "psycopg==3.2.10" in requirements
    assert "psycopg-pool==3.2.6" in requirements
    compose = yaml.safe_load((postgres16_project / "docker-compose.yml").read_text())
    assert compose["services"]["database_default"]["image"] == "postgres:16-alpine"
    assert "PostgreSQL 16" in (postgres16_project / "README.md").read_text()
    settings = (postgres16_project / "example_shop" / "settings.py").read_text()
    assert '"pool": {"timeout": 3}' in settings, "uvicorn pools where the database has a pool"
    assert not ruff_problems(postgres16_project)


def test_new_database_row_migrates_and_serves_from_its_image(
    postgres16_project, its_test_server, build, docker_client
):
    image = build(postgres16_project)
    database_url = its_test_server.create_database(f"app_{uuid.uuid4().hex[:8]}")
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL=database_url)
    with migrated_app(docker_client, image, env) as app:
        assert "uvicorn" in app.exec("cat", "/proc/1/cmdline")
        assert_serves_admin(app)
