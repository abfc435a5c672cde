"""What the figures share during one run: the plan, the Docker client, the images (built on
first use, once per run) and the database servers (started on first use)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import projects
from extensions import variants
from harness import services
from harness.environments import production_env
from harness.images import run_once


@dataclass(frozen=True)
class Plan:
    name: str
    # The variant the image, rebuild, cold start, throughput and soak figures use.
    database: str
    # The gateways the figures measure, each of them.
    servers: tuple[str, ...]
    starts: int
    rebuilds: int
    load_seconds: int
    soak_seconds: int
    # Seconds of load before each measured one on the database-backed page (each worker's first
    # requests connect and compile the template).
    warmup_seconds: int
    # The databases the database-backed page covers, each on every gateway of the plan.
    page_databases: tuple[str, ...]


# mysql's driver needs a compiler, so its image shows what the builder stage saves.
FULL = Plan(
    "full",
    database="mysql",
    servers=tuple(variants.SERVERS),
    starts=9,
    rebuilds=3,
    load_seconds=10,
    soak_seconds=30,
    warmup_seconds=2,
    page_databases=tuple(variants.DATABASES),
)
# The smoke run (tests/test_benchmark.py) proves that every figure measures and the report renders:
# one variant, whose reference image compiles nothing, one start, one-second loads.
SMOKE = Plan(
    "smoke",
    database="sqlite",
    servers=("gunicorn",),
    starts=1,
    rebuilds=1,
    load_seconds=1,
    soak_seconds=1,
    warmup_seconds=0,
    page_databases=("sqlite",),
)


def app_env(**overrides: str) -> dict[str, str]:
    """A production environment with two workers; `overrides` add or replace. Without a
    DATABASE_URL override no path measured touches the database."""
    defaults = {"DOMAIN": "127.0.0.1", "DATABASE_URL": "sqlite:////tmp/bench.sqlite3", "WEB_CONCURRENCY": "2"}
    return production_env(**{**defaults, **overrides})


class Session:
    def __init__(self, client, base: str, work: Path, plan: Plan):
        self.client = client
        self.base = base
        self.work = work
        self.plan = plan
        self._contexts: dict[str, Path] = {}
        self._tags: dict[str, str] = {}
        self._servers: dict[str, services._DatabaseServer] = {}
        self._volumes = []
        self._page_databases: dict[str, tuple[str, dict]] = {}

    # --- build contexts and images, each made once -------------------------------------------

    def _context(self, name: str, make) -> Path:
        if name not in self._contexts:
            self._contexts[name] = make(self.work / name)
        return self._contexts[name]

    def _image(self, name: str, make) -> str:
        if name not in self._tags:
            started = time.monotonic()
            self._tags[name] = make()
            print(f"  built {self._tags[name]} in {time.monotonic() - started:.0f} s", flush=True)
        return self._tags[name]

    def build(self, name: str, context: Path) -> str:
        return self._image(name, lambda: projects.build(self.client, context, name))

    def project(self, database: str, server: str) -> Path:
        """The template rendered for `database` and `server`."""
        return self._context(f"{database}-{server}", lambda path: projects.render(path, database, server))

    def image(self, database: str, server: str) -> str:
        return self.build(f"{database}-{server}", self.project(database, server))

    def reference_project(self) -> Path:
        """The gunicorn project with the guide-style Dockerfile."""
        database = self.plan.database
        project = self.project(database, "gunicorn")
        return self._context("reference", lambda path: projects.reference(project, path, database))

    def reference_image(self) -> str:
        return self.build("reference", self.reference_project())

    def reference_dockerfile(self) -> str | None:
        """The reference's Dockerfile, if a figure made it."""
        if "reference" not in self._contexts:
            return None
        return (self._contexts["reference"] / "Dockerfile").read_text()

    def hello_image(self, server: str) -> str:
        """The plan's image for `server` serving bench/hello/ instead: the gateway alone."""
        image, name = self.image(self.plan.database, server), f"hello-{server}"
        return self._image(name, lambda: projects.swap_app(self.client, image, "hello", name))

    def page_project(self, database: str, server: str) -> Path:
        """The project with the database-backed page added (bench/page/)."""
        project = self.project(database, server)
        return self._context(f"page-{database}-{server}", lambda path: projects.page(project, path))

    def page_image(self, database: str, server: str) -> str:
        return self.build(f"page-{database}-{server}", self.page_project(database, server))

    def bare_page_image(self, database: str, server: str) -> str:
        """The page image serving the page from a bare Django (bench/bare_page/) instead."""
        image = self.page_image(database, server)
        name = f"bare-page-{database}-{server}"
        return self._image(name, lambda: projects.swap_app(self.client, image, "bare_page", name))

    # --- the page's databases ---------------------------------------------------------------------

    def page_database(self, database: str, server: str) -> tuple[str, dict]:
        """The database the page image for `database` and `server` serves, new and migrated (its 20
        rows included): its DATABASE_URL and the volumes a container needs to reach it. PostgreSQL
        and MariaDB run on the host, SQLite on a new volume. One per cell."""
        key = f"{database}-{server}"
        if key not in self._page_databases:
            if services.has_test_server(database):
                url, volumes = self._server(database).create_database(f"page_{server}"), {}
            else:
                volume = self.client.volumes.create(f"django-template-bench-{uuid.uuid4().hex[:8]}")
                self._volumes.append(volume)
                url, volumes = f"sqlite:////data/page_{server}.sqlite3", {volume.name: {"bind": "/data"}}
            image = self.page_image(database, server)
            command = ["python", "manage.py", "migrate", "--noinput"]
            status, output = run_once(self.client, image, command, app_env(DATABASE_URL=url), volumes)
            if status != 0:
                raise RuntimeError(f"migrate failed in {image}:\n{output[-3000:]}")
            self._page_databases[key] = (url, volumes)
        return self._page_databases[key]

    def _server(self, database: str) -> services._DatabaseServer:
        """`database`'s server on the host (harness.services), started on first use."""
        if database not in self._servers:
            server_class = services.server_class_for(database)
            if not server_class.available():
                raise SystemExit(
                    f"bench: no {database} server binaries on this machine (the page needs them)"
                )
            self._servers[database] = server_class(self.work / f"{database}-server")
            self._servers[database].start()
        return self._servers[database]

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        for volume in self._volumes:
            volume.remove(force=True)
