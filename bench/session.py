"""What the figures share during one run: the plan, the Docker client, the images (built on
first use, once per run) and the database and Redis servers (started on first use)."""

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
    # The worker figure's (database, worker backend) cells; in each, per turn of a worker, a batch
    # of this many tasks, then this many probes of the enqueue → start latency; turns per worker.
    task_cells: tuple[tuple[str, str], ...]
    tasks: int
    task_probes: int
    task_rounds: int


def task_cells(database: str) -> tuple[tuple[str, str], ...]:
    """Each backend with a worker process: one queued in the project's database on every database,
    one with a server of its own (whatever the database) on `database`."""
    return tuple(
        (name, worker)
        for worker, row in variants.WORKERS.items()
        if row.command
        for name in (variants.DATABASES if not row.test_server else (database,))
    )


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
    task_cells=task_cells("mysql"),
    tasks=100,
    task_probes=40,
    task_rounds=2,
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
    task_cells=(("sqlite", "database"),),
    tasks=20,
    task_probes=5,
    task_rounds=1,
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
        self._servers: dict[str, services._Server] = {}
        self._volumes = []
        self._databases: dict[str, tuple[str, dict]] = {}

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

    def tasks_image(self, database: str, worker: str) -> str:
        """The project for `database` and the `worker` backend with the task app (bench/tasks/)."""
        name = f"tasks-{database}-{worker}"
        return self.build(name, self._context(name, lambda path: projects.tasks(path, database, worker)))

    # --- the databases and servers the images use ------------------------------------------------

    def page_database(self, database: str, server: str) -> tuple[str, dict]:
        """The database the page image for `database` and `server` serves, new and migrated (its 20
        rows included): its DATABASE_URL and the volumes a container needs to reach it. One per cell."""
        return self._database(database, f"page_{server}", self.page_image(database, server))

    def task_environment(self, database: str, worker: str) -> tuple[dict[str, str], dict]:
        """The environment of the task image's containers for `database` and `worker`: a new
        database, migrated, and a backend with a server of its own on a new database of that server;
        and the volumes they need. One per cell."""
        url, volumes = self._database(database, f"tasks_{worker}", self.tasks_image(database, worker))
        row, backend = variants.WORKERS[worker], {}
        if row.test_server:
            backend[row.url_variable] = self._server(worker, row.test_server).fresh_url()
        return app_env(DATABASE_URL=url, **backend), volumes

    def _database(self, database: str, name: str, image: str) -> tuple[str, dict]:
        """A new database called `name`, migrated by `image`: its DATABASE_URL and the volumes a
        container needs to reach it. PostgreSQL and MariaDB run on the host, SQLite on a new volume."""
        key = f"{database}-{name}"
        if key not in self._databases:
            if services.has_test_server(database):
                server = self._server(database, variants.DATABASES[database].test_server)
                url, volumes = server.create_database(name), {}
            else:
                volume = self.client.volumes.create(f"django-template-bench-{uuid.uuid4().hex[:8]}")
                self._volumes.append(volume)
                url, volumes = f"sqlite:////data/{name}.sqlite3", {volume.name: {"bind": "/data"}}
            command = ["python", "manage.py", "migrate", "--noinput"]
            status, output = run_once(self.client, image, command, app_env(DATABASE_URL=url), volumes)
            if status != 0:
                raise RuntimeError(f"migrate failed in {image}:\n{output[-3000:]}")
            self._databases[key] = (url, volumes)
        return self._databases[key]

    def _server(self, name: str, class_name: str) -> services._Server:
        """The server of the row `name` (its harness.services class), started on first use."""
        if class_name not in self._servers:
            server_class = getattr(services, class_name)
            if not server_class.available():
                raise SystemExit(f"bench: no {name} server binaries on this machine (a figure needs them)")
            self._servers[class_name] = server_class(self.work / f"{name}-server")
            self._servers[class_name].start()
        return self._servers[class_name]

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        for volume in self._volumes:
            volume.remove(force=True)
