"""The build contexts the benchmark compares: rendered projects, the guide-style reference, the
ServeStatic variant, Granian's, the projects with the database-backed page added, and the same images
serving hello-world or a bare Django instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from extensions import variants
from harness import REPO
from harness.images import TEST_IMAGES, build_image
from harness.render import render_project

SLUG = "bench_shop"
# Named per checkout, like the test images: two checkouts may run the benchmark at once.
BENCH_IMAGES = TEST_IMAGES.replace("-test-", "-bench-")

# The guide's Dockerfile: one stage, the code copied before the requirements are installed,
# compilers left in, root. Its python:3 base image ships the compilers and pip; on the slim base the
# first two RUN lines stand in for them, so, as in the guide, they come before any COPY.
REFERENCE_DOCKERFILE = """\
FROM {base}
RUN apt-get update && apt-get install -y {build_packages}
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
WORKDIR /app
COPY . /app
RUN pip install -r requirements.txt
RUN DJANGO_COLLECTSTATIC_ONLY=true python manage.py collectstatic --noinput
{cmd}
"""

# The same image with other WSGI and ASGI applications in the project's wsgi.py and asgi.py: the
# image's CMD and the gateway's config run unchanged.
SWAP_DOCKERFILE = f"""\
ARG IMAGE
FROM ${{IMAGE}}
COPY *.py /app/{SLUG}/
"""


def render(destination: Path, database: str, server: str) -> Path:
    """The template as it is in this checkout, uncommitted changes included (the report says so)."""
    return render_project(REPO, destination, project_name="Bench Shop", database=database, server=server)


def build(client, context: Path, name: str, buildargs: dict[str, str] | None = None) -> str:
    return build_image(client, context, f"{BENCH_IMAGES}/{name}:latest", buildargs)


def reference(project: Path, destination: Path, database: str) -> Path:
    """A copy of `project` with the guide-style Dockerfile, and the template's base image and CMD."""
    shutil.copytree(project, destination)
    dockerfile = destination / "Dockerfile"
    lines = dockerfile.read_text().splitlines()
    base = next(line.split()[1] for line in lines if line.startswith("FROM "))
    cmd = next(line for line in lines if line.startswith("CMD "))
    build_packages = " ".join(variants.DATABASES[database].build_packages)
    dockerfile.write_text(REFERENCE_DOCKERFILE.format(base=base, build_packages=build_packages, cmd=cmd))
    return destination


# Appended to the asgi.py of the bench's ServeStatic copy: ServeStatic's ASGI app, configured as
# front.py configures WhiteNoise, serves the static files before front.py sees them.
SERVESTATIC_ASGI = """
from django.conf import settings  # noqa: E402
from servestatic import ServeStaticASGI  # noqa: E402

application = ServeStaticASGI(
    application,
    root=settings.STATIC_ROOT,
    prefix=settings.STATIC_URL,
    max_age=60,
    immutable_file_test=front.HASHED_NAME,
    add_headers_function=front.security_headers,
)
"""


def servestatic(project: Path, destination: Path, version: str) -> Path:
    """A copy of the uvicorn `project` whose static files ServeStatic's ASGI app serves."""
    shutil.copytree(project, destination)
    with (destination / "requirements.in").open("a") as requirements:
        requirements.write(f"servestatic=={version}\n")
    with (destination / SLUG / "asgi.py").open("a") as asgi:
        asgi.write(SERVESTATIC_ASGI)
    relock(destination)
    return destination


def swap_app(client, image: str, app: str, name: str) -> str:
    """`image` serving bench/<app>/ (hello, bare_django, bare_page) instead of the project."""
    with tempfile.TemporaryDirectory(prefix="bench-swap-") as context:
        for module in (REPO / "bench" / app).glob("*.py"):
            shutil.copy(module, context)
        (Path(context) / "Dockerfile").write_text(SWAP_DOCKERFILE)
        return build(client, Path(context), name, {"IMAGE": image})


# Appended to the settings.py of the bench's copy: the page's app, and its connection policy.
PAGE_SETTINGS = """
# The benchmark's database-backed page (bench/page/), and how it connects.
from bench_page.connections import connections  # noqa: E402

INSTALLED_APPS += ["bench_page"]
DATABASES["default"] = connections(DATABASES["default"])
# The probe of what the middleware costs: the project with only the one that sets Content-Length.
if env.boolean("BENCH_COMMON_MIDDLEWARE_ONLY", default=False):
    MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
"""
PAGE_URLS = """
from bench_page.views import page  # noqa: E402

urlpatterns += [path("page/", page)]
"""


def page(project: Path, destination: Path) -> Path:
    """A copy of `project` serving bench/page/'s database-backed page at /page/."""
    shutil.copytree(project, destination)
    shutil.copytree(REPO / "bench" / "page" / "bench_page", destination / "bench_page")
    with (destination / SLUG / "settings.py").open("a") as settings:
        settings.write(PAGE_SETTINGS)
    with (destination / SLUG / "urls.py").open("a") as urls:
        urls.write(PAGE_URLS)
    return destination


# Granian's command as the template's gateways run theirs: the environment checked first, under
# drain.py, two workers from WEB_CONCURRENCY.
GRANIAN_COMMAND = (
    'python -m {slug}.environment && exec granian --interface {interface} --host "$LISTEN_ADDRESS"'
    ' --port "$PORT" --workers "$WEB_CONCURRENCY" {slug}.{interface}:application'
)


# A bench image made from another: more pinned packages in its virtualenv (pip resolves what
# they need), and another command, run under the project's drain.py as the template's are.
DERIVED_DOCKERFILE = """\
ARG IMAGE
FROM ${{IMAGE}}
{install}CMD {cmd}
"""
INSTALL = """\
USER root
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check {packages}
USER 1000:1000
"""


def derive(client, image: str, name: str, command: str, packages: dict[str, str] | None = None) -> str:
    """`image` with `packages` (name: version) installed, running the shell line `command`."""
    pins = " ".join(f"{package}=={version}" for package, version in (packages or {}).items())
    cmd = json.dumps(["python", "-m", f"{SLUG}.drain", "sh", "-c", command])
    dockerfile = DERIVED_DOCKERFILE.format(install=INSTALL.format(packages=pins) if pins else "", cmd=cmd)
    with tempfile.TemporaryDirectory(prefix="bench-derive-") as context:
        (Path(context) / "Dockerfile").write_text(dockerfile)
        return build(client, Path(context), name, {"IMAGE": image})


# Django's docs' other way to run uvicorn: gunicorn's master with uvicorn's worker class. Like the
# template's gunicorn, it imports the app once in the master (--preload) and forks the workers.
GUNICORN_UVICORN_WORKER_COMMAND = (
    "python -m {slug}.environment && exec gunicorn --preload --no-control-socket"
    ' --worker-class=uvicorn_worker.UvicornWorker --bind="$LISTEN_ADDRESS:$PORT"'
    " --forwarded-allow-ips='*' {slug}.asgi:application"
)


def relock(project: Path) -> None:
    """The project's scripts/lock after an edit of its requirements.in, as its README says (uv
    from this virtualenv; needs PyPI): the image installs only what the lock has."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["scripts/lock"], cwd=project, env=env, check=True, capture_output=True)


def touch_code(project: Path) -> None:
    """A code-only change: a new comment at the end of the project's urls.py."""
    with (project / SLUG / "urls.py").open("a") as urls:
        urls.write(f"# benchmark rebuild {uuid.uuid4().hex}\n")
