"""The one table of what the template supports.

Every database and gateway server the questionnaire offers is a row here, with the facts the
templates render (pins, packages, commands, compose service) and the tests read (which variants
exist, what must and must not appear in a rendered project). Adding a gateway is a new row in
SERVERS plus its config file under template/, if it needs one: the tests enumerate this table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

PYTHON_VERSIONS = ("3.12", "3.13", "3.14")
DEFAULT_PYTHON_VERSION = "3.13"

# Pins shared by every variant. Django stays on the current LTS line.
COMMON_REQUIREMENTS = (
    "django==5.2.19",
    "dj-database-url==3.1.2",
    "whitenoise==6.12.0",
    "django-storages[s3]==1.14.6",
    "boto3==1.44.8",
)


@dataclass(frozen=True)
class ComposeService:
    """The local `database_default` service in docker-compose.yml."""

    image: str
    environment: dict[str, str]
    healthcheck: str
    data_path: str


@dataclass(frozen=True)
class Database:
    name: str
    label: str
    requirements: tuple[str, ...]
    local_database_url: str
    django_engine: str
    compose: ComposeService | None = None
    # Debian packages needed to compile the driver (builder stage only) and to run it.
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    # Words that only a project using this database contains; tests check they go away on a switch.
    markers: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Server:
    name: str
    label: str
    requirements: tuple[str, ...]
    # The image's CMD, in exec form; {slug} is the Django project package.
    command: tuple[str, ...]
    # The gateway's own config file, if it has one (under deploy/ since 0.2.0).
    config_file: str | None = None
    # Under ASGI, Django's docs advise against persistent connections.
    conn_max_age: int = 600
    markers: tuple[str, ...] = field(default=())

    def exec_form(self, slug: str) -> str:
        """The Dockerfile CMD line's JSON array for a project package named `slug`."""
        return json.dumps([part.format(slug=slug) for part in self.command])


DATABASES: dict[str, Database] = {
    "postgresql": Database(
        name="postgresql",
        label="PostgreSQL",
        requirements=("psycopg[binary]==3.3.9",),
        local_database_url="postgres://postgres@database_default:5432/db",
        django_engine="django.db.backends.postgresql",
        compose=ComposeService(
            image="postgres:17-alpine",
            environment={"POSTGRES_DB": "db", "POSTGRES_HOST_AUTH_METHOD": "trust"},
            healthcheck="pg_isready --username=postgres --dbname=db",
            data_path="/var/lib/postgresql/data",
        ),
        markers=("psycopg", "postgres"),
    ),
    "mysql": Database(
        name="mysql",
        label="MySQL / MariaDB",
        requirements=("mysqlclient==2.3.2",),
        local_database_url="mysql://root@database_default:3306/db",
        django_engine="django.db.backends.mysql",
        compose=ComposeService(
            image="mysql:8.4",
            environment={"MYSQL_DATABASE": "db", "MYSQL_ALLOW_EMPTY_PASSWORD": "yes"},
            healthcheck="mysqladmin ping --host=127.0.0.1 --user=root --silent",
            data_path="/var/lib/mysql",
        ),
        build_packages=("gcc", "libc6-dev", "pkg-config", "default-libmysqlclient-dev"),
        runtime_packages=("libmariadb3",),
        markers=("mysqlclient", "mysql"),
    ),
    "sqlite": Database(
        name="sqlite",
        label="SQLite",
        requirements=(),
        local_database_url="sqlite:////data/db.sqlite3",
        django_engine="django.db.backends.sqlite3",
        markers=("sqlite:////data",),
    ),
}

SERVERS: dict[str, Server] = {
    "gunicorn": Server(
        name="gunicorn",
        label="Gunicorn (WSGI)",
        requirements=("gunicorn==27.0.1",),
        command=("gunicorn", "--config=deploy/gunicorn.conf.py", "{slug}.wsgi"),
        config_file="deploy/gunicorn.conf.py",
        markers=("gunicorn",),
    ),
    "uvicorn": Server(
        name="uvicorn",
        label="Uvicorn (ASGI)",
        requirements=("uvicorn==0.54.0", "uvloop==0.23.0", "httptools==0.9.0"),
        # uvicorn respawns a worker that fails to import the app forever, so import it once
        # first: a broken configuration then stops the container with its one-line reason.
        command=(
            "sh",
            "-c",
            "python -c 'import {slug}.asgi'"
            ' && exec uvicorn {slug}.asgi:application --host="$LISTEN_ADDRESS" --port="$PORT"'
            " --proxy-headers --forwarded-allow-ips='*' --no-server-header",
        ),
        conn_max_age=0,
        markers=("uvicorn", "uvloop", "httptools"),
    ),
    "uwsgi": Server(
        name="uwsgi",
        label="uWSGI (WSGI)",
        requirements=("pyuwsgi==2.0.30.post1",),
        command=("uwsgi", "--ini=deploy/uwsgi.ini"),
        config_file="deploy/uwsgi.ini",
        markers=("uwsgi",),
    ),
}

DEFAULT_DATABASE = "postgresql"
DEFAULT_SERVER = "gunicorn"


def requirements(database: str, server: str) -> list[str]:
    """The pinned requirements of one variant, in the order requirements.txt lists them."""
    return [*COMMON_REQUIREMENTS, *DATABASES[database].requirements, *SERVERS[server].requirements]
