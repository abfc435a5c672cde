"""Throwaway PostgreSQL, MariaDB, Redis and S3 (moto) servers for the tests.

Every server is a child process listening on 127.0.0.1 only, at a free port,
and logging into a file in its workdir. These are plain classes:
tests/conftest.py wraps them in fixtures and calls close(). A database row of
extensions/variants.py (a database or a worker backend) names its class here in `test_server`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

import boto3
from botocore.config import Config

from extensions import variants

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
# Unix socket paths are limited to ~107 bytes; keep a margin for file names.
MAX_SOCKET_DIR = 80


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def missing_service(reason: str) -> NoReturn:
    """Skip a test whose service this machine lacks; fail instead where REQUIRE_SERVICES=1 (CI)."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        raise AssertionError(f"REQUIRE_SERVICES=1 but {reason}")
    # pytest reports unittest's SkipTest as a skip; the harness itself does not import pytest.
    raise unittest.SkipTest(reason)


def compose_command() -> list[str]:
    """`docker compose` (v2) or `docker-compose` (v1), whichever this machine has."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if (
            shutil.which(command[0])
            and subprocess.run([*command, "version"], capture_output=True, check=False).returncode == 0
        ):
            return command
    missing_service("neither `docker compose` nor `docker-compose` is installed")


def has_test_server(database: str) -> bool:
    """Whether the tests run a real server for `database` (not a file database)."""
    return variants.DATABASES[database].test_server is not None


def server_class_for(database: str) -> type[_DatabaseServer]:
    """The class that runs `database`'s test server, as its row names it."""
    return globals()[variants.DATABASES[database].test_server]


class StartedOnFirstUse:
    """The test servers of a table's rows (their `test_server`), each started when a test first
    asks for it (get(row name)) and shared by the rows that name the same class; close() stops
    them all."""

    def __init__(self, tmp_path_factory, table: dict):
        self.tmp_path_factory = tmp_path_factory
        self.table = table
        self.started: dict[str, _Server] = {}

    def get(self, name: str) -> _Server:
        class_name = self.table[name].test_server
        if class_name not in self.started:
            server_class = globals()[class_name]
            if not server_class.available():
                missing_service(f"no {name} server binaries on this machine")
            server = server_class(self.tmp_path_factory.mktemp(name))
            server.start()
            self.started[class_name] = server
        return self.started[class_name]

    def close(self) -> None:
        for server in self.started.values():
            server.close()


def _is_root() -> bool:
    return os.geteuid() == 0


class _Server:
    """Start a child process, wait until it answers, stop it on demand."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = self.workdir / f"{self.name}.log"
        self._process: subprocess.Popen | None = None
        self._tempdirs: list[Path] = []
        self._closed = False
        self.start_seconds: float | None = None

    # Subclasses provide these.
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _check_ready(self) -> None:
        """Raise (OSError, RuntimeError, ...) unless the server answers a real request."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """One-time setup before the first start (e.g. initdb)."""

    def _popen_kwargs(self) -> dict:
        return {}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self.name} server was closed")
        if self.running:
            return
        self._prepare()
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self._popen_kwargs(),
            )
        deadline = started + START_TIMEOUT
        while True:
            try:
                self._check_ready()
                break
            except (OSError, RuntimeError, subprocess.SubprocessError) as error:
                last_error = str(error).strip()
            code = self._process.poll()
            if code is not None:
                self._process = None
                raise RuntimeError(f"{self.name} exited with code {code} while starting.\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} did not accept connections on {HOST}:{self.port} "
                    f"within {START_TIMEOUT:.0f}s. Last error: {last_error}\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)
        self.start_seconds = time.monotonic() - started

    def stop(self) -> None:
        """Shut the server down and wait until the process has exited."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(self.stop_signal)
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
        self._process = None

    def close(self) -> None:
        """Stop for good and remove private temporary directories."""
        self.stop()
        self._closed = True
        for path in self._tempdirs:
            shutil.rmtree(path, ignore_errors=True)
        self._tempdirs.clear()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}"

    def _short_tempdir(self, prefix: str) -> Path:
        """A private directory with a short path, removed by close()."""
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self._tempdirs.append(path)
        return path


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising with its output if it fails."""
    result = subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        **kwargs,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed with code {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


# --- PostgreSQL --------------------------------------------------------------


class _DatabaseServer(_Server):
    """A server the tests create databases on, each reachable through a DATABASE_URL."""

    url_scheme = ""
    superuser = ""

    def sql(self, statement: str) -> str:
        """Run one SQL statement as the superuser; return the client's plain output."""
        raise NotImplementedError

    def _create_database_statement(self, name: str) -> str:
        raise NotImplementedError

    def _check_ready(self) -> None:
        self.sql("SELECT 1")

    def url(self, name: str) -> str:
        return f"{self.url_scheme}://{self.superuser}@{HOST}:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its DATABASE_URL."""
        self.sql(self._create_database_statement(name))
        return self.url(name)


def _postgres_bindir() -> Path | None:
    """The bin dir of the highest installed Debian PostgreSQL version."""
    found = Path("/usr/lib/postgresql").glob("*/bin/postgres")
    versions = [path.parent for path in found if path.parent.parent.name.isdigit()]
    if not versions:
        return None
    return max(versions, key=lambda bindir: int(bindir.parent.name))


class PostgresServer(_DatabaseServer):
    name = "postgres"
    url_scheme = "postgres"
    superuser = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
    stop_signal = signal.SIGINT

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        bindir = _postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries not found in /usr/lib/postgresql")
        self.bindir = bindir
        self.datadir = self.workdir / "pgdata"

    @staticmethod
    def available() -> bool:
        if _postgres_bindir() is None:
            return False
        if _is_root():
            # postgres refuses to run as root; we run it as the postgres user.
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return False
        return True

    def _popen_kwargs(self) -> dict:
        # postgres refuses to run as root, so drop to the postgres user.
        if _is_root():
            return {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": "/"}
        return {}

    def _postgres_can_reach(self, path: Path) -> bool:
        return subprocess.run(["test", "-x", str(path)], **self._popen_kwargs(), check=False).returncode == 0

    def _prepare(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return
        unreachable = _is_root() and not self._postgres_can_reach(self.workdir)
        if unreachable or len(str(self.datadir)) > MAX_SOCKET_DIR:
            # Typically pytest's /tmp/pytest-of-root (mode 0700), which the
            # postgres user cannot traverse, or a too long unix socket path.
            private = self._short_tempdir("pg-")
            if _is_root():
                shutil.chown(private, "postgres", "postgres")
            self.datadir = private / "data"
        self.datadir.mkdir(mode=0o700, exist_ok=True)
        if _is_root():
            shutil.chown(self.datadir, "postgres", "postgres")
        _run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.datadir),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            **self._popen_kwargs(),
        )

    def _command(self) -> list[str]:
        settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": self.datadir,
            # A throwaway server: speed over durability.
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "off",
        }
        options = [f"--{name.replace('_', '-')}={value}" for name, value in settings.items()]
        return [str(self.bindir / "postgres"), "-D", str(self.datadir), "-p", str(self.port), *options]

    def sql(self, statement: str) -> str:
        return self.psql(statement)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL over TCP with psql; return its unaligned, tuples-only output."""
        result = _run(
            [
                str(self.bindir / "psql"),
                "--no-psqlrc",
                "--no-password",
                "--no-align",
                "--tuples-only",
                "--set=ON_ERROR_STOP=1",
                f"--host={HOST}",
                f"--port={self.port}",
                "--username=postgres",
                f"--dbname={database}",
                f"--command={sql}",
            ],
            env={**os.environ, "PGCONNECT_TIMEOUT": "2"},
        )
        return result.stdout.strip()

    def _create_database_statement(self, name: str) -> str:
        quoted = name.replace('"', '""')
        return f'CREATE DATABASE "{quoted}"'


# --- MariaDB -----------------------------------------------------------------

_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def _mariadb_binary(name: str) -> str | None:
    return shutil.which(name, path=_SBIN_PATH)


class MariaDBServer(_DatabaseServer):
    name = "mariadb"
    url_scheme = "mysql"
    superuser = "root"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        if not self.available():
            raise RuntimeError("mariadbd, mariadb-install-db or mariadb client not found")
        self.datadir = self.workdir / "mariadb-data"
        # Its temporary tables' files, its own: in the shared /tmp, an install of the system tables
        # once failed to find one of its own there again ("Could not remove temporary table").
        self.tmpdir = self.workdir / "mariadb-tmp"
        self.socket_path = self.workdir / "mysqld.sock"
        if len(str(self.socket_path)) > MAX_SOCKET_DIR:
            self.socket_path = self._short_tempdir("mariadb-") / "mysqld.sock"

    @staticmethod
    def available() -> bool:
        return all(_mariadb_binary(name) for name in ("mariadbd", "mariadb-install-db", "mariadb"))

    def _user_args(self) -> list[str]:
        # As root, mariadbd must be told explicitly that running as root is intended.
        return ["--user=root"] if _is_root() else []

    def _prepare(self) -> None:
        self.tmpdir.mkdir(exist_ok=True)
        if (self.datadir / "mysql").is_dir():
            return
        # "normal" creates root@localhost, root@127.0.0.1 and root@::1 with no
        # password (instead of unix_socket auth); the readiness check logs in
        # as root over TCP from 127.0.0.1, so start() proves that it works.
        _run(
            [
                _mariadb_binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--tmpdir={self.tmpdir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *self._user_args(),
            ]
        )

    def _command(self) -> list[str]:
        return [
            _mariadb_binary("mariadbd"),
            "--no-defaults",
            *self._user_args(),
            f"--datadir={self.datadir}",
            f"--tmpdir={self.tmpdir}",
            f"--bind-address={HOST}",
            f"--port={self.port}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.workdir / 'mariadbd.pid'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ]

    def sql(self, statement: str) -> str:
        return self.query(statement)

    def query(self, sql: str, database: str | None = None) -> str:
        """Run SQL over TCP as root with the mariadb client; return its output."""
        args = [
            _mariadb_binary("mariadb"),
            "--no-defaults",
            "--protocol=TCP",
            f"--host={HOST}",
            f"--port={self.port}",
            "--user=root",
            "--connect-timeout=2",
            "--default-character-set=utf8mb4",
            "--batch",
            "--skip-column-names",
            f"--execute={sql}",
        ]
        if database is not None:
            args.append(database)
        return _run(args).stdout.strip()

    def _create_database_statement(self, name: str) -> str:
        quoted = name.replace("`", "``")
        return f"CREATE DATABASE `{quoted}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"


# --- Redis -------------------------------------------------------------------


class RedisServer(_Server):
    """redis-server with nothing saved to disk; each test takes a database number of its own."""

    name = "redis"
    databases = 16

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self._next_database = 0

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def _command(self) -> list[str]:
        return [
            "redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no",
            "--dir", str(self.workdir), "--databases", str(self.databases),
        ]  # fmt: skip

    def _check_ready(self) -> None:
        with socket.create_connection((HOST, self.port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            if not connection.recv(64).startswith(b"+PONG"):
                raise RuntimeError("redis-server did not answer PING")

    def fresh_url(self) -> str:
        """The URL of a database number no other test of this process is using, emptied."""
        number = self._next_database % self.databases
        self._next_database += 1
        with socket.create_connection((HOST, self.port), timeout=5) as connection:
            connection.sendall(f"SELECT {number}\r\nFLUSHDB\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                answer += connection.recv(64)
        return f"redis://{HOST}:{self.port}/{number}"


# --- S3 (moto) ---------------------------------------------------------------


class MotoS3Server(_Server):
    """moto's S3 API over HTTP. Its data lives in memory: a restart loses it."""

    name = "moto"
    access_key = "testing"
    secret_key = "testing"
    region = "us-east-1"

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("moto.server") is not None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _command(self) -> list[str]:
        script = Path(sys.executable).parent / "moto_server"
        base = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
        return [*base, "--host", HOST, "--port", str(self.port)]

    def _check_ready(self) -> None:
        # No proxies: an HTTP(S)_PROXY from the environment must not catch loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with contextlib.suppress(urllib.error.HTTPError):  # any HTTP answer means it is up
            opener.open(f"{self.endpoint_url}/", timeout=2).close()

    def client(self):
        """A boto3 S3 client for this server, with dummy credentials."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, proxies={}),
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def list_keys(self, bucket: str) -> list[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return [
            item["Key"] for page in paginator.paginate(Bucket=bucket) for item in page.get("Contents", [])
        ]
