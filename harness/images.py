"""Building a project's image, running it on the host network bound to 127.0.0.1, and talking
to it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import docker.errors
import requests
import yaml

from extensions import variants
from harness import CACHE, REPO, locks
from harness.project import UV
from harness.services import free_port

# Test images are named per checkout: test runs of two checkouts may build at the same time.
TEST_IMAGES = f"django-template-test-{hashlib.sha256(bytes(REPO)).hexdigest()[:8]}"
# The label scripts/build-offline-base-image puts on the stand-in base image it builds.
STAND_IN_LABEL = "base-image-recipe"


def find_base_image(client, python_version: str = variants.DEFAULT_PYTHON_VERSION) -> str:
    """The image the generated Dockerfile builds FROM, python:X-slim: the official one where it is
    present or a registry serves it; otherwise a stand-in of the same name, built from the Debian
    suite that packages that Python by scripts/build-offline-base-image (labelled
    base-image-recipe), once for every process, while the others go on with their tests."""
    name = f"python:{python_version}-slim"
    try:
        if not is_stand_in(client, name):
            return name
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(name)
        return name
    except docker.errors.APIError:
        pass
    script = REPO / "scripts" / "build-offline-base-image"
    with locks.exclusive(f"base-image-{python_version}"):
        built = subprocess.run([script, name], capture_output=True, text=True, timeout=900, check=False)
    if built.returncode:
        raise BuildFailed(f"{script.name} {name} failed:\n{built.stderr[-3000:]}")
    return name


def is_stand_in(client, name: str) -> bool:
    return STAND_IN_LABEL in (client.images.get(name).labels or {})


class BuildFailed(Exception):
    pass


def build_once(client, context: Path) -> str:
    """The image of the folder `context`, tagged by a digest of its files and of the base images
    its Dockerfile names (python:X-slim, for the project's Python): built by the first process
    that asks, reused by every other (pytest-xdist's workers render the same projects, and may
    render different ones in folders of the same name)."""
    versions = re.findall(r"^FROM python:(\S+)-slim\b", (context / "Dockerfile").read_text(), re.MULTILINE)
    digest = hashlib.sha256()
    for version in dict.fromkeys(versions):
        digest.update(client.images.get(find_base_image(client, version)).id.encode())
    for path in sorted(context.rglob("*")):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(context).as_posix()
            digest.update(f"{relative}\0{path.stat().st_mode & 0o111}\0".encode())
            digest.update(path.read_bytes())
    # A repository name may not end in a separator where the 40 characters cut it.
    tag = f"{TEST_IMAGES}/{context.name.lower()[:40].rstrip('-_.')}:{digest.hexdigest()[:16]}"
    with locks.exclusive(tag.replace("/", "-").replace(":", "-")):
        try:
            client.images.get(tag)
        except docker.errors.ImageNotFound:
            build_image(client, context, tag)
    return tag


def build_image(client, context: Path, tag: str, buildargs: dict[str, str] | None = None) -> str:
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


@contextlib.contextmanager
def built_with_args(client, context: Path, buildargs: dict[str, str]):
    """The image of `context` built with `buildargs` (as `docker build --build-arg` passes them),
    under a tag of its own, removed afterwards. Built after build_once's image of the same files,
    it reuses every layer above the Dockerfile's first use of an argument: a few seconds."""
    tag = f"{TEST_IMAGES}/build-args:{uuid.uuid4().hex[:12]}"
    build_image(client, context, tag, buildargs)
    try:
        yield tag
    finally:
        client.images.remove(tag)


# Views for the tests only, added to a copy of a project (with_test_views): one that takes 2 s, one
# that answers the client's address and the scheme as Django sees them (logging a line), one that
# logs a line of LONG_LINE_CHARACTERS (/long-line/: longer than a gateway's default log message), a
# task that
# sleeps, with views that enqueue it (/nap/?seconds=N) and read its result (/nap/ID/), one that fails
# (/boom/); a task that adds a row to a table of its own each time it runs, with views that enqueue
# it for tasks numbered first..first+count-1 (/tally/?first=N&count=M, adding a row for each
# enqueued; each run logs "tally N ran") and count the rows per event and task number
# (/tally/counts/).
# Past uWSGI's master's default message size (8 KiB), which it used to cut lines at.
LONG_LINE_CHARACTERS = 20000
TEST_VIEWS = """

def slow(request):
    import time

    from django.http import HttpResponse

    time.sleep(2)
    return HttpResponse("finished")


def client(request):
    import logging

    from django.http import HttpResponse

    logging.getLogger("test_views").info("answering the client")
    return HttpResponse(f"{request.META['REMOTE_ADDR']} {request.scheme}")


def long_line(request):
    import logging

    from django.http import HttpResponse

    logging.getLogger("test_views").warning("a long line: %s", "x" * LONG_LINE_CHARACTERS)
    return HttpResponse("logged")


from {tasks_module} import task  # noqa: E402


@task()
def nap(seconds):
    import time

    time.sleep(seconds)
    return seconds


def as_json(result):
    from django.http import JsonResponse

    value = result.return_value if result.status == "SUCCESSFUL" else None
    return JsonResponse({"id": str(result.id), "status": result.status, "return_value": value})


def enqueue_nap(request):
    return as_json(nap.enqueue(float(request.GET["seconds"])))


def boom(request):
    raise RuntimeError("a view that fails")


def nap_result(request, result_id):
    return as_json(nap.get_result(result_id))


def tally_sql(statement, parameters=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else None


@task()
def tally(number):
    import logging

    tally_sql("INSERT INTO test_tally (task, event) VALUES (%s, 'ran')", [number])
    logging.getLogger("test_views").info("tally %s ran", number)


def enqueue_tallies(request):
    from django.http import JsonResponse

    first, count = int(request.GET["first"]), int(request.GET["count"])
    tally_sql("CREATE TABLE IF NOT EXISTS test_tally (task integer NOT NULL, event varchar(8) NOT NULL)")
    for number in range(first, first + count):
        tally_sql("INSERT INTO test_tally (task, event) VALUES (%s, 'enqueued')", [number])
        tally.enqueue(number)
    return JsonResponse({"enqueued": count})


def tallies(request):
    from django.http import JsonResponse

    rows = tally_sql("SELECT event, task, COUNT(*) FROM test_tally GROUP BY event, task")
    counted = {"enqueued": {}, "ran": {}}
    for event, number, times in rows:
        counted[event][number] = times
    return JsonResponse(counted)


urlpatterns += [
    path("slow/", slow),
    path("client/", client),
    path("long-line/", long_line),
    path("nap/", enqueue_nap),
    path("nap/<str:result_id>/", nap_result),
    path("tally/", enqueue_tallies),
    path("tally/counts/", tallies),
    path("boom/", boom),
]
"""


# A periodic task for the tests only, added to the project's tasks.py (with_test_views): scheduled
# every TEST_TICK_SECONDS where that is set, each run records when its tick was enqueued in a
# table every project has (the sessions'), under a key starting "tick-". It uses the imports of the
# example task's module, and timezone.
TEST_TASKS = """

import os  # noqa: E402
import uuid  # noqa: E402

from django.utils import timezone  # noqa: E402


@task(takes_context=True)
def record_tick(context):
    Session.objects.create(
        session_key=f"tick-{uuid.uuid4().hex}",
        session_data=context.task_result.enqueued_at.isoformat(),
        expire_date=timezone.now() + timedelta(days=1),
    )


if os.environ.get("TEST_TICK_SECONDS"):
    every(timedelta(seconds=float(os.environ["TEST_TICK_SECONDS"])))(record_tick)
"""


def with_test_views(project: Path, destination: Path) -> Path:
    """A copy of `project` at `destination` whose URLs add TEST_VIEWS' /slow/ and /client/, and
    whose tasks add TEST_TASKS (one image per gateway, whichever test builds it first)."""
    copy = shutil.copytree(project, destination / f"test-views-{project.name}")
    (urls,) = copy.glob("*/urls.py")
    answers = yaml.safe_load((copy / ".copier-answers.yml").read_text())
    django = variants.DJANGO_VERSIONS[answers.get("django_version", variants.DEFAULT_DJANGO_VERSION)]
    views = TEST_VIEWS.replace("{tasks_module}", django.tasks_module)
    views = views.replace("LONG_LINE_CHARACTERS", str(LONG_LINE_CHARACTERS))
    urls.write_text(urls.read_text() + views)
    (tasks,) = copy.glob("*/tasks.py")
    tasks.write_text(tasks.read_text() + TEST_TASKS)
    return copy


class ContainerExited(AssertionError):
    pass


def run_once(
    client, image: str, command: list[str], env: dict[str, str], volumes=None, timeout=120, **run_options
):
    """docker run --rm: (exit code, output) of a one-off command such as `manage.py migrate`;
    `run_options` go to the Docker SDK's containers.run (e.g. read_only=True)."""
    container = client.containers.run(
        image,
        command,
        environment=env,
        network_mode="host",
        volumes=volumes or {},
        detach=True,
        **run_options,
    )
    try:
        status = container.wait(timeout=timeout)["StatusCode"]
        return status, container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)


# The virtualenv the generated Dockerfile installs the lock into.
IMAGE_PYTHON = "/venv/bin/python"
# uv from this run (harness.project.UV), mounted into a container with a cache of its own: it
# installs several times faster than pip (a minute or two less); with the image's certificates, as
# pip has them.
UV_IN_A_CONTAINER = "uv pip install --quiet --system-certs --python"


def project_tests_pass_in_container(
    client, image: str, project: Path, env: dict[str, str], python: str | None = None
) -> str:
    """The project's own tests (mounted read-only) pass in a container of `image`, every
    deprecation warning an error (a Django newer than this machine's Python takes runs them so),
    with the project's lock (hashes checked) and requirements-dev.txt installed by uv: into
    `python`'s virtualenv, the project image's IMAGE_PYTHON (which holds the lock already, a
    driver compiled in the image's builder among it), or else into a new virtualenv of the image's
    python3 (a base image). Their output."""
    steps = [] if python else ["uv venv --quiet --python python3 /tmp/venv"]
    python = python or "/tmp/venv/bin/python"
    steps += [
        f"{UV_IN_A_CONTAINER} {python} --require-hashes -r requirements.txt",
        f"{UV_IN_A_CONTAINER} {python} -r requirements-dev.txt",
        f"{python} -m pytest -p no:cacheprovider -W error::DeprecationWarning",
    ]
    status, output = run_once(
        client,
        image,
        ["sh", "-c", " && ".join(steps)],
        {**env, "UV_CACHE_DIR": "/uv-cache", "PYTHONDONTWRITEBYTECODE": "1"},
        volumes={
            str(project): {"bind": "/project", "mode": "ro"},
            str(UV): {"bind": "/usr/local/bin/uv", "mode": "ro"},
            str(CACHE / "uv-in-containers"): {"bind": "/uv-cache", "mode": "rw"},
        },
        timeout=600,
        working_dir="/project",
        # The project image's own user may not write to its virtualenv.
        user="0",
    )
    assert status == 0, output[-5000:]
    assert re.search(r"^=+ \d+ passed(, \d+ warnings?)? in ", output, re.MULTILINE), output[-3000:]
    return output


class App:
    """The image's own CMD (its gateway server), started detached on a free loopback port;
    `run_options` go to the Docker SDK's containers.run (e.g. read_only=True)."""

    def __init__(self, client, image: str, env: dict[str, str], volumes=None, **run_options):
        self.client = client
        self.image = image
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "LISTEN_ADDRESS": "127.0.0.1"}
        self.volumes = volumes or {}
        self.run_options = run_options
        self.container = None

    def start(self, wait=True) -> App:
        self.container = self.client.containers.run(
            self.image,
            environment=self.env,
            network_mode="host",
            volumes=self.volumes,
            name=f"django-template-test-{uuid.uuid4().hex[:8]}",
            detach=True,
            **self.run_options,
        )
        if wait:
            self.wait_until_serving()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def logs_once(self, holds, timeout=10.0) -> str:
        """The output once `holds(output)`: the project writes its lines in batches, a moment
        after they are logged (logs.py's BATCH_SECONDS)."""
        deadline = time.monotonic() + timeout
        while not holds(output := self.logs()):
            assert time.monotonic() < deadline, f"not in the output within {timeout}s:\n{output[-3000:]}"
            time.sleep(0.05)
        return output

    def status(self) -> str:
        self.container.reload()
        return self.container.status

    def wait_until_serving(self, timeout=60.0) -> float:
        """Seconds until /healthz first answers 200; fails early if the container exits."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.status() == "exited":
                raise ContainerExited(f"the container exited before serving:\n{self.logs()[-3000:]}")
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return time.monotonic() - started
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still loading the application
            time.sleep(0.05)
        raise AssertionError(f"/healthz did not answer within {timeout}s:\n{self.logs()[-3000:]}")

    def wait_for_exit(self, timeout=60) -> int:
        return self.container.wait(timeout=timeout)["StatusCode"]

    def exec(self, *command: str) -> str:
        exit_code, output = self.container.exec_run(list(command))
        assert exit_code == 0, output
        return output.decode()

    def remove(self):
        if self.container is not None:
            self.container.remove(force=True)
            self.container = None


@contextlib.contextmanager
def running(app: App):
    """`app` started and serving, removed afterwards."""
    try:
        yield app.start()
    finally:
        app.remove()


class ProxiedClient(requests.Session):
    """A browser behind the platform's TLS-terminating proxy: every request says it came over
    https, so Django sets (and expects back) Secure cookies, which requests itself would only
    send over https."""

    def __init__(self, app: App):
        super().__init__()
        self.app = app
        self.headers["X-Forwarded-Proto"] = "https"

    def request(self, method, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
        headers = {**kwargs.pop("headers", {}), **({"Cookie": cookies} if cookies else {})}
        return super().request(method, self.app.url(path), headers=headers, **kwargs)

    def log_in(self, login_page: requests.Response, username: str, password: str) -> requests.Response:
        """Post the admin login form of `login_page`, as a browser does; the answer."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        return self.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": f"https://127.0.0.1:{self.app.port}/admin/login/"},
        )


# The first database x server cell whose Compose stack needs no image from a registry, which the
# machine the tests run on may not reach: a file database, and a worker backend without a service.
OFFLINE_COMPOSE = next(
    (database, server)
    for database, db in variants.DATABASES.items()
    for server in variants.SERVERS
    if not db.compose and not variants.WORKERS[variants.paired_worker(database, server)].compose
)


@contextlib.contextmanager
def compose_stack(client, image: str, compose: list[str], folder: Path, services=("web",)):
    """compose(*args) runs `docker-compose *args` in `folder` (a project of its own), whose
    `services` are the already built `image` (tagged by the names Compose v1 and v2 give their
    own build, so it builds nothing); the stack is taken down and the tags removed afterwards."""
    name = f"workflow{uuid.uuid4().hex[:8]}"
    tags = [f"{name}{separator}{service}" for service in services for separator in "_-"]
    for tag in tags:
        client.images.get(image).tag(tag, "latest")
    env = {**os.environ, "COMPOSE_PROJECT_NAME": name}

    def run(*args: str, timeout=600) -> subprocess.CompletedProcess:
        options = {"cwd": folder, "env": env, "capture_output": True, "text": True}
        return subprocess.run([*compose, *args], check=False, timeout=timeout, **options)

    try:
        yield run
    finally:
        run("down", "--volumes")
        for tag in tags:
            client.images.remove(f"{tag}:latest")


def compose_run(client, image: str, compose: list[str], folder: Path, args: list[str], timeout=600):
    """`docker-compose run` with `args` in `folder`, its web service the already built `image`."""
    with compose_stack(client, image, compose, folder) as run:
        return run("run", *args, timeout=timeout)
