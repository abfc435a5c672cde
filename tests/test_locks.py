"""The locks the template ships (extensions/locks/, written by scripts/lock-variants): current with
the variant table, installable with --require-hashes on every Python version offered, exactly
what the image installs (on each Django release line's cells: harness.cells), and a build that
stops when the lock lacks something. Re-locking in a project (its scripts/lock, with PyPI) is
proved here and, after updates, in test_update.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from extensions import variants
from extensions.context import LOCKS
from extensions.messages import lock_problem
from harness import images
from harness.cells import django_cells
from harness.environments import production_env
from harness.images import run_once
from harness.project import relock

# A lock's package line: name==version, then an environment marker if it applies only somewhere.
PACKAGE_LINE = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+?)(?: ; (.+?))? \\$", re.MULTILINE)
# Where the image's virtualenv runs: Debian's CPython on x86-64.
IMAGE_MARKERS = {"sys_platform": "linux", "platform_system": "Linux", "implementation_name": "cpython"}
# Pure-Python packages that PyPI has only as source (crontab, which RQ's scheduler requires): pip
# builds them in the image, whatever its Python.
SOURCE_ONLY = {"crontab"}
# What only a developer or a test run needs; none of it may be in the image.
TEST_ONLY = ("pytest", "pytest-django", "pre-commit", "uv", "ruff")


def lock_of(database: str, server: str, django_version: str = variants.DEFAULT_DJANGO_VERSION) -> Path:
    """The lock of the variant the tests render for a database and server (with their paired
    worker) on a Django release line."""
    worker = variants.paired_worker(database, server)
    return LOCKS / variants.lock_name(database, server, worker, django_version)


def locked(lock_text: str) -> dict[str, tuple[str, str | None]]:
    """name -> (version, marker) of every package in a lock."""
    return {name: (version, marker) for name, version, marker in PACKAGE_LINE.findall(lock_text)}


def for_the_image(lock_text: str, python_version: str) -> dict[str, str]:
    """name -> version of what pip installs from a lock in the image for `python_version`."""
    environment = {
        **IMAGE_MARKERS,
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
    }
    return {
        name: version
        for name, (version, marker) in locked(lock_text).items()
        if not marker or Marker(marker).evaluate(environment)
    }


# --- the committed locks ----------------------------------------------------------------------------


def test_every_variant_has_a_lock_and_no_lock_is_left_over():
    expected = {variants.lock_name(*variant) for variant in variants.all_variants()}
    assert {path.name for path in LOCKS.iterdir()} == expected


@pytest.mark.parametrize("variant", variants.all_variants(), ids="-".join)
def test_every_lock_pins_what_the_table_pins_and_hashes_every_package(variant):
    text = (LOCKS / variants.lock_name(*variant)).read_text()
    packages = locked(text)
    for pin in variants.requirements(*variant):
        name, version = re.sub(r"\[.*\]", "", pin).split("==")
        assert packages.get(canonicalize_name(name), (None,))[0] == version, f"{pin} is not in the lock"
    blocks = re.split(r"\n(?=[a-z])", text.split("\n", 2)[2])
    assert len(blocks) == len(packages)
    assert all("--hash=sha256:" in block for block in blocks), "every package has its hashes"


# The cells of the tests that prove the locks of each Django release line too.
DJANGO_CELLS = django_cells("database", "server", "django_version")


@pytest.mark.parametrize(("database", "server", "django_version"), DJANGO_CELLS)
def test_rendered_project_ships_its_variants_lock_and_it_covers_requirements_in(
    project, database, server, django_version
):
    # The project's pair agrees, by the check the after-update message runs.
    assert (project / "requirements.txt").read_text() == lock_of(database, server, django_version).read_text()
    assert lock_problem(str(project)) == ""


@pytest.mark.parametrize(("database", "server", "django_version"), DJANGO_CELLS)
@pytest.mark.parametrize(
    "other_python", [v for v in variants.PYTHON_VERSIONS if v != variants.DEFAULT_PYTHON_VERSION]
)
def test_lock_installs_with_required_hashes_on_other_pythons(
    tmp_path, database, server, django_version, other_python
):
    """The default Python installs for real in every image (the next test), the others in one
    image each (test_project_workflow.py). For every variant on the other versions, uv installs
    the lock with --require-hashes into a folder, choosing the wheels of that CPython on Linux
    x86-64 and evaluating the lock's markers for it: every package resolves to a distribution
    whose hash the lock has, and nothing the lock lacks is needed. A driver compiled from its sdist
    (mysqlclient) is left out: uv would build it with this machine's Python, so its build on
    these versions is not proved here. A pure-Python package PyPI has only as source is built."""
    text = lock_of(database, server, django_version).read_text()
    row = variants.DATABASES[database]
    compiled = {pin.split("==")[0] for pin in row.requirements} if row.build_packages else set()
    for name in compiled:
        text = re.sub(rf"(?ms)^{re.escape(name)}==.*?(?=^[a-z])", "", text)
    (tmp_path / "requirements.txt").write_text(text)
    result = subprocess.run(
        [
            sys.executable, "-m", "uv", "pip", "install", "--quiet", "--require-hashes",
            "--only-binary", ":all:", *(option for name in SOURCE_ONLY for option in ("--no-binary", name)),
            "--target", tmp_path / "target", "--python-version", other_python,
            "--python-platform", "x86_64-manylinux_2_28", "-r", tmp_path / "requirements.txt",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    installed = {
        canonicalize_name(path.name.split("-")[0]): path.name.split("-")[1].removesuffix(".dist")
        for path in (tmp_path / "target").glob("*.dist-info")
    }
    expected = {name: v for name, v in for_the_image(text, other_python).items() if name not in compiled}
    assert installed == expected


@pytest.mark.parametrize(("database", "server", "django_version"), DJANGO_CELLS)
def test_image_installs_exactly_the_lock_and_no_test_package(
    project, build, docker_client, database, server, django_version
):
    image = build(project)
    status, output = run_once(
        docker_client, image, ["pip", "list", "--format=freeze", "--exclude=pip"], production_env()
    )
    assert status == 0, output
    # The output is the container's log: pip's own notices on stderr come with it.
    installed = dict(line.lower().split("==") for line in output.splitlines() if "==" in line)
    installed = {canonicalize_name(name): version for name, version in installed.items()}
    lock = lock_of(database, server, django_version).read_text()
    assert installed == for_the_image(lock, variants.DEFAULT_PYTHON_VERSION)
    assert not set(TEST_ONLY) & set(installed)


# --- what the build does with a lock that lacks something -----------------------------------------


@pytest.fixture
def sqlite_project(render, tmp_path):
    """A private copy of the SQLite project (no driver to compile: its builds are the quickest)."""
    return shutil.copytree(render(database="sqlite", server="gunicorn"), tmp_path / "project")


def build_fails(docker_client, project: Path) -> str:
    tag = f"{images.TEST_IMAGES}/lock-{project.parent.name.lower()}:latest"
    with pytest.raises(images.BuildFailed) as failure:
        images.build_image(docker_client, project, tag)
    return str(failure.value)


@pytest.mark.usefixtures("base_image")
def test_build_stops_naming_a_dependency_missing_from_the_lock(sqlite_project, docker_client):
    """The issue's case: the lock lacks a package that a locked one needs (sqlparse, Django's),
    and pip's hash-checking mode refuses to install anything, naming it."""
    lock = sqlite_project / "requirements.txt"
    text = lock.read_text()
    lock.write_text(re.sub(r"(?ms)^sqlparse==.*?(?=^[a-z])", "", text))
    log = build_fails(docker_client, sqlite_project)
    assert "In --require-hashes mode, all requirements must have their versions pinned with ==" in log, log
    assert "sqlparse" in log


@pytest.mark.usefixtures("base_image")
def test_build_stops_naming_a_requirement_added_without_relocking(sqlite_project, docker_client):
    with (sqlite_project / "requirements.in").open("a") as requirements:
        requirements.write("humanize==4.17.0\n")
    assert "humanize==4.17.0" in lock_problem(str(sqlite_project))
    log = build_fails(docker_client, sqlite_project)
    assert "No matching distribution found for humanize==4.17.0" in log, log


# --- re-locking in a project ------------------------------------------------------------------------


def test_relock_keeps_the_template_lock_then_adds_a_dependency_and_the_image_has_it(
    sqlite_project, build, docker_client
):
    shipped = (sqlite_project / "requirements.txt").read_text()
    relock(sqlite_project)
    assert (sqlite_project / "requirements.txt").read_text() == shipped, "a fresh project's lock is current"

    with (sqlite_project / "requirements.in").open("a") as requirements:
        requirements.write("humanize==4.17.0\n")
    relock(sqlite_project)
    assert lock_problem(str(sqlite_project)) == ""
    relocked = locked((sqlite_project / "requirements.txt").read_text())
    assert relocked.pop("humanize")[0] == "4.17.0"
    assert relocked == locked(shipped), "adding one package moves no other pin"
    image = build(sqlite_project)
    status, output = run_once(
        docker_client, image, ["python", "-c", "import humanize; print(humanize.naturalsize(2**20))"], {}
    )
    assert (status, output.strip()) == (0, "1.0 MB")
