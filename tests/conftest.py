"""Shared fixtures: the variant matrix, rendered projects and their virtualenvs.

Any test that takes a `database`, `server` or `python_version` argument runs once per row of
extensions/variants.py (narrowed by --database / --server / --python-version), so a new row is
covered without editing a test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from copier import run_copy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import services  # noqa: E402
from extensions import variants  # noqa: E402

CACHE = REPO / ".cache"

# For `manage.py shell -c`: saves a file through the default storage, prints its name and content.
SAVE_AND_READ_MEDIA = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
name = default_storage.save("notes/hello.txt", ContentFile(b"hello media"))
print(name)
print(default_storage.open(name).read().decode())
"""
MATRIX = {
    "database": list(variants.DATABASES),
    "server": list(variants.SERVERS),
    "python_version": list(variants.PYTHON_VERSIONS),
}


def pytest_addoption(parser):
    group = parser.getgroup("variants")
    group.addoption("--database", choices=MATRIX["database"], help="test only this database")
    group.addoption("--server", choices=MATRIX["server"], help="test only this gateway server")
    group.addoption("--python-version", choices=MATRIX["python_version"], help="render only this Python")


def pytest_generate_tests(metafunc):
    for name, values in MATRIX.items():
        if name not in metafunc.fixturenames:
            continue
        chosen = metafunc.config.getoption(name)
        restrict = getattr(metafunc.function, "variant_filter", {}).get(name)
        cells = [v for v in values if (chosen is None or v == chosen)]
        cells = [v for v in cells if restrict is None or restrict(v)]
        metafunc.parametrize(name, cells)


def only(**filters):
    """Run a matrix test only for the rows a predicate accepts, e.g. only(database=has_server)."""

    def mark(function):
        function.variant_filter = filters
        return function

    return mark


def missing_service(reason):
    """Skip a test whose service this machine lacks; fail instead where REQUIRE_SERVICES=1 (CI)."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# --- rendering --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def copier_template_paths():
    return ["copier.yml", "template", "extensions"]


@pytest.fixture(scope="session")
def render(copier_template, tmp_path_factory):
    """render(database=..., server=..., python_version=..., project_name=...) -> project path.

    Renders the committed copy of the template (see pytest-copier's copier_template); the same
    answers are rendered once per session.
    """
    rendered = {}

    def render(**answers):
        answers = {
            "project_name": "Example Shop",
            "database": variants.DEFAULT_DATABASE,
            "server": variants.DEFAULT_SERVER,
            "python_version": variants.DEFAULT_PYTHON_VERSION,
            **answers,
        }
        key = tuple(sorted(answers.items()))
        if key not in rendered:
            name = "-".join(str(answers[k]) for k in ("database", "server", "python_version"))
            destination = tmp_path_factory.mktemp(f"{name}-")
            run_copy(
                str(copier_template),
                destination,
                data=answers,
                defaults=True,
                unsafe=True,
                quiet=True,
                vcs_ref="HEAD",
            )
            rendered[key] = destination
        return rendered[key]

    return render


@pytest.fixture
def project(render, database, server):
    """The project rendered for this test's database and server, at the default Python."""
    return render(database=database, server=server)


# --- running the rendered project on this machine ------------------------------------------------


def virtualenv_for(requirements: Path) -> Path:
    """A virtualenv with `requirements` installed, shared by every project that pins the same."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    path = CACHE / "venvs" / digest
    if not (path / ".complete").exists():
        venv.create(path, with_pip=True, clear=True)
        subprocess.run(
            [path / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements],
            check=True,
        )
        (path / ".complete").touch()
    return path


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """What a platform provides in production: no DJANGO_DEBUG, a real secret, a domain."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "SECRET_KEY": hashlib.sha256(os.urandom(32)).hexdigest() + "-not-a-real-secret",
        "DOMAIN": "example.com",
        "DOMAIN_ALIASES": "www.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEFAULT_STORAGE_DSN": f"file://{tmp_path / 'media'}/?url=%2Fmedia%2F",
    }


class Manage:
    """Runs the rendered project's manage.py with its own virtualenv."""

    def __init__(self, project: Path, venv_path: Path):
        self.project = project
        self.python = venv_path / "bin" / "python"

    def __call__(self, *args, env, check=True):
        """Run manage.py with exactly `env`; a None value leaves that variable out."""
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.project,
            env={key: value for key, value in env.items() if value is not None},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def manage(project, tmp_path):
    """manage.py of a private copy of the project: commands like collectstatic write into it."""
    copy = shutil.copytree(project, tmp_path / "project")
    return Manage(copy, virtualenv_for(copy / "requirements.txt"))


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
def docker_client():
    try:
        import docker

        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means there is no usable engine
        missing_service(f"no Docker engine answers ({error})")
    return client


@pytest.fixture(scope="session")
def base_image(docker_client):
    try:
        return find_base_image(docker_client)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"{Path(error.cmd[0]).name} failed:\n{error.stderr[-3000:]}")


def find_base_image(client) -> str:
    """The official python image where it is present or a registry serves it; otherwise a
    stand-in built from Debian packages by scripts/build-offline-base-image."""
    import docker.errors

    official = f"python:{variants.DEFAULT_PYTHON_VERSION}-slim"
    try:
        client.images.get(official)
        return official
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(official)
        return official
    except docker.errors.APIError:
        pass
    script = REPO / "scripts" / "build-offline-base-image"
    result = subprocess.run([script], capture_output=True, text=True, timeout=900, check=True)
    return result.stdout.split()[-1]


class BuildFailed(Exception):
    pass


def build_image(client, context: Path, tag: str, buildargs: dict[str, str]) -> str:
    """Build with the classic builder, as the Docker SDK does; the log tail explains a failure."""
    log = []
    for chunk in client.api.build(
        path=str(context),
        tag=tag,
        buildargs=buildargs,
        network_mode="host",
        rm=True,
        forcerm=True,
        decode=True,
    ):
        log.extend(chunk.get("stream", "").splitlines())
        if "error" in chunk:
            log.append(chunk["error"])
            tail = "\n".join(log[-40:])
            raise BuildFailed(f"docker build of {context} failed; last lines of the build log:\n{tail}")
    return tag


@pytest.fixture(scope="session")
def build(docker_client, base_image):
    """build(project) -> image tag; each project is built once per session."""
    built = {}

    def build(project: Path) -> str:
        if project not in built:
            tag = f"django-template-test/{project.name.lower()}:latest"
            try:
                built[project] = build_image(docker_client, project, tag, {"BASE_IMAGE": base_image})
            except BuildFailed as error:
                built[project] = error  # one failed build fails each test of that image, once built
        if isinstance(built[project], BuildFailed):
            pytest.fail(str(built[project]), pytrace=False)
        return built[project]

    return build


# --- database servers on loopback -------------------------------------------------------------------

# The real server each database row is tested against (SQLite has none: a file on a volume).
DATABASE_SERVERS = {"postgresql": services.PostgresServer, "mysql": services.MariaDBServer}


@pytest.fixture(scope="session")
def database_servers(tmp_path_factory):
    """database_servers(database) -> that database's server, started on first use."""
    started = {}

    def get(database):
        if database not in started:
            server_class = DATABASE_SERVERS[database]
            if not server_class.available():
                missing_service(f"no {database} server binaries on this machine")
            server = server_class(tmp_path_factory.mktemp(database))
            server.start()
            started[database] = server
        return started[database]

    yield get
    for server in started.values():
        server.close()


@pytest.fixture
def database_server(database, database_servers):
    return database_servers(database)


@pytest.fixture
def data_volumes(database, docker_client):
    """A fresh named volume at /data for a file database, like a platform's persistent disk."""
    if database in DATABASE_SERVERS:
        yield {}
        return
    volume = docker_client.volumes.create(f"django-template-test-{os.urandom(4).hex()}")
    yield {volume.name: {"bind": "/data", "mode": "rw"}}
    volume.remove(force=True)


@pytest.fixture
def database_url(database, server, database_servers):
    if database not in DATABASE_SERVERS:
        return variants.DATABASES[database].local_database_url
    return database_servers(database).create_database(f"app_{server}_{os.urandom(4).hex()}")
