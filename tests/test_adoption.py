"""Adopting an existing Django project (issue 11): the example projects of
tests/adoption_examples/ adopted non-interactively, their user files checked line by line, their
images built and run against a real database and S3 API, and switched by `copier update`; an
adoption by an older template release updated to the newest; and the interactive path."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import requests
import yaml

from extensions import variants
from extensions.adopt import (
    DOCKER_FILES,
    REQUIREMENTS_FILE,
    SQLITE_DATA,
    facts,
    gateway_package_names,
)
from extensions.adoption_task import DOCKERIGNORE_HOOK, PRE_COMMIT_CONFIG, dockerignore_hook_repo
from harness.adoption import (
    EXAMPLE_PROJECTS,
    EXAMPLES,
    Example,
    adopt,
    changed_user_files,
    removed_lines,
    summary_section,
    user_project,
)
from harness.environments import production_env
from harness.git import commit_all, git
from harness.hooks import run_pre_commit
from harness.ignored import IGNORED_SECRETS, LOCAL_DATA, in_app_command, plant_ignored_files
from harness.images import App, ProxiedClient, run_once, running
from harness.logs import json_lines
from harness.metrics import scrape, total, wait_for_total
from harness.releases import takes_the_first_tag_changing_only_its_answers
from harness.render import copier_cli, copier_update
from harness.services import free_port
from harness.terminal import Questionnaire
from harness.traces import Receiver
from harness.workers import start_worker, wait_for_health

SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "admin",
    "DJANGO_SUPERUSER_PASSWORD": "a long admin passphrase 42",
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
}


@pytest.fixture(scope="module", params=list(EXAMPLE_PROJECTS))
def example(request) -> Example:
    return EXAMPLE_PROJECTS[request.param]


@pytest.fixture(scope="module")
def adoption(example, copier_template, tmp_path_factory):
    """The example adopted by `copier copy --trust --defaults`, not yet committed."""
    project = user_project(example, tmp_path_factory.mktemp(f"adopt-{example.name}") / example.name)
    return adopt(project, copier_template, *([f"--data=worker={example.worker}"] if example.worker else []))


@pytest.fixture(scope="module")
def adopted(adoption, tmp_path_factory):
    """A copy of the adopted example with the adoption committed, as the summary tells the user to
    do; the adoption itself stays uncommitted for the tests of what it changed, whichever runs
    first."""
    assert adoption.returncode == 0, adoption.output
    folder = tmp_path_factory.mktemp(f"adopted-{adoption.project.name}") / adoption.project.name
    project = shutil.copytree(adoption.project, folder, symlinks=True)
    commit_all(project, "Adopt the twelve-factor template")
    return project


@pytest.fixture(scope="module")
def gateway(adopted) -> variants.Server:
    """The server row the example was adopted with."""
    return variants.SERVERS[answers_of(adopted)["server"]]


def test_adoption_detects_the_project_and_records_it_for_updates(adoption, example):
    assert adoption.returncode == 0, adoption.output
    answers = yaml.safe_load((adoption.project / ".copier-answers.yml").read_text())
    assert answers["adopted"] is True
    assert answers["project_slug"] == example.package
    assert answers["settings_module"] == example.settings_module
    assert answers["database"] == example.database


def test_adoption_keeps_every_user_line_and_its_summary_names_every_changed_file(adoption):
    assert adoption.returncode == 0, adoption.output
    assert removed_lines(adoption.project) == {}
    changed = changed_user_files(adoption.project)
    listed = summary_section(adoption.output, "Files changed")
    assert sorted(line.split(":")[0] for line in listed) == sorted(changed)
    for path, added in changed.items():
        if path in DOCKER_FILES:
            assert f"{path}: replaced by the template's; yours is now {DOCKER_FILES[path]}" in listed
        else:
            assert f"{path}: {added} line{'s' if added != 1 else ''} added" in listed
    untracked = git(adoption.project, "ls-files", "--others", "--exclude-standard").split()
    assert sorted(summary_section(adoption.output, "Files added")) == sorted(untracked)
    # The additions are the template's include and ignore lines, nothing else.
    assert (adoption.project / "requirements.txt").read_text().endswith(f"-r {REQUIREMENTS_FILE}\n")


def test_files_adoption_adds_are_ruff_clean(adoption):
    added = [path for path in summary_section(adoption.output, "Files added") if path.endswith(".py")]
    for command in (["check"], ["format", "--check", "--diff"]):
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *added],
            cwd=adoption.project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_adoption_keeps_the_projects_pins_and_adds_only_missing_libraries(adoption):
    files = yaml.safe_load((adoption.project / ".copier-answers.yml").read_text())["requirements_files"]
    user_pins = "".join((adoption.project / name).read_text() for name in files).lower()
    added = (adoption.project / REQUIREMENTS_FILE).read_text().lower()
    assert "django==" in user_pins
    assert "\ndjango==" not in added, "the project's own Django pin wins"
    for library in ("whitenoise==", "dj-database-url==", "django-storages[s3]=="):
        assert (library in added) != (library in user_pins), "added where the project pins none"


def test_data_overrides_what_adoption_detects(copier_template, tmp_path):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    adoption = adopt(
        project, copier_template, "--data=settings_module=bookshelf.settings.dev", "--data=database=mysql"
    )
    assert adoption.returncode == 0, adoption.output
    module = (project / "bookshelf" / "twelve_factor.py").read_text()
    assert "from bookshelf.settings.dev import *" in module
    assert "mysqlclient==" in (project / REQUIREMENTS_FILE).read_text()


def test_bad_settings_module_answer_is_refused_with_its_reason_and_writes_nothing(copier_template, tmp_path):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    adoption = adopt(project, copier_template, "--data=settings_module=elsewhere.settings")
    assert adoption.returncode != 0
    # One line, naming the question and the validator's reason: no traceback.
    (last_line,) = adoption.output.strip().splitlines()
    assert "settings_module" in last_line, adoption.output
    assert "'elsewhere.settings' is not in the project package 'bookshelf'" in last_line, adoption.output
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("edit", "the project has uncommitted changes; commit them first"),
        ("own_health_module", "bookshelf/health.py exists, and the template adds its own module"),
    ],
)
def test_adoption_refuses_a_project_it_would_overwrite_with_its_reason(
    copier_template, tmp_path, change, reason
):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    if change == "edit":
        with (project / "requirements.txt").open("a") as requirements:
            requirements.write("requests==2.34.2\n")
    else:
        (project / "bookshelf" / "health.py").write_text("STATUS = 'fine'\n")
        commit_all(project, "A health module of our own")
    before = git(project, "status", "--porcelain", "--untracked-files=all")
    adoption = adopt(project, copier_template)
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert reason in last_line, adoption.output
    assert git(project, "status", "--porcelain", "--untracked-files=all") == before, "nothing written"


# --- the adopted project's image --------------------------------------------------------------------


def ignored_files(example: Example) -> tuple[str, ...]:
    """What the developer keeps beside the example's code and its .gitignore files ignore."""
    return (*IGNORED_SECRETS, *LOCAL_DATA, example.ignored_settings, *example.ignored_in_subfolders)


@pytest.fixture(scope="module")
def served(adopted, example, build, docker_client, database_servers, s3_server, tmp_path_factory):
    """The adopted example's image, migrated, with a superuser, serving; and the environment."""
    volumes = {}
    if example.database == "sqlite":
        # The project's data/ holds the copy of its database the adoption made, mounted as the
        # platform's persistent disk; the container's user must be able to write there.
        data = tmp_path_factory.mktemp(f"data-{example.name}")
        shutil.copytree(adopted / "data", data, dirs_exist_ok=True)
        subprocess.run(["chmod", "-R", "a+rwX", data], check=True)
        volumes = {str(data): {"bind": "/data", "mode": "rw"}}
        database_url = "sqlite:////data/db.sqlite3"
    else:
        database_url = database_servers(example.database).create_database(f"adopted_{example.name}")
    s3_host = s3_server.endpoint_url.removeprefix("http://")
    env = production_env(
        DOMAIN="localhost",
        DOMAIN_ALIASES="127.0.0.1",
        DATABASE_URL=database_url,
        DEFAULT_STORAGE_DSN=f"s3+http://key:secret@{s3_host}/media-bucket/adopted-{example.name}/",
        **dict(example.environment),
    )
    # What the developer keeps beside the code and git ignores, there when the image is built.
    plant_ignored_files(adopted, ignored_files(example))
    image = build(adopted)
    for command in (["migrate", "--noinput"], ["createsuperuser", "--noinput"]):
        status, output = run_once(
            docker_client, image, ["python", "manage.py", *command], {**env, **SUPERUSER}, volumes
        )
        assert status == 0, f"manage.py {command[0]} failed:\n{output}"
    with running(App(docker_client, image, env, volumes)) as app:
        yield app, image, env, volumes


def test_adopted_image_passes_the_apps_own_tests_and_the_deploy_check(served, docker_client):
    _app, image, env, volumes = served
    # The tests' client speaks plain HTTP to Django's test server.
    test_env = {**env, "SECURE_SSL_REDIRECT": "false"}
    status, output = run_once(
        docker_client, image, ["python", "manage.py", "test"], test_env, volumes, timeout=300
    )
    assert status == 0, output
    assert re.search(r"^OK$", output, re.MULTILINE), output
    check = ["python", "manage.py", "check", "--deploy", "--database=default", "--fail-level=WARNING"]
    status, output = run_once(docker_client, image, check, env, volumes)
    assert status == 0, output


def test_adopted_image_serves_the_apps_page_probes_admin_and_hashed_static(served, example):
    app, _image, _env, _volumes = served
    client = ProxiedClient(app)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    page = client.get("/")
    assert page.status_code == 200, app.logs()[-3000:]
    assert example.page_text in page.text
    assert page.headers["X-Frame-Options"] == example.x_frame_options
    if example.database == "sqlite":
        assert "db.sqlite3" not in app.exec("ls", "/app"), "the user's SQLite file stays out of the image"
    login_page = client.get("/admin/login/")
    assert login_page.status_code == 200
    login = client.log_in(
        login_page, SUPERUSER["DJANGO_SUPERUSER_USERNAME"], SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]
    )
    assert login.status_code == 302, login.text[:2000]
    assert "Site administration" in client.get("/admin/").text
    name = re.escape(example.static_file or "admin/css/base.css").replace(r"\.css", r"\.[0-9a-f]{12}\.css")
    source = page.text if example.static_file else login_page.text
    hashed = re.search(rf'href="(/static/{name})"', source)
    assert hashed, f"the page links the hashed {example.static_file}:\n{source[:2000]}"
    static = client.get(hashed.group(1))
    assert static.status_code == 200
    assert "immutable" in static.headers["Cache-Control"]


REQUESTS_COUNTED = "http_server_request_duration_seconds_count"


def test_adopted_image_logs_json_lines_with_request_ids_and_sends_metrics_and_traces(
    served, gateway, docker_client
):
    """The signals come through the template's settings module, the project's own untouched: its
    page's access line is JSON with the request's id and trace, its span reaches the collector, and
    the metrics count it; a line of its own LOGGING's console handler is JSON too, and printed once."""
    _app, image, env, volumes = served
    receiver = Receiver().start()
    metrics_port = free_port()
    signals = {
        **env,
        "METRICS_PORT": str(metrics_port),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    request_id, missing_id = "adopted-page.1", "adopted-missing.1"
    try:
        with running(App(docker_client, image, signals, volumes)) as app:
            counted_before = total(scrape(metrics_port), REQUESTS_COUNTED)
            answer = ProxiedClient(app).get("/", headers={"X-Request-ID": request_id})
            assert answer.status_code == 200, app.logs()[-3000:]
            assert answer.headers["X-Request-ID"] == request_id
            spans = receiver.wait_for(lambda spans: any(span.kind == "SPAN_KIND_SERVER" for span in spans))
            counted = wait_for_total(metrics_port, counted_before + 1, REQUESTS_COUNTED) - counted_before
            missing = ProxiedClient(app).get("/no-such-page/", headers={"X-Request-ID": missing_id})
            assert missing.status_code == 404
            app.container.stop(timeout=30)
            lines = json_lines(app.logs(), gateway.unstructured_start_lines)
    finally:
        receiver.stop()
    given = [line for line in lines if line.get("request_id") == request_id]
    (access,) = [line for line in given if line["logger"] == "access"]
    (page_span,) = [span for span in spans if span.kind == "SPAN_KIND_SERVER"]
    assert (access["path"], access["status"], access["trace_id"]) == ("/", 200, page_span.trace_id)
    assert counted == 1
    # Django's warning, through the project's own console handler where its LOGGING has one
    # (custom_user's): once, in the image's format.
    warned = [line for line in lines if "/no-such-page/" in line["message"] and line["logger"] != "access"]
    assert [(line["logger"], line["level"], line.get("request_id")) for line in warned] == [
        ("django.request", "WARNING", missing_id)
    ]


@pytest.mark.parametrize("example", ["split_settings"], indirect=True)
def test_adopted_image_believes_forwarded_headers_only_from_its_proxies(served, gateway, docker_client):
    _app, image, env, volumes = served
    with running(App(docker_client, image, {**env, "FORWARDED_ALLOW_IPS": "192.0.2.1"}, volumes)) as app:
        forged = {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        answer = requests.get(app.url("/"), headers=forged, allow_redirects=False, timeout=10)
        app.container.stop(timeout=30)
        (access,) = [
            line
            for line in json_lines(app.logs(), gateway.unstructured_start_lines)
            if line["logger"] == "access" and line["path"] == "/"
        ]
    # Not from a proxy of FORWARDED_ALLOW_IPS: plain HTTP, so redirected, and the caller's address.
    assert answer.status_code == 301
    assert answer.headers["Location"].startswith("https://")
    assert access["client"] == "127.0.0.1"


def test_adopted_image_serves_with_the_gateway_release_the_project_pins(served, adopted, gateway):
    app, _image, _env, _volumes = served
    lines = facts.project_requirements(str(adopted)).lines
    # The project's own pin where it has one, by any name of the package (nested_requirements:
    # gunicorn 23; custom_user: uwsgi, built from source), else the template's.
    names = gateway_package_names(gateway)
    name = next((other for other in names[1:] if other in lines), names[0])
    pinned = lines[name].rpartition(": ")[2]
    installed = app.exec("python", "-c", f"from importlib.metadata import version; print(version({name!r}))")
    assert f"{name}=={installed.strip()}" == pinned.lower()


@pytest.mark.parametrize("example", ["nested_requirements"], indirect=True)
def test_adopted_image_stops_in_one_line_naming_a_variable_its_own_settings_read_unset(
    served, example, docker_client
):
    _app, image, env, volumes = served
    for name in dict(example.environment):  # one read by django-environ, one by os.environ[...]
        # (the settings' own SHELF_SECRET_KEY is set from SECRET_KEY)
        unset = {key: value for key, value in env.items() if key != name}
        status, output = run_once(docker_client, image, None, unset, volumes)
        assert status != 0, output
        assert "Traceback" not in output, output
        last_line = output.strip().splitlines()[-1]
        assert name in last_line, output
        assert f"{example.settings_module.replace('.', '/')}.py line " in last_line, output


def test_adopted_image_leaves_out_the_files_git_ignores_and_committed_env_files_and_keeps_the_apps_own(
    served, example, adopted
):
    app, _image, _env, _volumes = served
    # The SQLite database the adoption copied into data/ (sqlite_startproject), not planted.
    ignored = (*ignored_files(example), str(SQLITE_DATA), *example.kept_out)
    own = (
        "manage.py",
        example.settings_module.replace(".", "/") + ".py",
        "requirements.txt",
        *git(adopted, "ls-files", "data").split(),  # committed files in data/ (sqlite_startproject's)
    )
    assert app.exec(*in_app_command(ignored + own)).split() == list(own)


@pytest.mark.parametrize("example", [name for name, e in EXAMPLE_PROJECTS.items() if e.worker], indirect=True)
def test_a_project_adopted_with_a_worker_runs_it_from_its_image(
    served, example, adopted, docker_client, task_servers
):
    _app, image, env, volumes = served
    row = variants.WORKERS[example.worker]
    settings = (adopted / example.package / "twelve_factor.py").read_text()
    assert (row.carrier_backend or row.backend) in settings
    backend = {row.url_variable: task_servers(example.worker).fresh_url()} if row.test_server else {}
    worker = start_worker(docker_client, image, {**env, **backend}, volumes)
    try:
        # Its heartbeat: the worker reached the database and waits for tasks.
        wait_for_health(worker, "healthy", timeout=60)
    finally:
        worker.remove()


@pytest.mark.parametrize("pin", ["Django==4.2.3", "Django==2.2.14"])
def test_a_django_older_than_the_templates_settings_need_is_refused_in_one_line(
    copier_template, tmp_path, pin
):
    # testdrivenio/django-on-docker pins 4.2, justdjango/django-ecommerce 2.2: SQLite's
    # transaction_mode and psycopg's pool, in the template's settings, came with 5.1.
    adoption = adopted_shape(
        copier_template, tmp_path, {"requirements.txt": f"{pin}\npsycopg[binary]==3.3.9\n"}
    )
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert last_line.endswith(
        f"'django_version': requirements.txt line 1: {pin} is older than Django 5.1, which the template's"
        " settings need: raise it"
    ), last_line
    assert not (adoption.project / ".copier-answers.yml").exists(), "nothing is written"


def test_an_asgi_gateway_for_a_project_without_asgi_py_is_refused_in_one_line(copier_template, tmp_path):
    # djangoproject.com has no asgi.py: uvicorn's workers failed to import it, over and over.
    asgi = next(name for name, row in variants.SERVERS.items() if row.interface == "asgi")
    adoption = adopted_shape(copier_template, tmp_path, {"bookshelf/asgi.py": None}, f"--data=server={asgi}")
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert last_line.endswith("bookshelf/asgi.py's application, and it is missing: add it"), last_line
    assert not (adoption.project / ".copier-answers.yml").exists(), "nothing is written"


def test_a_worker_whose_packages_need_a_newer_django_than_the_project_pins_is_refused_in_one_line(
    copier_template, tmp_path
):
    example = EXAMPLE_PROJECTS["custom_user"]  # pins django==5.1.15
    project = user_project(example, tmp_path / example.name)
    worker = next(name for name, row in variants.WORKERS.items() if row.django_floor == "5.2")
    adoption = adopt(project, copier_template, f"--data=worker={worker}")
    assert adoption.returncode != 0
    (last,) = adoption.output.strip().splitlines()
    assert f"worker={worker} needs Django 5.2 or later, but requirements.txt line 1: django==5.1.15" in last
    assert "raise that pin, or answer worker=" in last
    assert not (project / ".copier-answers.yml").exists(), "nothing is written"


def test_adoption_lets_a_file_git_tracks_into_the_image_though_gitignore_matches_it(
    copier_template, tmp_path
):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    (project / "bookshelf" / "ca.pem").write_text("a public certificate the app reads\n")
    git(project, "add", "--force", "bookshelf/ca.pem")
    commit_all(project, "The certificate of our API's authority")
    adoption = adopt(project, copier_template)
    assert adoption.returncode == 0, adoption.output
    lines = (project / ".dockerignore").read_text().splitlines()
    assert lines.index("!bookshelf/ca.pem") > lines.index("**/*.pem")


def test_a_last_line_that_only_gains_its_end_of_line_is_not_counted_as_removed(copier_template, tmp_path):
    # justdjango/django-ecommerce's .gitignore ends without one.
    adoption = adopted_shape(copier_template, tmp_path, {".gitignore": "__pycache__/\n.env"})
    assert adoption.returncode == 0, adoption.output
    (gitignore,) = [
        line for line in summary_section(adoption.output, "Files changed") if line.startswith(".gitignore:")
    ]
    assert re.fullmatch(r"\.gitignore: \d+ lines added", gitignore), gitignore


def test_a_tracked_env_file_or_sqlite_database_stays_out_of_the_image_and_the_summary_says_so(
    copier_template, tmp_path
):
    # justdjango/django-ecommerce commits its .env (live keys among its variables) and db.sqlite3.
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    (project / ".env").write_text("STRIPE_LIVE_SECRET_KEY=sk_live_committed\n")
    (project / ".env.example").write_text("STRIPE_LIVE_SECRET_KEY=fixme\n")
    (project / "db.sqlite3").write_bytes(b"SQLite format 3\x00")
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write(".env\ndb.sqlite3\n")
    git(project, "add", "--force", ".env", ".env.example", "db.sqlite3")
    commit_all(project, "Our variables and database, committed")
    adoption = adopt(project, copier_template)
    assert adoption.returncode == 0, adoption.output
    lines = (project / ".dockerignore").read_text().splitlines()
    assert {"**/.env", "**/*.sqlite3*"} <= set(lines)
    assert not {"!.env", "!db.sqlite3"} & set(lines)
    assert "git tracks .env, db.sqlite3, which the image leaves out all the same" in adoption.output


# Only the examples that name a gateway to switch to: each switch builds one more image.
@pytest.mark.parametrize(
    "example", [name for name, example in EXAMPLE_PROJECTS.items() if example.switch_to], indirect=True
)
def test_update_switches_the_gateway_of_an_adopted_project_and_its_image_serves_the_app(
    served, adopted, example, tmp_path, build, docker_client
):
    _app, _image, env, volumes = served
    project = tmp_path / example.name
    git(tmp_path, "clone", "--quiet", str(adopted), str(project))
    result = copier_update(project, server=example.switch_to)
    assert result.returncode == 0, result.stderr
    # In the template's requirements, or the project's own (custom_user requires uwsgi itself).
    required = (project / REQUIREMENTS_FILE).read_text() + (project / "requirements.txt").read_text()
    assert example.switch_to in required.replace("pyuwsgi", "uwsgi")
    assert not git(project, "ls-files", "--unmerged")
    commit_all(project, f"Switch to {example.switch_to}")
    with running(App(docker_client, build(project), env, volumes)) as app:
        assert example.switch_to in app.exec("cat", "/proc/1/cmdline").replace("\0", " ")
        page = ProxiedClient(app).get("/", headers={"X-Request-ID": "switched.1"})
        assert page.status_code == 200, app.logs()[-3000:]
        assert example.page_text in page.text
        # The new gateway serves the project's application behind front.py too (gateway_app.py).
        assert page.headers["X-Request-ID"] == "switched.1"


# --- later template releases reach an adopted project -----------------------------------------------

# What the older release's twelve_factor.py lacked, and the newest has.
TEMPLATE_OWNED_CHANGE = '    "whitenoise.middleware.WhiteNoiseMiddleware",\n'


@pytest.fixture(scope="module")
def adoption_history(copier_template, tmp_path_factory):
    """A template repository: 1.0.0 without TEMPLATE_OWNED_CHANGE, then the template as it is."""
    repo = tmp_path_factory.mktemp("adoption-history")
    shutil.copytree(copier_template, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    git(repo, "init", "--quiet")
    module = next((repo / "template").glob("*/*twelve_factor.py*.jinja"))
    newest = module.read_text()
    assert TEMPLATE_OWNED_CHANGE in newest
    module.write_text(newest.replace(TEMPLATE_OWNED_CHANGE, ""))
    commit_all(repo, "Release 1.0.0")
    git(repo, "tag", "1.0.0")
    module.write_text(newest)
    commit_all(repo, "Release 1.1.0")
    git(repo, "tag", "1.1.0")
    return repo


def test_project_adopted_by_an_older_release_takes_a_template_owned_change_without_conflict(
    adoption_history, tmp_path
):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    adoption = adopt(project, adoption_history, vcs_ref="1.0.0")
    assert adoption.returncode == 0, adoption.output
    commit_all(project, "Adopt the twelve-factor template")
    user_settings = {path: path.read_text() for path in (project / "bookshelf" / "settings").glob("*.py")}
    module = project / "bookshelf" / "twelve_factor.py"
    assert "WhiteNoiseMiddleware" not in module.read_text()

    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    assert "WhiteNoiseMiddleware" in module.read_text()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "1.1.0"
    assert not git(project, "ls-files", "--unmerged")
    assert not list(project.rglob("*.rej"))
    assert git(project, "status", "--porcelain").split() == [
        "M",
        ".copier-answers.yml",
        "M",
        str(module.relative_to(project)),
    ]
    assert {path: path.read_text() for path in user_settings} == user_settings


# --- the project's own pre-commit config ------------------------------------------------------------


def test_adoption_adds_the_dockerignore_hook_to_the_projects_pre_commit_config_keeping_its_lines(
    copier_template, tmp_path
):
    example = EXAMPLE_PROJECTS["custom_user"]  # its own config: indentless repos, a key after them
    project = user_project(example, tmp_path / example.name)
    before = yaml.safe_load((project / PRE_COMMIT_CONFIG).read_text())
    adoption = adopt(project, copier_template)
    assert adoption.returncode == 0, adoption.output
    assert PRE_COMMIT_CONFIG not in removed_lines(project)
    after = yaml.safe_load((project / PRE_COMMIT_CONFIG).read_text())
    assert after["ci"] == before["ci"]
    assert after["repos"][:-1] == before["repos"]
    assert [hook["id"] for hook in after["repos"][-1]["hooks"]] == [DOCKERIGNORE_HOOK]
    assert f"Your {PRE_COMMIT_CONFIG} runs the template's {DOCKERIGNORE_HOOK} hook" in adoption.output
    commit_all(project, "Adopt the twelve-factor template")
    assert run_pre_commit(project, DOCKERIGNORE_HOOK).returncode == 0
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write("exports/\n")
    result = run_pre_commit(project, DOCKERIGNORE_HOOK)
    assert result.returncode != 0
    assert ".dockerignore lacks '**/exports' (.gitignore's 'exports/'" in result.stdout


def test_a_pre_commit_config_the_adoption_cannot_extend_stays_as_it_is_and_the_summary_gives_the_lines(
    copier_template, tmp_path
):
    flow_style = "repos: [{repo: meta, hooks: [{id: check-hooks-apply}]}]\n"
    adoption = adopted_shape(copier_template, tmp_path, {PRE_COMMIT_CONFIG: flow_style})
    assert adoption.returncode == 0, adoption.output
    assert (adoption.project / PRE_COMMIT_CONFIG).read_text() == flow_style
    assert f"add the template's {DOCKERIGNORE_HOOK} hook to its repos yourself" in adoption.output
    assert dockerignore_hook_repo("    ") in adoption.output


# --- a recopy -----------------------------------------------------------------------------------


def test_recopy_of_an_adopted_project_keeps_the_set_aside_docker_files_and_changes_nothing(
    copier_template, tmp_path
):
    example = EXAMPLE_PROJECTS["custom_user"]  # with a Dockerfile and docker-compose.yml of its own
    project = user_project(example, tmp_path / example.name)
    adoption = adopt(project, copier_template)
    assert adoption.returncode == 0, adoption.output
    commit_all(project, "Adopt the twelve-factor template")
    result = copier_cli("recopy", "--trust", "--defaults", "--overwrite", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Adopted the Django project" not in result.stderr, "a recopy adopts nothing again"
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


# --- the first tagged release reaches a project adopted before it ------------------------------------

# A pip-tools project: the list it edits, and what pip-compile made of it (no hashes).
PIP_TOOLS_IN = "Django==5.2.19\npsycopg[binary]==3.3.9\nhumanize==4.17.0\n"
PIP_TOOLS_TXT = """#
# This file is autogenerated by pip-compile with Python 3.13
#
asgiref==3.11.0
    # via django
django==5.2.19
    # via -r requirements.in
humanize==4.17.0
    # via -r requirements.in
psycopg[binary]==3.3.9
    # via -r requirements.in
psycopg-binary==3.3.9
    # via psycopg
sqlparse==0.5.4
    # via django
typing-extensions==4.15.0
    # via psycopg
"""
# Files of the user's own, committed before the adoption, that a migration written for generated
# projects would take for the template's: each must come through the update unchanged.
ADOPTED_BEFORE_THE_FIRST_TAG = {
    "plain requirements.txt": {
        "requirements.txt": "Django==5.2.19\npsycopg[binary]==3.3.9\nhumanize==4.17.0\n"
    },
    "pip-tools requirements.in and compiled requirements.txt": {
        "requirements.in": PIP_TOOLS_IN,
        "requirements.txt": PIP_TOOLS_TXT,
    },
    "own gunicorn.conf.py at the root": {"gunicorn.conf.py": "workers = 3  # ours, for our own servers\n"},
}


@pytest.mark.parametrize("own_files", ADOPTED_BEFORE_THE_FIRST_TAG.values(), ids=ADOPTED_BEFORE_THE_FIRST_TAG)
def test_first_tagged_release_updates_a_project_adopted_before_it_changing_only_its_answers(
    before_the_first_tag, tmp_path, own_files
):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    for name, text in own_files.items():
        (project / name).write_text(text)
    commit_all(project, "Our own files")
    adoption = adopt(project, before_the_first_tag.repo, vcs_ref=before_the_first_tag.commits["newest"])
    assert adoption.returncode == 0, adoption.output
    commit_all(project, "Adopt the twelve-factor template")
    # Recorded as a commit: Copier runs the 0.2.0 and 0.3.0 migrations for it.
    assert "_commit: 0.3.0" not in (project / ".copier-answers.yml").read_text()
    takes_the_first_tag_changing_only_its_answers(project, copier_update(project))


# --- the interactive path -----------------------------------------------------------------------------


def test_interactive_adoption_offers_the_detected_answers(copier_template, tmp_path):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name)
    questionnaire = Questionnaire(copier_template, project)
    questionnaire.accept("Project name")
    questionnaire.accept("Python package")
    questionnaire.wait_for("bookshelf.settings.production")
    questionnaire.accept("settings module")
    questionnaire.wait_for("PostgreSQL")
    questionnaire.accept("Database")
    questionnaire.accept("Application gateway server")
    questionnaire.accept("Background tasks")
    questionnaire.accept("Django release")
    questionnaire.accept("Python version")
    assert questionnaire.finish() == 0, questionnaire.screen
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["adopted"] is True
    assert answers["settings_module"] == "bookshelf.settings.production"
    assert answers["database"] == "postgresql"
    assert (project / "bookshelf" / "twelve_factor.py").exists()
    assert removed_lines(project) == {}


# --- requirements layouts, Python versions and what adoption checks (no image) -------------------
# Each is the split_settings example in the shape a real project had (issue 20); one image test,
# the nested_requirements example above, proves the builder stage they render.


def adopted_shape(copier_template, tmp_path, edits, *args):
    example = EXAMPLE_PROJECTS["split_settings"]
    project = user_project(example, tmp_path / example.name, edits)
    return adopt(project, copier_template, *args)


def answers_of(project):
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_nested_requirements_are_copied_into_the_builder_and_their_pins_win(copier_template, tmp_path):
    gateway = variants.SERVERS[variants.DEFAULT_SERVER].requirements[0]
    older_gateway = f"{gateway.partition('==')[0]}==1.0"
    edits = {
        "requirements.txt": "-r requirements/base.txt\n--constraint constraints.txt\n",
        "requirements/base.txt": f"Django==5.2.19\npsycopg[binary]==3.3.9\n{older_gateway}\n",
        "constraints.txt": "whitenoise==6.11.0\n",
    }
    adoption = adopted_shape(copier_template, tmp_path, edits)
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    answers = answers_of(project)
    assert answers["requirements_files"] == ["requirements.txt", "requirements/base.txt", "constraints.txt"]
    assert answers["user_constraints"] == ["whitenoise"]
    added = (project / REQUIREMENTS_FILE).read_text().splitlines()
    assert "whitenoise" in added, "a constrained package is required without a version"
    assert not [line for line in added if line.lower().startswith(("django==", "psycopg["))]
    dockerfile = (project / "Dockerfile").read_text()
    assert f"COPY requirements.txt constraints.txt {REQUIREMENTS_FILE} ./\n" in dockerfile
    assert "COPY requirements/base.txt ./requirements/\n" in dockerfile
    assert (
        "requirements.txt and the 2 files it includes (requirements/base.txt, constraints.txt)"
        in adoption.output
    )
    # The image's command starts the row's oldest_release on: an older pin of the project's is named.
    oldest = variants.SERVERS[variants.DEFAULT_SERVER].oldest_release
    said = (
        f"requirements/base.txt line 3: {older_gateway} wins over the template's {gateway}, for which the"
        f" image's command is written (it starts {older_gateway.partition('==')[0]} {oldest} or newer)"
    )
    assert said in adoption.output


def test_a_missing_included_requirements_file_is_refused_naming_the_line(copier_template, tmp_path):
    adoption = adopted_shape(
        copier_template, tmp_path, {"requirements.txt": "Django==5.2.19\n-r requirements/prod.txt\n"}
    )
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert "requirements.txt line 2: -r requirements/prod.txt: no such file" in last_line, adoption.output
    assert git(adoption.project, "status", "--porcelain", "--untracked-files=all") == ""


COMPILED = """\
#
# This file is autogenerated by pip-compile with Python 3.13
#
asgiref==3.9.1 \\
    --hash=sha256:f3bba7092a48005b5f5bacd747d36ee4a5a61f4a269a6df590b43144355ebd2c
    # via django
django==5.2.19 \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
    # via -r requirements.in
"""


def test_a_hashed_pip_compile_lock_stays_untouched_and_its_source_includes_the_template(
    copier_template, tmp_path
):
    edits = {"requirements.in": "Django==5.2.19\n", "requirements.txt": COMPILED}
    adoption = adopted_shape(copier_template, tmp_path, edits)
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    assert (project / "requirements.txt").read_text() == COMPILED
    assert (project / "requirements.in").read_text() == f"Django==5.2.19\n-r {REQUIREMENTS_FILE}\n"
    assert answers_of(project)["requirements_hashed"] is True
    dockerfile = (project / "Dockerfile").read_text()
    assert "--require-hashes --requirement requirements.txt" in dockerfile
    assert f"--requirement {REQUIREMENTS_FILE}\n" in dockerfile
    assert "requirements.in includes requirements-twelve-factor.txt too" in adoption.output
    assert "without hashes" not in adoption.output


def test_dependencies_declared_only_in_pyproject_are_installed_and_their_django_pin_wins(
    copier_template, tmp_path
):
    pyproject = (
        '[project]\nname = "bookshelf"\nversion = "1"\nrequires-python = ">=3.14,<3.15"\n'
        'dependencies = ["Django==5.2.19", "psycopg[binary]==3.3.9"]\n'
    )
    adoption = adopted_shape(
        copier_template, tmp_path, {"requirements.txt": None, "pyproject.toml": pyproject}
    )
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    assert not (project / "requirements.txt").exists(), "no requirements.txt beside pyproject.toml"
    answers = answers_of(project)
    assert answers["requirements_files"] == ["pyproject.toml"]
    assert answers["python_version"] == "3.14", "the highest offered version requires-python allows"
    assert "django==" not in (project / REQUIREMENTS_FILE).read_text().lower()
    dockerfile = (project / "Dockerfile").read_text()
    assert f"COPY pyproject.toml {REQUIREMENTS_FILE} ./\n" in dockerfile
    assert "tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']" in dockerfile
    assert "your dependencies are installed as declared, without hashes" in adoption.output


def test_a_project_without_requirements_is_refused_with_what_to_add(copier_template, tmp_path):
    adoption = adopted_shape(copier_template, tmp_path, {"requirements.txt": None})
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert (
        "the project has no requirements.txt and its pyproject.toml declares no [project] dependencies"
        in last_line
    )


@pytest.mark.parametrize(
    ("declared", "image_python", "said"),
    [
        ({".python-version": "3.14\n"}, "3.14", "Python 3.14: as .python-version declares"),
        (
            {"runtime.txt": "python-3.12.8\n"},
            "3.13",
            "Python 3.13: runtime.txt asks for 3.12, which the image does not offer",
        ),
        (
            {"Dockerfile": "FROM python:3.12.2-slim-bookworm\nCOPY . /code\n"},
            "3.13",
            "Python 3.13: Dockerfile.before-adoption asks for 3.12, which the image does not offer",
        ),
    ],
)
def test_the_image_runs_the_python_version_the_project_declares_or_the_nearest_offered(
    copier_template, tmp_path, declared, image_python, said
):
    adoption = adopted_shape(copier_template, tmp_path, declared)
    assert adoption.returncode == 0, adoption.output
    assert answers_of(adoption.project)["python_version"] == image_python
    assert f"FROM python:{image_python}-slim AS build" in (adoption.project / "Dockerfile").read_text()
    assert said in adoption.output


def test_a_python_version_answer_other_than_the_declared_one_is_named(copier_template, tmp_path):
    adoption = adopted_shape(
        copier_template, tmp_path, {".python-version": "3.14\n"}, "--data=python_version=3.13"
    )
    assert adoption.returncode == 0, adoption.output
    assert "Python 3.13 (your python_version answer), but .python-version says 3.14" in adoption.output


def test_a_module_that_assigns_the_settings_module_is_refused_naming_its_line(copier_template, tmp_path):
    wsgi = (EXAMPLES / "split_settings" / "bookshelf" / "wsgi.py").read_text()
    assigned = wsgi.replace(
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshelf.settings.production")',
        'os.environ["DJANGO_SETTINGS_MODULE"] = "bookshelf.settings.production"',
    )
    assert assigned != wsgi
    adoption = adopted_shape(copier_template, tmp_path, {"bookshelf/wsgi.py": assigned})
    assert adoption.returncode != 0
    (last_line,) = adoption.output.strip().splitlines()
    assert "bookshelf/wsgi.py line 7 sets DJANGO_SETTINGS_MODULE whatever the environment says" in last_line
    assert 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshelf.settings.production")' in last_line


def test_requirements_with_windows_line_endings_keep_them_and_gain_one_line(copier_template, tmp_path):
    before = b"Django==5.2.19\r\npsycopg[binary]==3.3.9\r\n"
    adoption = adopted_shape(copier_template, tmp_path, {"requirements.txt": before})
    assert adoption.returncode == 0, adoption.output
    assert (
        adoption.project / "requirements.txt"
    ).read_bytes() == before + f"-r {REQUIREMENTS_FILE}\r\n".encode()


def test_the_nested_requirements_example_gets_the_builds_it_needs_and_keeps_its_settings(
    copier_template, tmp_path
):
    example = EXAMPLE_PROJECTS["nested_requirements"]
    adoption = adopt(user_project(example, tmp_path / example.name), copier_template)
    assert adoption.returncode == 0, adoption.output
    dockerfile = (adoption.project / "Dockerfile").read_text()
    assert "apt-get install --yes --no-install-recommends gcc libc6-dev libpq-dev" in dockerfile
    assert "apt-get install --yes --no-install-recommends libpq5" in dockerfile
    assert 'SHELF_ADMIN_EMAIL="build-time-placeholder"' in dockerfile
    assert 'SHELF_SECRET_KEY="build-time-placeholder"' in dockerfile
    assert answers_of(adoption.project)["variable_aliases"] == {"SHELF_SECRET_KEY": "SECRET_KEY"}
    # Its settings read DATABASE_URL when set, else variables of their own: production sets it,
    # so the build's collectstatic gets a stand-in and takes the same branch.
    assert 'DATABASE_URL="sqlite://:memory:"' in dockerfile
    assert "SHELF_POSTGRES" not in dockerfile
    assert "SHELF_POSTGRES" not in adoption.output
    for said in (
        "psycopg2 may compile from source: the builder installs libpq-dev and the image libpq5",
        (
            "Django uses psycopg[binary], the template's driver, not your psycopg2: it imports that one"
            " first; yours stays installed for code of yours that imports it"
        ),
        "Your settings read SHELF_ADMIN_EMAIL, SHELF_ADMIN_URL at import without a default: set them",
        (
            "bookshelf/settings/production.py line 12 reads SHELF_SECRET_KEY for SECRET_KEY, which the"
            " image takes from SECRET_KEY: set SECRET_KEY in production (twelve_factor.py sets"
            " SHELF_SECRET_KEY from it)"
        ),
        (
            "bookshelf/settings/production.py line 15 reads SHELF_SECURE_SSL_REDIRECT for"
            " SECURE_SSL_REDIRECT, which the image takes from SECURE_SSL_REDIRECT: set"
            " SECURE_SSL_REDIRECT in production\n"
        ),
        "Kept your SESSION_COOKIE_NAME, X_FRAME_OPTIONS",
        "Your STATIC_URL is on another host (a bucket's): the image serves the static files itself",
    ):
        assert said in adoption.output
    # Its gunicorn 23 starts with the image's command: not named.
    assert "gunicorn==23.0.0 wins" not in adoption.output


# psycopg's C implementation, asked for by an extra, as cookiecutter-django's pyproject.toml does:
# psycopg-c has no wheel and compiles against libpq.
@pytest.mark.parametrize(
    "edits",
    [
        {"requirements.txt": "Django==5.2.19\npsycopg[c]==3.3.9\n"},
        {
            "requirements.txt": None,
            "pyproject.toml": '[project]\nname = "shelf"\nversion = "1"\n'
            'dependencies = ["django==5.2.19", "psycopg[pool, c]==3.3.9"]\n',
        },
    ],
    ids=["requirements.txt", "pyproject.toml"],
)
def test_a_driver_extra_that_compiles_from_source_gets_its_headers_and_library(
    copier_template, tmp_path, edits
):
    adoption = adopted_shape(copier_template, tmp_path, edits)
    assert adoption.returncode == 0, adoption.output
    assert "psycopg[c]" in answers_of(adoption.project)["user_requirements"]
    dockerfile = (adoption.project / "Dockerfile").read_text()
    assert "apt-get install --yes --no-install-recommends gcc libc6-dev libpq-dev" in dockerfile
    assert "apt-get install --yes --no-install-recommends libpq5" in dockerfile
    assert "psycopg[c] may compile from source: the builder installs libpq-dev and the image libpq5" in (
        adoption.output
    )


# A project's own ruff configuration, stricter than the template's (cookiecutter-django's selects
# most rules), with an extend-exclude list of its own.
OWN_RUFF = '[tool.ruff]\nextend-exclude = ["*/migrations/*.py"]\n\n[tool.ruff.lint]\nselect = ["ALL"]\n'


def test_a_projects_own_ruff_configuration_is_told_which_template_files_to_leave_alone(
    copier_template, tmp_path
):
    adoption = adopted_shape(copier_template, tmp_path, {"pyproject.toml": OWN_RUFF})
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    added = [path for path in summary_section(adoption.output, "Files added") if path.endswith(".py")]

    def ruff(*command):
        run = [sys.executable, "-m", "ruff", *command, "--force-exclude", *added]
        return subprocess.run(run, cwd=project, capture_output=True, text=True, check=False).returncode

    assert ruff("check") != 0, "the project's rules find fault with the template's files"
    said = re.search(
        r"add these to extend-exclude in pyproject.toml's \[tool.ruff\] .*: (\[.*\])$",
        adoption.output,
        re.MULTILINE,
    )
    assert said, adoption.output
    listed = yaml.safe_load(said.group(1))
    assert all((project / path).is_file() for path in listed)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '"*/migrations/*.py"', ", ".join(f'"{path}"' for path in ["*/migrations/*.py", *listed])
        )
    )
    assert ruff("check") == 0
    assert ruff("format", "--check") == 0


def test_committed_files_in_data_reach_the_image_and_the_summary_says_so(copier_template, tmp_path):
    # sqlite_startproject's image proves it (its committed data/topics.csv, and not its database).
    adoption = adopted_shape(copier_template, tmp_path, {"data/prices.csv": "loaf,2.50\n"})
    assert adoption.returncode == 0, adoption.output
    assert "data/ holds 1 committed file, which the image has (in /app/data)" in adoption.output
    gitignore = (adoption.project / ".gitignore").read_text().splitlines()
    assert "/data/*" not in gitignore, "new files beside the committed ones are not ignored"
    assert {"/data/db.sqlite3*", "/data/media/"} <= set(gitignore)
    dockerignore = (adoption.project / ".dockerignore").read_text().splitlines()
    assert not {"data/*", "/data"} & set(dockerignore)
    assert {"data/db.sqlite3*", "data/media"} <= set(dockerignore)


def test_a_readme_in_another_case_is_kept_and_gets_no_readme_md_beside_it(copier_template, tmp_path):
    edits = {"README.md": None, "readme.md": "# Polls\n"}
    project = user_project(EXAMPLE_PROJECTS["sqlite_startproject"], tmp_path / "mysite", edits)
    adoption = adopt(project, copier_template)
    assert adoption.returncode == 0, adoption.output
    assert [path.name for path in project.glob("*") if path.name.lower() == "readme.md"] == ["readme.md"]
    assert (project / "readme.md").read_text() == "# Polls\n"


# --- a project in a subfolder of a larger git repository (a monorepo) ------------------------------

MONOREPO_FOLDER = "services/web"
# The repository's own files beside the project: a .gitignore whose patterns reach into it.
MONOREPO_FILES = {
    "README.md": "# Our services\n",
    "services/api/main.py": "print('another service')\n",
    ".gitignore": "local_settings.py\n/services/web/secrets/\n/services/api/build/\n*.log\n",
}


def adopted_in_a_monorepo(copier_template, tmp_path, repository=None):
    example, root = EXAMPLE_PROJECTS["split_settings"], tmp_path / "mono"
    files = {**MONOREPO_FILES, **(repository or {})}
    project = user_project(example, root / MONOREPO_FOLDER, repository=(root, files))
    return adopt(project, copier_template)


def yaml_to_add(output: str, step: str) -> tuple[str, object]:
    """Where the summary's step that begins with `step` says to add YAML, and that YAML."""
    found = re.search(rf"^  {re.escape(step)} (.*):\n((?:    .*\n)+)", output, re.MULTILINE)
    assert found, output
    return found.group(1), yaml.safe_load("\n".join(line[4:] for line in found.group(2).splitlines()))


def dependabot_entries(output: str) -> list[dict]:
    """The entries the summary says to add to the root's dependabot.yml."""
    return yaml_to_add(output, "Dependabot: add these entries to")[1]


def test_adoption_in_a_monorepo_subfolder_writes_nothing_where_github_ignores_it_and_names_the_root_lines(
    copier_template, tmp_path
):
    adoption = adopted_in_a_monorepo(copier_template, tmp_path)
    assert adoption.returncode == 0, adoption.output
    project, root = adoption.project, tmp_path / "mono"
    assert answers_of(project)["repository_folder"] == MONOREPO_FOLDER
    for ignored_there in (".github", ".pre-commit-config.yaml"):
        assert not (project / ignored_there).exists(), f"{ignored_there} would be ignored in a subfolder"
        assert not (root / ignored_there).exists(), "nothing is written outside the project"
    assert ".github and .pre-commit-config.yaml were not written here" in adoption.output
    # The template's entries, for this folder; GitHub Actions' workflows are the root's.
    entries = dependabot_entries(adoption.output)
    assert [(entry["package-ecosystem"], entry["directory"]) for entry in entries] == [
        ("pip", f"/{MONOREPO_FOLDER}"),
        ("docker", f"/{MONOREPO_FOLDER}"),
    ]
    assert f"{root / '.github' / 'dependabot.yml'}'s updates (a new file: begin it with" in adoption.output
    # The template update workflow, for the root: it runs this folder's script.
    assert (project / "scripts" / "update-template").is_file()
    where, workflow = yaml_to_add(adoption.output, "Template updates as pull requests: add this workflow as")
    assert where == str(root / ".github" / "workflows" / "update-template-services-web.yml")
    [job] = workflow["jobs"].values()
    assert job["steps"][-1]["run"] == f"{MONOREPO_FOLDER}/scripts/update-template"


def test_adoption_summary_in_a_monorepo_subfolder_names_its_files_from_the_project_and_commits_it_alone(
    copier_template, tmp_path
):
    adoption = adopted_in_a_monorepo(copier_template, tmp_path)
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    added = summary_section(adoption.output, "Files added")
    assert sorted(added) == sorted(git(project, "ls-files", "--others", "--exclude-standard").split())
    assert all((project / path).is_file() for path in added), "paths are the project's, not the root's"
    changed = [line.split(":")[0] for line in summary_section(adoption.output, "Files changed")]
    assert sorted(changed) == [".gitignore", "requirements.txt"]
    assert "Kept as they were" not in adoption.output, "every template file it names was added"
    # Another service's work in progress, uncommitted: the adoption went ahead and does not take it.
    (project.parent / "api" / "main.py").write_text("print('work in progress')\n")
    commit = re.search(r"^  Review and commit this folder: (.*)$", adoption.output, re.MULTILINE)
    assert commit, adoption.output
    subprocess.run(commit.group(1), shell=True, cwd=project, check=True, capture_output=True)
    assert git(project, "status", "--porcelain", "--untracked-files=all", "--", ".") == ""
    assert git(project, "status", "--porcelain").split() == ["M", "services/api/main.py"]
    committed = git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == sorted(f"{MONOREPO_FOLDER}/{path}" for path in added + changed)


def test_adoption_run_from_the_repository_root_with_the_folders_path_finishes_and_commits_the_folder(
    copier_template, tmp_path
):
    example, root = EXAMPLE_PROJECTS["split_settings"], tmp_path / "mono"
    project = user_project(example, root / MONOREPO_FOLDER, repository=(root, MONOREPO_FILES))
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", str(copier_template), MONOREPO_FOLDER, cwd=root
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert (project / "Dockerfile.before-adoption").exists() == (
        EXAMPLES / example.name / "Dockerfile"
    ).exists()
    assert f"-r {REQUIREMENTS_FILE}" in (project / "requirements.txt").read_text(), "the task ran there"
    commit = re.search(r"^  Review and commit this folder: (.*)$", output, re.MULTILINE)
    assert commit, output
    assert commit.group(1).startswith(f"cd {MONOREPO_FOLDER} && ")
    subprocess.run(commit.group(1), shell=True, cwd=root, check=True, capture_output=True)
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_adoption_in_a_monorepo_repeats_no_dependabot_entry_the_root_has(copier_template, tmp_path):
    root_dependabot = (
        f"version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /{MONOREPO_FOLDER}/\n"
        "    schedule:\n      interval: daily\n"
    )
    adoption = adopted_in_a_monorepo(
        copier_template, tmp_path, repository={".github/dependabot.yml": root_dependabot}
    )
    assert adoption.returncode == 0, adoption.output
    assert [entry["package-ecosystem"] for entry in dependabot_entries(adoption.output)] == ["docker"]
    assert "a new file" not in adoption.output
    assert (tmp_path / "mono" / ".github" / "dependabot.yml").read_text() == root_dependabot


def test_what_the_repositorys_gitignore_ignores_in_a_monorepo_subfolder_stays_out_of_the_image(
    copier_template, tmp_path
):
    samples = ["local_settings.py", "bookshelf/local_settings.py", "secrets/key.txt", "build/x", "a.log"]
    ignored_samples = [sample for sample in samples if sample != "build/x"]

    def ignored(project):
        command = ["git", "check-ignore", "--no-index", *samples]
        checked = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        return checked.stdout.split()

    adoption = adopted_in_a_monorepo(copier_template, tmp_path)
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    assert ignored(project) == ignored_samples
    gitignore = (project / ".gitignore").read_text().splitlines()
    assert gitignore[2:6] == ["local_settings.py", "/secrets/", "*.log", ""], "the parents' patterns first"
    assert "/services/api/build/" not in "\n".join(gitignore), "another folder's pattern is not copied"
    # git ignores what it did (the project's own lines still win), and so does Docker now.
    git(project, "stash", "--quiet", "--", ".gitignore")
    before = ignored(project)
    git(project, "stash", "pop", "--quiet")
    assert ignored(project) == before
    dockerignore = (project / ".dockerignore").read_text().splitlines()
    for pattern in ("**/local_settings.py", "secrets", "**/*.log"):
        assert pattern in dockerignore


def test_update_of_a_project_adopted_in_a_monorepo_subfolder_keeps_out_what_github_would_ignore(
    copier_template, tmp_path
):
    adoption = adopted_in_a_monorepo(copier_template, tmp_path)
    assert adoption.returncode == 0, adoption.output
    project = adoption.project
    commit_all(project, "Adopt the twelve-factor template")
    result = copier_update(project, server="uvicorn")
    assert result.returncode == 0, result.stderr
    assert "uvicorn" in (project / REQUIREMENTS_FILE).read_text()
    assert not (project / ".github").exists()
    assert not (project / ".pre-commit-config.yaml").exists()
