"""The one table of what the template supports.

Every database, gateway server, worker backend and Django release line the questionnaire offers
is a row here, with everything the variant is: what the templates render (pins, engine options,
packages, commands, compose service, the README's examples), what it can do (pool connections,
lock for `migrate`, scale out), what copier.yml offers (its choices and defaults come from here),
what the tests and CI need (the test database server, the Debian packages), and which import
names a project slug must not take.

The row is the only place a variant is named: templates and extensions read its fields and never
compare an answer with a variant's name. Adding a gateway is a new row in SERVERS, plus the
template of its config file under template/_includes/ if it needs one (the row names both the
file and its template); adding a database is a new row in DATABASES, plus a class in
harness/services.py if its test server is a kind the tests cannot yet start. Nothing else reads a
list of variants: tests/test_adding_a_variant.py and tests/test_adding_a_database.py prove it
with a throwaway fourth row each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# The Python versions offered, each with the Debian suite that packages it: where no registry
# serves python:X-slim, scripts/build-offline-base-image builds a stand-in from that suite, and
# the tests build and run an image on each. No Debian suite packages 3.12, so it is not offered.
PYTHON_DEBIAN_SUITES = {"3.13": "trixie", "3.14": "forky"}
PYTHON_VERSIONS = tuple(PYTHON_DEBIAN_SUITES)
DEFAULT_PYTHON_VERSION = "3.13"

# Pins shared by every variant (Django's own is its DJANGO_VERSIONS row's).
COMMON_REQUIREMENTS = (
    "dj-database-url==3.1.2",
    "whitenoise==6.12.0",
    "django-storages[s3]==1.14.6",
    "boto3==1.44.8",
    # Prometheus metrics (the project's metrics.py). The official client rather than
    # django-prometheus, whose database metrics need its own ENGINE wrappers in DATABASES and whose
    # middleware must be first and last: the client's multiprocess mode sums every gateway worker's
    # counts, and a middleware of a dozen lines and Django's execute_wrapper time the rest.
    "prometheus-client==0.26.0",
    # OpenTelemetry traces (the project's traces.py), on only with OTEL_EXPORTER_OTLP_ENDPOINT set:
    # the SDK and its OTLP/HTTP exporter, no instrumentation packages. The project makes its few
    # spans itself (a request, its queries through Django's execute_wrapper, a task's enqueue and
    # run), as metrics.py times them; opentelemetry-instrumentation-django and its kin would add a
    # package per library, each patching it at import, and their own settings to learn.
    "opentelemetry-sdk==1.45.2",
    "opentelemetry-exporter-otlp-proto-http==1.45.2",
    # Error reports, when SENTRY_DSN is set (the project's error_reports.py): Sentry's own SDK, which
    # self-hosted GlitchTip and Bugsink take reports from too. Its Django, logging and RQ
    # integrations report a request's error, a line logged at ERROR and a failed task with no code
    # of the project's; errors as OpenTelemetry span events would need a backend that groups them.
    "sentry-sdk==2.75.0",
)
# The top-level import names those install, their dependencies' included (a test compares this
# with what pip really installs for every variant).
COMMON_IMPORTS = (
    "django", "asgiref", "sqlparse", "dj_database_url", "whitenoise", "storages", "boto3",
    "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3", "prometheus_client",
    "opentelemetry", "google", "requests", "charset_normalizer", "idna", "certifi", "sentry_sdk",
    "typing_extensions",
)  # fmt: skip
# The top-level import names the generated project's test tools install (its requirements-dev.txt,
# dependencies included: a test compares this with what pip installs), and the module pytest
# itself reads from the project: a package of one of these names would shadow its own tests.
DEV_IMPORTS = (
    "pytest", "py", "pluggy", "iniconfig", "pygments", "pytest_django", "conftest", "pre_commit",
    "cfgv", "distlib", "filelock", "identify", "nodeenv", "platformdirs", "python_discovery",
    "virtualenv", "yaml", "uv", "packaging",
)  # fmt: skip
# Names a project slug must not take besides those: what a virtualenv brings itself, the
# project's folders and modules, and names Django projects and test runners already use.
LAYOUT_NAMES = (
    "pip", "setuptools", "pkg_resources", "data", "deploy", "media", "static", "staticfiles",
    "manage", "settings", "app", "test", "tests", "scripts",
)  # fmt: skip


@dataclass(frozen=True)
class ComposeService:
    """A backing service in docker-compose.yml: the database's `database_default`, or a worker
    backend's server."""

    image: str
    environment: dict[str, str]
    healthcheck: str
    data_path: str
    # Where no registry serves `image` (this template's own tests offline), the Debian packages and
    # the command of a stand-in of that name built on the offline base image (harness/stand_ins.py);
    # none where the official image's start-up (users, initial databases) has no stand-in yet.
    stand_in_packages: tuple[str, ...] = ()
    stand_in_command: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationLock:
    """How the project's `migrate` takes a lock that a second `migrate` on the same database waits
    for (template/{{project_slug}}/management/commands/migrate.py.jinja renders every row's, by
    Django's vendor name: rows of one vendor share the first one's lock)."""

    # What the README calls it, e.g. "an advisory lock".
    name: str
    # Why the key is what it is: a comment above the lock in migrate.py.
    reason: str
    # The SQL that takes the lock and the SQL that releases it, %s standing for the key; the
    # first answers 0 when it gave up after `timeout` seconds ({timeout} in it).
    acquire: str
    release: str
    # The key: a number, or a name that str.format fills in from the connection's settings_dict.
    key: int | str
    # Seconds the lock waits for another migrate at most; None: as long as it takes.
    timeout: int | None = None


@dataclass(frozen=True)
class Database:
    name: str
    label: str
    requirements: tuple[str, ...]
    local_database_url: str
    django_engine: str
    # Django's connection.vendor for django_engine: rendered code that must differ by database at
    # run time (migrate.py's lock) looks its row's data up by this.
    vendor: str
    # The DATABASE_URL schemes dj-database-url maps to django_engine; settings refuse the others.
    url_schemes: tuple[str, ...] = ()
    # Other names of django_engine in settings an adoption reads (older Django releases' names).
    engine_aliases: tuple[str, ...] = ()
    compose: ComposeService | None = None
    # OPTIONS a URL cannot express, rendered into settings.py; options in the URL's query win.
    options: dict[str, str | int] = field(default_factory=dict)
    options_reason: str = ""
    # Debian packages needed to compile the driver (builder stage only) and to run it.
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    # Drivers of this database an adopted project may pin itself that compile against its client
    # library where no wheel fits the image's Python (psycopg2 always), and the Debian packages
    # that compiling needs in the builder stage (with its compiler) and running needs in the
    # image: an adopted image gets them when the project pins one, whatever its database answer
    # (`name[extra]` for an extra that pulls one in: psycopg[c] installs psycopg-c).
    source_drivers: tuple[str, ...] = ()
    source_build_packages: tuple[str, ...] = ()
    source_runtime_packages: tuple[str, ...] = ()
    # The driver the template pins instead, which an adoption's summary suggests.
    wheel_driver: str = ""
    # Those of source_drivers that Django no longer uses once the template's driver is installed
    # beside them (it imports psycopg 3 first): the adoption's summary says so.
    superseded_drivers: tuple[str, ...] = ()
    # Top-level import names the requirements install.
    imports: tuple[str, ...] = ()
    # The class in harness/services.py that runs a real server of this database for the
    # tests, and the Debian packages it needs (None: a file database, nothing to run).
    test_server: str | None = None
    test_server_packages: tuple[str, ...] = ()
    # Words that only a project using this database contains; tests check they go away on a switch.
    markers: tuple[str, ...] = ()
    # Whether several containers may share it: a file database lives on one pod's volume.
    scales_out: bool = True
    # A file in the project's /data volume rather than a server reached over the network.
    file_database: bool = False
    # Its driver is part of Python: every project's settings accept its URLs too, whatever the
    # database answered, and the README offers it as the alternative.
    builtin_driver: bool = False
    # What reuses Django's connections to it in a pool (OPTIONS["pool"]) for a gateway that asks
    # for one (Server.pool); "": Django has no pool for it.
    connection_pool: str = ""
    # How `migrate` keeps a second migrate waiting; None: the database lets one writer in at a
    # time itself.
    migration_lock: MigrationLock | None = None
    # Options in the URL's query string the README gives as examples.
    url_query_examples: tuple[str, ...] = ()
    # What the README tells someone installing the requirements on their own machine, if anything.
    build_note: str = ""


@dataclass(frozen=True)
class Server:
    name: str
    label: str
    requirements: tuple[str, ...]
    # The Python server interface it serves: "wsgi" ({slug}/wsgi.py) or "asgi" ({slug}/asgi.py).
    interface: str
    # The command line that starts the gateway, as sh reads it after `exec` (it may expand the
    # environment's variables); {slug} is the Django project package, {app} the module whose
    # `application` it serves ({slug}.wsgi or {slug}.asgi; {slug}.gateway_app in an adopted
    # project), {config_file} and {shutdown_timeout} the fields below. The image runs it after the
    # environment check, under {slug}.drain (see exec_form): the row cannot leave either out.
    command: str
    # The gateway's own config file, if it has one (under deploy/ since 0.2.0), and the template
    # of its content, under template/ (template/{{ gateway.config_file }}.jinja renders it).
    config_file: str = ""
    config_template: str = ""
    # Under ASGI, Django's docs advise against persistent connections.
    conn_max_age: int = 600
    # Reuse connections through the database's pool instead, where it has one
    # (Database.connection_pool; Django refuses a pool together with persistent connections):
    # docs/benchmark.md measures each policy on each gateway.
    pool: bool = False
    # Top-level import names the requirements install.
    imports: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    # Its workers serve one connection per thread, WEB_THREADS of them (its command or config file
    # reads the variable): a client that holds a connection without finishing its request holds
    # a thread. False: an event loop serves every connection.
    threads: bool = False
    # The oldest release of the gateway's package its command and config file start: an adopted
    # project's pin of an older one is named by the summary ("": any pin but the row's is named).
    oldest_release: str = ""
    # Seconds the gateway gives requests in flight to finish after SIGTERM: its command or config
    # file sets it from here, and the Kubernetes grace period is derived from it.
    shutdown_timeout: int = 30
    # Patterns of the lines it prints before its own logger is set up, which therefore are not
    # the JSON objects every other line is (README.md, "Logs", in the generated project).
    unstructured_start_lines: tuple[str, ...] = ()
    # The line each of its worker processes logs as it stops, as a pattern: written after the
    # worker's last batch of lines, it is lost with it ("": its workers log none of their own).
    worker_stop_line: str = ""
    # Its own lines follow LOG_FORMAT=text too; False: they stay JSON objects whatever it says.
    text_logs: bool = True
    # Other names its package is published under: an adopted project whose requirements name one
    # keeps it and is not given the row's requirements too (uWSGI's `uwsgi`, built from source,
    # beside the row's `pyuwsgi` wheel: both installed, one's `uwsgi` command replaces the other's).
    other_distributions: tuple[str, ...] = ()
    # Debian packages the builder stage needs to compile one of those from source (as an adopted
    # project's own `uwsgi` is): without PCRE's headers, uWSGI builds without regular expressions,
    # then refuses the log-route lines of deploy/uwsgi.ini and exits.
    source_build_packages: tuple[str, ...] = ()

    def application_module(self, slug: str, adopted: bool = False) -> str:
        """The module whose `application` the gateway serves: the project's wsgi.py or asgi.py,
        which puts front.py before Django; in an adopted project, whose wsgi.py and asgi.py are
        its own, gateway_app.py, which puts front.py before them."""
        return f"{slug}.gateway_app" if adopted else f"{slug}.{self.interface}"

    def exec_form(self, slug: str, adopted: bool = False) -> str:
        """The Dockerfile CMD line's JSON array for a project package named `slug`: the project's
        {slug}.environment first, which checks the variables the gateway reads itself (PORT,
        WEB_CONCURRENCY) and imports the settings, which read the others, so that a bad value
        stops the container with one line before the gateway starts (gunicorn, for one, answers
        WEB_CONCURRENCY=abc with a traceback; uvicorn restarts a worker that fails to import the
        app, forever); then the gateway's command, in place of the shell. All of it runs under the
        project's drain.py, which fails /readyz for a while on SIGTERM before passing it on."""
        values = {
            "slug": slug,
            "app": self.application_module(slug, adopted),
            "config_file": self.config_file,
            "shutdown_timeout": self.shutdown_timeout,
        }
        gateway = self.command.format(**values)
        return json.dumps(
            ["python", "-m", f"{slug}.drain", "sh", "-c", f"python -m {slug}.environment && exec {gateway}"]
        )


@dataclass(frozen=True)
class DjangoVersion:
    """A Django release line the questionnaire offers (`django_version`): its pin, and where
    Django's task API comes from on it. A project moves to a later row with `copier update`
    (extensions/django_upgrade.py re-locks and runs django-upgrade), never back."""

    # The answer, and django-upgrade's --target-version.
    name: str
    label: str
    requirement: str
    # The module the task API is imported from (`from <tasks_module> import task`): the
    # django-tasks backport before Django 6, which has it built in as django.tasks.
    tasks_module: str
    # The backport's pins and apps where Django lacks the API; () where it is built in.
    tasks_backport: tuple[str, ...] = ()
    tasks_apps: tuple[str, ...] = ()
    # Whether its default DEFAULT_AUTO_FIELD is BigAutoField (Django 6 on): the settings then leave
    # it out, as django-upgrade does when it moves a project there.
    big_auto_field_default: bool = False
    # The oldest Django release an adopted project may pin for this row to be its default (the
    # last row whose adopts_from its pin reaches); one older than every row's is refused.
    adopts_from: str = "0"
    # Appended to a variant's lock name (extensions/locks/); "" keeps the names locks had before
    # this question.
    lock_suffix: str = ""

    @property
    def immediate_backend(self) -> str:
        """The task backend that runs each task at once, in the process that enqueues it (the
        projects' own tests run them so)."""
        return f"{self.tasks_module}.backends.immediate.ImmediateBackend"


@dataclass(frozen=True)
class Worker:
    """A backend of Django's task API (`@task`, `.enqueue()`): the django-tasks backport on
    Django 5.2, whose API Django 6 has built in. The user's tasks are the same under every row."""

    name: str
    label: str
    # Its pins where Django has the task API built in (DjangoVersion.tasks_backport adds the
    # backport where it does not).
    requirements: tuple[str, ...]
    # settings.TASKS's BACKEND ("": the Django release's immediate one, task_backend()), and the
    # apps it needs in INSTALLED_APPS besides the backport's.
    backend: str
    apps: tuple[str, ...]
    # What the README says happens to an enqueued task.
    runs_tasks: str
    # Its pins instead of `requirements` beside the backport, where they differ.
    backport_requirements: tuple[str, ...] = ()
    # The template (under template/) of the project's `manage.py worker` command, which runs the
    # tasks in a container of its own; "": no worker process, tasks run where they are enqueued.
    worker_template: str = ""
    # The oldest Django its packages install with: an adopted project pinning an older one is
    # refused this answer, in one line.
    django_floor: str = "4.2"
    # Seconds the worker gives the task in hand after SIGTERM before it returns it to the queue (the
    # default of WORKER_SHUTDOWN_TIMEOUT); the Kubernetes grace period is derived from it.
    shutdown_timeout: int = 25
    # The template of the settings the backend needs besides TASKS, included after it.
    settings_template: str = ""
    # The template of the project's code that has each enqueued task carry the context it was
    # enqueued in (the request's id, the trace) to the worker, which runs it in that context:
    # {slug}/task_carrier.py renders it. "": tasks run where they are enqueued.
    carrier_template: str = ""
    # The class there that settings.TASKS's BACKEND names instead of `backend`, when the carrier is
    # the backend itself ("": the library's backend, the carrier hooked in by its own settings).
    carrier_backend: str = ""
    # The variable that holds the URL of the backend's own server (read by those settings) and
    # the compose service of that server (named after the row), with the URL that reaches it.
    url_variable: str = ""
    compose: ComposeService | None = None
    local_url: str = ""
    # Top-level import names the requirements install, and the words only its projects contain.
    imports: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    # The class in harness/services.py that runs its server for the tests, and its Debian packages.
    test_server: str | None = None
    test_server_packages: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        """The worker container's command, as compose and Kubernetes give it; "" without one."""
        return "python manage.py worker" if self.worker_template else ""

    def requirements_on(self, django: DjangoVersion) -> tuple[str, ...]:
        """Its pins on the Django release line `django`, the task API's backport first if any."""
        own = self.backport_requirements if django.tasks_backport and self.backport_requirements else ()
        return tuple(dict.fromkeys((*django.tasks_backport, *(own or self.requirements))))

    def apps_on(self, django: DjangoVersion) -> tuple[str, ...]:
        """Its INSTALLED_APPS on `django`, the backport's first if any."""
        return tuple(dict.fromkeys((*django.tasks_apps, *self.apps)))


DATABASES: dict[str, Database] = {
    "postgresql": Database(
        name="postgresql",
        label="PostgreSQL",
        # The pool serves the ASGI gateway (Server.pool); the wheel is pure Python.
        requirements=("psycopg[binary]==3.3.9", "psycopg-pool==3.3.3"),
        local_database_url="postgres://postgres@database_default:5432/db",
        django_engine="django.db.backends.postgresql",
        # Django before 3.0 also called the backend postgresql_psycopg2.
        engine_aliases=("django.db.backends.postgresql_psycopg2",),
        vendor="postgresql",
        url_schemes=("postgres", "postgresql", "pgsql"),
        compose=ComposeService(
            image="postgres:17-alpine",
            environment={"POSTGRES_DB": "db", "POSTGRES_HOST_AUTH_METHOD": "trust"},
            healthcheck="pg_isready --username=postgres --dbname=db",
            data_path="/var/lib/postgresql/data",
        ),
        imports=("psycopg", "psycopg_binary", "psycopg_pool", "typing_extensions"),
        source_drivers=("psycopg2", "psycopg2-binary", "psycopg-c", "psycopg[c]"),
        source_build_packages=("libpq-dev",),
        source_runtime_packages=("libpq5",),
        wheel_driver="psycopg[binary]",
        superseded_drivers=("psycopg2", "psycopg2-binary"),
        test_server="PostgresServer",
        test_server_packages=("postgresql",),
        markers=("psycopg", "postgres"),
        connection_pool="psycopg's pool",
        migration_lock=MigrationLock(
            name="an advisory lock",
            reason=(
                "A session-level advisory lock, which PostgreSQL keeps per database: any number,"
                ' the same in every process ("migrate" in ASCII).'
            ),
            acquire="SELECT pg_advisory_lock(%s)",
            release="SELECT pg_advisory_unlock(%s)",
            key=int.from_bytes(b"migrate", "big"),
        ),
        url_query_examples=("?sslmode=require",),
    ),
    "mysql": Database(
        name="mysql",
        label="MySQL / MariaDB",
        requirements=("mysqlclient==2.3.2",),
        local_database_url="mysql://root@database_default:3306/db",
        django_engine="django.db.backends.mysql",
        vendor="mysql",
        url_schemes=("mysql", "mysql2"),
        compose=ComposeService(
            image="mysql:8.4",
            environment={"MYSQL_DATABASE": "db", "MYSQL_ALLOW_EMPTY_PASSWORD": "yes"},
            healthcheck="mysqladmin ping --host=127.0.0.1 --user=root --silent",
            data_path="/var/lib/mysql",
        ),
        options={"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"},
        options_reason="Full Unicode, and errors instead of silently truncated data.",
        build_packages=("gcc", "libc6-dev", "pkg-config", "default-libmysqlclient-dev"),
        runtime_packages=("libmariadb3",),
        imports=("MySQLdb",),
        source_drivers=("mysqlclient",),
        source_build_packages=("pkg-config", "default-libmysqlclient-dev"),
        source_runtime_packages=("libmariadb3",),
        test_server="MariaDBServer",
        test_server_packages=("mariadb-server",),
        markers=("mysqlclient", "mysql"),
        migration_lock=MigrationLock(
            name="`GET_LOCK`",
            reason="Named locks are server-wide: name it after the database.",
            acquire="SELECT GET_LOCK(%s, {timeout})",
            release="SELECT RELEASE_LOCK(%s)",
            key="{NAME}.migrate",
            timeout=600,
        ),
        url_query_examples=("?ssl_mode=REQUIRED", "?charset=utf8mb3"),
        build_note=(
            "mysqlclient compiles against your system's MySQL client headers:"
            " `default-libmysqlclient-dev` and `pkg-config` on Debian"
        ),
    ),
    "sqlite": Database(
        name="sqlite",
        label="SQLite",
        requirements=(),
        local_database_url="sqlite:////data/db.sqlite3",
        django_engine="django.db.backends.sqlite3",
        vendor="sqlite",
        url_schemes=("sqlite",),
        options={
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        options_reason=(
            "Several workers share one file: queue writers instead of failing with"
            ' "database is locked", and let readers run while one writes.'
        ),
        markers=("sqlite:////data",),
        scales_out=False,
        file_database=True,
        builtin_driver=True,
        url_query_examples=("?timeout=5",),
    ),
}

SERVERS: dict[str, Server] = {
    "gunicorn": Server(
        name="gunicorn",
        label="Gunicorn (WSGI)",
        requirements=("gunicorn==27.0.1",),
        interface="wsgi",
        # The config file turns gunicornc's control socket off (gunicorn before 25.1 refuses the
        # command line's --no-control-socket, and ignores the config file's setting).
        command="gunicorn --config={config_file} {app}",
        config_file="deploy/gunicorn.conf.py",
        config_template="_includes/gunicorn.conf.py.jinja",
        # gunicorn 20 imports pkg_resources, which the image's virtualenv (Python 3.12+) lacks.
        oldest_release="21.0",
        threads=True,
        worker_stop_line=r"Worker exiting \(pid: \d+\)",
        imports=("gunicorn", "packaging"),
        markers=("gunicorn",),
    ),
    "uvicorn": Server(
        name="uvicorn",
        label="Uvicorn (ASGI)",
        requirements=("uvicorn==0.54.0", "uvloop==0.23.0", "httptools==0.9.0"),
        interface="asgi",
        # The project's front.py applies FORWARDED_ALLOW_IPS to X-Forwarded-* under every gateway;
        # uvicorn's own reading of them would apply it once more, to the address it rewrote.
        # uvicorn restarts a worker that fails to import the app, forever: a bad configuration
        # stops the container in {slug}.environment instead (exec_form), before the workers start.
        # (Importing the whole app there too cost 0.5-0.8 s of every start, docs/benchmark.md; an
        # error in the code itself fails scripts/smoke-test-image, before any deploy.)
        # Its own lines in the project's format (the master's too, which never imports Django); no
        # access log of its own: front.py writes one line a request under every gateway. front.py
        # answers the lifespan uvicorn runs (its default, auto: an application that does not answer
        # it still starts), at whose shutdown a worker writes its last batch of log lines: the
        # worker ends by raising the SIGTERM that stopped it again, which skips Python's exit hooks.
        command=(
            'uvicorn {app}:application --host="$LISTEN_ADDRESS" --port="$PORT"'
            " --no-proxy-headers --no-server-header"
            " --timeout-graceful-shutdown={shutdown_timeout}"
            " --log-config={slug}/logging.json --no-access-log"
        ),
        conn_max_age=0,
        # With psycopg's pool, 2.2x the requests/s of a new connection per request on the
        # database-backed page.
        pool=True,
        worker_stop_line=r"Finished server process \[\d+\]",
        imports=("uvicorn", "uvloop", "httptools", "h11", "click"),
        markers=("uvicorn", "uvloop", "httptools"),
    ),
    "uwsgi": Server(
        name="uwsgi",
        label="uWSGI (WSGI)",
        requirements=("pyuwsgi==2.0.30.post1",),
        other_distributions=("uwsgi",),
        # It links libpcre2-8, which the base image has.
        source_build_packages=("libpcre2-dev",),
        interface="wsgi",
        command="uwsgi --ini={config_file}",
        config_file="deploy/uwsgi.ini",
        config_template="_includes/uwsgi.ini.jinja",
        threads=True,
        # It names the config file it reads, then each log encoder the file adds, as it reads them.
        unstructured_start_lines=(
            r"\[uWSGI\] getting INI configuration from ",
            r"\[log-encoder\] registered ",
        ),
        # Its config file encodes its own lines, and cannot read LOG_FORMAT in any case (TEXT, Text).
        text_logs=False,
        imports=("pyuwsgi", "uwsgi", "uwsgidecorators"),
        markers=("uwsgi",),
    ),
}

# The task API's backport, for Django before 6, which has it built in.
TASKS_API = "django-tasks==0.12.0"

DJANGO_VERSIONS: dict[str, DjangoVersion] = {
    "5.2": DjangoVersion(
        name="5.2",
        label="5.2 LTS: security fixes until April 2028",
        requirement="django==5.2.19",
        tasks_module="django_tasks",
        tasks_backport=(TASKS_API,),
        tasks_apps=("django_tasks",),
        # The settings use database OPTIONS that came with Django 5.1 (SQLite's transaction_mode,
        # psycopg's pool): an adopted project pinning an older Django is refused.
        adopts_from="5.1",
    ),
    # Django 6 needs Python 3.12 or later: every version PYTHON_VERSIONS offers.
    "6.1": DjangoVersion(
        name="6.1",
        label="6.1: the latest release, security fixes until December 2027",
        requirement="django==6.1.3",
        tasks_module="django.tasks",
        big_auto_field_default=True,
        adopts_from="6.0",
        lock_suffix="-django6.1",
    ),
}

RQ_IMPORTS = (
    "django_tasks", "django_tasks_rq", "django_rq", "rq", "rq_scheduler", "redis", "croniter", "crontab",
    "freezegun", "click", "dateutil", "six", "django_stubs_ext", "typing_extensions",
)  # fmt: skip

WORKERS: dict[str, Worker] = {
    "none": Worker(
        name="none",
        label="None: tasks run when enqueued, in the process that enqueues them",
        requirements=(),
        backend="",
        apps=(),
        runs_tasks="at once, in the web process that enqueues it, before the response is sent",
        imports=("django_tasks", "django_stubs_ext", "typing_extensions"),
    ),
    "database": Worker(
        name="database",
        label="Database: django-tasks-db, a worker process polls the project's database",
        requirements=("django-tasks-db==0.13.0",),
        # Its extra for Django before 6 requires the backport (and Django < 6).
        backport_requirements=("django-tasks-db[compat]==0.13.0",),
        backend="django_tasks_db.DatabaseBackend",
        django_floor="5.2",
        apps=("django_tasks_db",),
        runs_tasks="in the worker container, which polls the database for it every second",
        worker_template="_includes/worker_database.py.jinja",
        carrier_template="_includes/carrier_database.py.jinja",
        carrier_backend="CarryingDatabaseBackend",
        imports=("django_tasks", "django_tasks_db", "django_stubs_ext", "typing_extensions"),
        markers=("django_tasks_db",),
    ),
    "redis": Worker(
        name="redis",
        label="Redis: django-tasks-rq, a worker process takes tasks from RQ's queues",
        # django-tasks-rq builds on the backport's classes on every Django release (its backend
        # takes Django 6's own tasks too): the backport is pinned here, not only below Django 6.
        requirements=(TASKS_API, "django-tasks-rq==0.12.0", "django-rq==4.2.0", "rq==3.0.0", "redis==8.1.0"),
        backend="django_tasks_rq.RQBackend",
        apps=("django_rq", "django_tasks_rq"),
        runs_tasks="in the worker container, which takes it from Redis as soon as it is enqueued",
        worker_template="_includes/worker_redis.py.jinja",
        settings_template="_includes/settings_tasks_redis.py.jinja",
        carrier_template="_includes/carrier_redis.py.jinja",
        url_variable="REDIS_URL",
        compose=ComposeService(
            image="redis:8-alpine",
            environment={},
            healthcheck="redis-cli ping",
            data_path="/data",
            stand_in_packages=("redis-server",),
            # Like the official image: every interface, no password, its data in /data.
            stand_in_command=("redis-server", "--protected-mode", "no", "--dir", "/data"),
        ),
        local_url="redis://redis:6379/0",
        imports=RQ_IMPORTS,
        markers=("django_rq", "redis"),
        test_server="RedisServer",
        test_server_packages=("redis-server",),
    ),
}

DEFAULT_DATABASE = "postgresql"
DEFAULT_SERVER = "gunicorn"
DEFAULT_WORKER = "none"
# The current LTS release; the other rows are later ones a project can move to.
DEFAULT_DJANGO_VERSION = "5.2"


QUESTIONS: dict[str, dict] = {
    "database": DATABASES, "server": SERVERS, "worker": WORKERS, "django_version": DJANGO_VERSIONS,
}  # fmt: skip
DEFAULTS = {
    "database": DEFAULT_DATABASE, "server": DEFAULT_SERVER, "worker": DEFAULT_WORKER,
    "django_version": DEFAULT_DJANGO_VERSION,
}  # fmt: skip


def task_backend(worker: str, django_version: str, slug: str) -> str:
    """settings.TASKS's BACKEND for a worker backend on a Django release line, in the project
    package `slug`: the project's own carrier where the row names one."""
    row = WORKERS[worker]
    if row.carrier_backend:
        return f"{slug}.task_carrier.{row.carrier_backend}"
    return row.backend or DJANGO_VERSIONS[django_version].immediate_backend


def requirements(
    database: str, server: str, worker: str, django_version: str = DEFAULT_DJANGO_VERSION
) -> list[str]:
    """The pinned requirements of one variant, in the order requirements.txt lists them."""
    django = DJANGO_VERSIONS[django_version]
    pins = [*DATABASES[database].requirements, *SERVERS[server].requirements]
    tasks = WORKERS[worker].requirements_on(django)
    return list(dict.fromkeys([django.requirement, *COMMON_REQUIREMENTS, *pins, *tasks]))


def lock_name(database: str, server: str, worker: str, django_version: str = DEFAULT_DJANGO_VERSION) -> str:
    """The file name of a variant's committed lock in extensions/locks/ (scripts/lock-variants)."""
    return f"{database}-{server}-{worker}{DJANGO_VERSIONS[django_version].lock_suffix}.txt"


def all_variants() -> list[tuple[str, str, str, str]]:
    """Every database x server x worker x Django answer, each of which has a lock."""
    return [(d, s, w, v) for d in DATABASES for s in SERVERS for w in WORKERS for v in DJANGO_VERSIONS]


def paired_server(database: str, worker: str) -> str:
    """The server paired_worker() pairs with `database` and `worker`."""
    return next(server for server in SERVERS if paired_worker(database, server) == worker)


def paired_worker(database: str, server: str) -> str:
    """The worker the tests pair with a database and a server: each worker meets each database
    once and each server once over the database x server cells (a Latin square), so that every
    pair of answers is built and served without tripling the cells. The first database and server
    keep the default worker."""
    names = list(WORKERS)
    index = list(DATABASES).index(database) + list(SERVERS).index(server)
    return names[index % len(names)] if database in DATABASES and server in SERVERS else DEFAULT_WORKER


def choices(question: str) -> dict[str, str]:
    """copier.yml's choices for `question`: label -> answer, in table order."""
    return {row.label: row.name for row in QUESTIONS[question].values()}


def reserved_names() -> frozenset[str]:
    """Import names a project slug must not shadow: whatever any variant installs (a project can
    switch to any of them later), what its test tools install, and the fixed layout names."""
    rows = [*DATABASES.values(), *SERVERS.values(), *WORKERS.values()]
    return frozenset(
        {*COMMON_IMPORTS, *DEV_IMPORTS, *LAYOUT_NAMES, *(name for row in rows for name in row.imports)}
    )


def debian_packages(database: str | None = None, worker: str | None = None) -> list[str]:
    """What a machine needs to run the tests of one database's rows, with one worker backend's
    (or of every row): the headers a driver compiles against on the host, and the test servers."""
    rows = [DATABASES[database]] if database else list(DATABASES.values())
    packages = [package for row in rows for package in (*row.build_packages, *row.test_server_packages)]
    workers = [WORKERS[worker]] if worker else [] if database else WORKERS.values()
    packages += [package for row in workers for package in row.test_server_packages]
    return list(dict.fromkeys(packages))


def image_cells() -> list[dict[str, str]]:
    """The database x server cells the image tests run, each with its paired worker."""
    return [
        {"database": database, "server": server, "worker": paired_worker(database, server)}
        for database in DATABASES
        for server in SERVERS
    ]
