"""The build contexts the benchmark compares: rendered projects, the guide-style reference, the
projects with the database-backed page or the task app added, and the same images serving
hello-world or a bare Django instead."""

from __future__ import annotations

import shutil
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


def render(destination: Path, database: str, server: str, worker: str = variants.DEFAULT_WORKER) -> Path:
    """The template as it is in this checkout, uncommitted changes included (the report says so)."""
    answers = {"database": database, "server": server, "worker": worker}
    return render_project(REPO, destination, project_name="Bench Shop", **answers)


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


def swap_app(client, image: str, app: str, name: str) -> str:
    """`image` serving bench/<app>/ (hello, bare_page) instead of the project."""
    with tempfile.TemporaryDirectory(prefix="bench-swap-") as context:
        for module in (REPO / "bench" / app).glob("*.py"):
            shutil.copy(module, context)
        (Path(context) / "Dockerfile").write_text(SWAP_DOCKERFILE)
        return build(client, Path(context), name, {"IMAGE": image})


# Appended to the settings.py of the bench's copy of a project: an app of the benchmark's.
APP_SETTINGS = "\nINSTALLED_APPS += [{app!r}]  # the benchmark's\n"
# And to its urls.py, for the page's app: its URL.
PAGE_URLS = """
from bench_page.views import page  # noqa: E402

urlpatterns += [path("page/", page)]
"""


def page(project: Path, destination: Path) -> Path:
    """A copy of `project` serving bench/page/'s database-backed page at /page/."""
    shutil.copytree(project, destination)
    add_app(destination, REPO / "bench" / "page" / "bench_page")
    with (destination / SLUG / "urls.py").open("a") as urls:
        urls.write(PAGE_URLS)
    return destination


def tasks(destination: Path, database: str, worker: str) -> Path:
    """The project for `database` and the `worker` backend with bench/tasks/'s task app added,
    rendered with the gateway the tests pair them with: the tests build the same requirements,
    so a build after theirs reuses their virtualenv's layer."""
    render(destination, database, variants.paired_server(database, worker), worker)
    add_app(destination, REPO / "bench" / "tasks" / "bench_tasks")
    return destination


def add_app(project: Path, app: Path) -> None:
    """The Django app at `app` copied into `project` and listed in its INSTALLED_APPS."""
    shutil.copytree(app, project / app.name)
    with (project / SLUG / "settings.py").open("a") as settings:
        settings.write(APP_SETTINGS.format(app=app.name))


def touch_code(project: Path) -> None:
    """A code-only change: a new comment at the end of the project's urls.py."""
    with (project / SLUG / "urls.py").open("a") as urls:
        urls.write(f"# benchmark rebuild {uuid.uuid4().hex}\n")
