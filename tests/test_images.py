"""Each database x server variant, built into its image and run against a real database server,
a real S3 API and real HTTP requests; the gateway and deploy-check tests also on each later Django
release line's cells (harness.cells)."""

from __future__ import annotations

import re
import shutil
import time

import pytest
import requests
import yaml

from extensions import variants
from harness.cells import django_cells
from harness.environments import production_env
from harness.git import git
from harness.ignored import IGNORED_SECRETS, LOCAL_DATA, in_app_command, plant_ignored_files
from harness.images import App, ProxiedClient, run_once, running
from harness.logs import json_lines
from harness.project import SAVE_AND_READ_MEDIA
from harness.services import has_test_server

SUPERUSER = {"DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_PASSWORD": "a long admin passphrase 42"}
SUPERUSER_EMAIL = {"DJANGO_SUPERUSER_EMAIL": "admin@example.com"}
# What a healthy gateway never logs: errors, tracebacks, warnings (about its configuration or else),
# in a line's level or its message.
LOG_PROBLEMS = re.compile(r"\bERROR\b|Traceback|\bwarn(ing)?\b|!!!", re.IGNORECASE)
QUIET_LEVELS = ("DEBUG", "INFO")


@pytest.fixture
def image(project, build):
    return build(project)


@pytest.fixture
def cell_env(database, server, database_url, s3_server):
    """The production environment a platform gives one variant's containers."""
    s3_host = s3_server.endpoint_url.removeprefix("http://")
    return production_env(
        DOMAIN="localhost",
        DOMAIN_ALIASES="127.0.0.1",
        DATABASE_URL=database_url,
        DEFAULT_STORAGE_DSN=f"s3+http://key:secret@{s3_host}/media-bucket/{database}-{server}/",
        WEB_CONCURRENCY="2",
    )


@pytest.fixture
def migrated(docker_client, image, cell_env, data_volumes):
    for command in (["migrate", "--noinput"], ["createsuperuser", "--noinput"]):
        env = {**cell_env, **SUPERUSER, **SUPERUSER_EMAIL}
        status, output = run_once(docker_client, image, ["python", "manage.py", *command], env, data_volumes)
        assert status == 0, f"manage.py {command[0]} failed:\n{output}"


@pytest.fixture
def app(docker_client, image, cell_env, data_volumes, migrated):
    with running(App(docker_client, image, cell_env, data_volumes)) as app:
        yield app


# The cells of the tests that prove a Django release line as well as a variant.
DJANGO_CELLS = django_cells("database", "server", "django_version")


@pytest.mark.parametrize(("database", "server", "django_version"), DJANGO_CELLS)
def test_gateway_serves_health_admin_static_and_login(app):
    client = ProxiedClient(app)
    for probe in ("/healthz", "/readyz"):
        response = client.get(probe)
        assert response.status_code == 200
        # Keep-alive clients (load balancers, wrk) need the length to find the end of the body.
        assert response.headers.get("Content-Length") == str(len(response.content))

    plain = requests.get(app.url("/admin/login/"), allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")

    login_page = client.get("/admin/login/")
    assert login_page.status_code == 200
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
    assert stylesheet, "the page links the hashed stylesheet from the manifest"
    css = client.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["Content-Encoding"] == "gzip"
    assert "immutable" in css.headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", css.headers["Cache-Control"]).group(1)) >= 365 * 24 * 3600
    # Served before Django's middleware, with the security headers it would add.
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert css.headers["Strict-Transport-Security"].startswith("max-age=")

    login = client.log_in(login_page, *SUPERUSER.values())
    assert login.status_code == 302, login.text[:2000]
    assert login.headers["Location"] == "/admin/"
    assert "Site administration" in client.get("/admin/").text


def test_media_saved_through_dsn_lands_in_s3(docker_client, image, cell_env, s3_server, database, server):
    command = ["python", "manage.py", "shell", "--verbosity=0", "-c", SAVE_AND_READ_MEDIA]
    status, output = run_once(docker_client, image, command, cell_env)
    assert status == 0, output
    name, content = output.splitlines()[-2:]
    assert content == "hello media"
    assert s3_server.get_object("media-bucket", f"{database}-{server}/{name}") == b"hello media"


@pytest.mark.parametrize(("database", "server", "django_version"), DJANGO_CELLS)
def test_deploy_check_is_clean_inside_the_image(docker_client, image, cell_env):
    command = ["python", "manage.py", "check", "--deploy", "--database=default", "--fail-level=WARNING"]
    status, output = run_once(docker_client, image, command, cell_env)
    assert status == 0, output


def test_image_leaves_out_the_files_git_ignores_and_keeps_the_apps_own(
    project, build, docker_client, tmp_path
):
    planted = shutil.copytree(project, tmp_path / "planted")
    git(planted, "init", "--quiet")
    plant_ignored_files(planted, (*IGNORED_SECRETS, *LOCAL_DATA))
    slug = yaml.safe_load((planted / ".copier-answers.yml").read_text())["project_slug"]
    own = ("manage.py", f"{slug}/settings.py", f"{slug}/wsgi.py", "requirements.txt")
    checked = (*IGNORED_SECRETS, *LOCAL_DATA, *own)
    status, output = run_once(docker_client, build(planted), in_app_command(checked), {})
    assert status == 0, output
    assert output.split() == list(own)


def test_gateway_runs_as_non_root(app):
    uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", app.exec("cat", "/proc/1/status"), re.MULTILINE)
    assert uids.group(1) != "0"
    assert uids.group(2) != "0"


def test_gateway_opens_no_control_socket(docker_client, image, cell_env, data_volumes, migrated):
    # gunicorn (from 25.1) opens one for gunicornc unless its config file says not to, right in
    # $XDG_RUNTIME_DIR where that is a folder it may write to: this run gives it one.
    with running(App(docker_client, image, {**cell_env, "XDG_RUNTIME_DIR": "/tmp"}, data_volumes)) as app:
        assert app.exec("find", "/tmp", "-maxdepth", "1", "-type", "s") == ""


# A worker's first moments, with the master's handler it inherits, before it takes its stop
# signals over: a stop signal already in its copy of the master's queue ends it, and one that
# comes later takes the default action, which ends it too.
WORKER_FORKED = """
import queue, runpy, signal
config = runpy.run_path("deploy/gunicorn.conf.py")
class Master:
    SIG_QUEUE = queue.SimpleQueue()
signal.signal(signal.SIGTERM, lambda number, frame: Master.SIG_QUEUE.put(number))
Master.SIG_QUEUE.put(signal.SIGCHLD)
config["post_fork"](Master, None)
print("stops by default:", signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
Master.SIG_QUEUE.put(signal.SIGTERM)
config["post_fork"](Master, None)
print("served on after a queued SIGTERM")
"""


@pytest.mark.variants(server=lambda name: variants.SERVERS[name].config_file.endswith("gunicorn.conf.py"))
def test_a_gunicorn_worker_told_to_stop_as_it_was_forked_stops(docker_client, image, cell_env):
    status, output = run_once(docker_client, image, ["python", "-c", WORKER_FORKED], cell_env)
    assert (status, output.strip().splitlines()[-1:]) == (0, ["stops by default: True"]), output


def test_healthy_run_logs_no_problem_and_docker_stop_exits_zero_within_seconds(app, server):
    client = ProxiedClient(app)
    assert client.get("/readyz").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    started = time.monotonic()
    app.container.stop(timeout=10)
    elapsed = time.monotonic() - started
    assert app.wait_for_exit() == 0, app.logs()[-3000:]
    # Under the 10 s after which docker stop would kill it: 2.8 s on a quiet machine (2 s of it a
    # gthread worker waiting out the client's idle keep-alive connection), 5.7 s seen under the
    # full suite's load.
    assert elapsed < 8, f"docker stop took {elapsed:.1f}s"
    # The whole life of a healthy container, from start to that stop, logs no problem, in JSON lines.
    lines = json_lines(app.logs(), variants.SERVERS[server].unstructured_start_lines)
    problems = [
        line
        for line in lines
        if line["level"] not in QUIET_LEVELS or "exception" in line or LOG_PROBLEMS.search(line["message"])
    ]
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.variants(database=has_test_server)
def test_readiness_follows_the_database(app, database_server):
    client = ProxiedClient(app)
    database_server.stop()
    try:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    finally:
        database_server.start()
    deadline = time.monotonic() + 20
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "readiness did not come back with the database"
        time.sleep(0.2)


def test_missing_secret_key_stops_the_container_with_a_one_line_reason(docker_client, image, cell_env):
    app = App(docker_client, image, {**cell_env, "SECRET_KEY": ""}).start(wait=False)
    try:
        assert app.wait_for_exit(timeout=30) != 0
        logs = app.logs()
        assert "Traceback" not in logs, logs
        assert "SECRET_KEY" in logs.strip().splitlines()[-1], logs
    finally:
        app.remove()
