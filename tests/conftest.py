"""Fixtures and hooks only; the code behind them is in harness/.

Any test that takes a `database`, `server`, `worker` or `python_version` argument runs once per
row of extensions/variants.py (narrowed by --database / --server / --worker / --python-version,
and by a test's `variants` marker), so a new row is covered without editing a test. A project
rendered for a database and a server has the worker variants.paired_worker() pairs with them, and
the default Django release line unless the test lists its cells with a `django_version`
(harness.cells.django_cells).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from pathlib import Path

import docker
import pytest

from extensions import variants
from harness import environments, images, services
from harness.project import Manage
from harness.releases import RELEASES, History, template_history
from harness.render import render_project, shared_once, template_repository
from harness.sentry_stand_in import SentryStandIn

MATRIX = {
    "database": list(variants.DATABASES),
    "server": list(variants.SERVERS),
    "worker": list(variants.WORKERS),
    "python_version": list(variants.PYTHON_VERSIONS),
}


def pytest_addoption(parser):
    group = parser.getgroup("variants")
    group.addoption("--database", choices=MATRIX["database"], help="test only this database")
    group.addoption("--server", choices=MATRIX["server"], help="test only this gateway server")
    group.addoption("--worker", choices=MATRIX["worker"], help="test only this worker backend")
    group.addoption("--python-version", choices=MATRIX["python_version"], help="render only this Python")


def pytest_collection_modifyitems(config, items):
    """Mark each test by what it needs, for the workflow's jobs to select by (-m): `docker`, a
    test that talks to the Docker engine; `cell`, one of those that runs once per variant. Leave
    out a test whose own list of cells (@pytest.mark.parametrize) has a value --database,
    --server or --worker did not choose."""
    chosen = {name: config.getoption(name) for name in MATRIX}
    kept, left_out = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        mismatch = any(value and name in params and params[name] != value for name, value in chosen.items())
        (left_out if mismatch else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "docker_client" in fixtures:
            item.add_marker("docker")
            if fixtures & {"database", "server", "worker"}:
                item.add_marker("cell")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("variants")
    accepts = marker.kwargs if marker else {}
    # A test that lists its own cells with @pytest.mark.parametrize keeps them.
    listed = {name for mark in metafunc.definition.iter_markers("parametrize") for name in mark.args[0]}
    for name, values in MATRIX.items():
        if name not in metafunc.fixturenames or name in listed:
            continue
        chosen = metafunc.config.getoption(name)
        accept = accepts.get(name, lambda _value: True)
        metafunc.parametrize(name, [v for v in values if chosen in (None, v) and accept(v)])


# --- rendering --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def copier_template_paths():
    return ["copier.yml", "template", "extensions"]


@pytest.fixture(scope="session")
def copier_template(tmp_path_factory, copier_template_root, copier_template_paths):
    """The template as it is, uncommitted changes included, committed and tagged 99.99.99 in a
    repository of its own (as pytest-copier's fixture of that name makes it), once for all of this
    run's workers: a project records the path of its template, so projects rendered by different
    workers are then the same files, rendered and built once."""
    return shared_once(
        tmp_path_factory,
        "src",
        lambda folder: template_repository(folder, copier_template_root, copier_template_paths),
    )


@pytest.fixture(scope="session")
def render(copier_template, tmp_path_factory):
    """render(database=..., server=..., worker=..., python_version=..., django_version=...,
    project_name=...) -> path.

    Renders the committed copy of the template (copier_template) with the variant table's
    defaults for what is not given (the worker: the one paired with the database and server); the
    same answers render once per run, whichever worker asks first. Tests copy a render before
    they change anything in it.
    """
    rendered = {}

    def render(**answers):
        answers = {
            "database": variants.DEFAULT_DATABASE,
            "server": variants.DEFAULT_SERVER,
            "python_version": variants.DEFAULT_PYTHON_VERSION,
            "django_version": variants.DEFAULT_DJANGO_VERSION,
            **answers,
        }
        answers.setdefault("worker", variants.paired_worker(answers["database"], answers["server"]))
        key = tuple(sorted(answers.items()))
        if key not in rendered:
            fields = ("database", "server", "worker", "python_version", "django_version")
            cell = "-".join(answers[field] for field in fields)
            name = f"{cell}-{hashlib.sha256(repr(key).encode()).hexdigest()[:8]}"
            rendered[key] = shared_once(
                tmp_path_factory, name, lambda folder: render_project(copier_template, folder, **answers)
            )
        return rendered[key]

    return render


@pytest.fixture(scope="session")
def before_the_first_tag(tmp_path_factory, copier_template) -> History:
    """A template repository whose commits hold releases 0.1.0 and 0.2.0 and the template as it
    is, none of them tagged, then its first tag, 0.3.0: a project made from any of those commits
    records a commit, which Copier reads as 0.0.0.postN, so updating it runs every migration."""
    steps = {
        **{version: (commit, None) for version, commit in RELEASES.items()},
        "newest": (copier_template, None),
    }
    return template_history(tmp_path_factory.mktemp("before-the-first-tag"), steps, newest="0.3.0")


@pytest.fixture
def django_version():
    """The Django release line of a test that does not list its own cells: the default."""
    return variants.DEFAULT_DJANGO_VERSION


@pytest.fixture
def project(render, database, server, django_version):
    """The project rendered for this test's database and server (and their paired worker), at
    the default Python."""
    return render(database=database, server=server, django_version=django_version)


@pytest.fixture
def worker_project(render, database, worker, django_version):
    """The project rendered for this test's database and worker, with the server paired with them:
    one of the cells `project` renders, so its image is built once for both."""
    server = variants.paired_server(database, worker)
    return render(database=database, server=server, django_version=django_version)


# --- running the rendered project on this machine ------------------------------------------------


@pytest.fixture
def production_env_on_disk(tmp_path):
    """production_env_on_disk(**overrides): a production environment whose database and media
    are files under this test's tmp_path."""

    return functools.partial(environments.production_env_on_disk, tmp_path)


@pytest.fixture
def manage(project, tmp_path):
    """manage.py of a private copy of the project: commands like collectstatic write into it."""
    return Manage(shutil.copytree(project, tmp_path / "project"))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real HTTP S3 API (moto) on 127.0.0.1, with an empty `media-bucket`."""
    server = services.MotoS3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    server.create_bucket("media-bucket")
    yield server
    server.close()


# --- Docker ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_compose():
    return services.compose_command()


@pytest.fixture(scope="session")
def docker_client():
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as error:
        services.missing_service(f"no Docker engine answers ({error})")
    return client


@pytest.fixture(scope="session")
def base_image(docker_client):
    """The default Python's base image."""
    try:
        return images.find_base_image(docker_client)
    except images.BuildFailed as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def build(docker_client):
    """build(project) -> image tag; the same files are built once, whichever worker asks first, on
    the base image of the project's Python (made first if this machine has none)."""
    built = {}

    def build(project: Path) -> str:
        if project not in built:
            try:
                built[project] = images.build_once(docker_client, project)
            except images.BuildFailed as error:
                built[project] = error  # one failed build fails each test of that image, once built
        if isinstance(built[project], images.BuildFailed):
            pytest.fail(str(built[project]), pytrace=False)
        return built[project]

    return build


@pytest.fixture
def sentry():
    """A stand-in for Sentry on 127.0.0.1 (its `dsn` is SENTRY_DSN's value), closed after the test."""
    stand_in = SentryStandIn()
    yield stand_in
    stand_in.close()


# --- database servers on loopback -------------------------------------------------------------------


@pytest.fixture(scope="session")
def task_servers(tmp_path_factory):
    """task_servers(worker) -> the test server of that worker backend's row, started on first use."""
    servers = services.StartedOnFirstUse(tmp_path_factory, variants.WORKERS)
    yield servers.get
    servers.close()


@pytest.fixture(scope="session")
def database_servers(tmp_path_factory):
    """database_servers(database) -> that database's test server, started on first use."""
    servers = services.StartedOnFirstUse(tmp_path_factory, variants.DATABASES)
    yield servers.get
    servers.close()


@pytest.fixture
def database_server(database, database_servers):
    return database_servers(database)


@pytest.fixture
def data_volumes(database, docker_client):
    """A fresh named volume at /data for a file database, like a platform's persistent disk."""
    if services.has_test_server(database):
        yield {}
        return
    volume = docker_client.volumes.create(f"django-template-test-{os.urandom(4).hex()}")
    yield {volume.name: {"bind": "/data", "mode": "rw"}}
    volume.remove(force=True)


@pytest.fixture
def database_url(database, server, database_servers):
    if not services.has_test_server(database):
        return variants.DATABASES[database].local_database_url
    return database_servers(database).create_database(f"app_{server}_{os.urandom(4).hex()}")
