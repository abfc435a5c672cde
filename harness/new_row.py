"""A copy of the template with one more row in its variant table, as someone adding a variant
writes it: the row appended to extensions/variants.py and the new variant's lock made by
scripts/lock-variants (needs PyPI), nothing else edited; and the checks that the variant's image
serves. tests/test_adding_a_variant.py adds a gateway and a database this way."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from harness import REPO
from harness.git import new_repository
from harness.images import App, ProxiedClient, run_once

TEMPLATE_PATHS = ("copier.yml", "template", "extensions")


def template_with_row(destination: Path, row: str, variant: str) -> Path:
    """A committed copy of the template in `destination`, with `row` (Python source) appended to
    its extensions/variants.py and the lock of `variant` ("DATABASE-SERVER-WORKER") that uses it."""
    for name in TEMPLATE_PATHS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, destination / name)
    with (destination / "extensions" / "variants.py").open("a") as table:
        table.write(row)
    subprocess.run(
        [sys.executable, REPO / "scripts" / "lock-variants", "--template", destination, variant],
        check=True,
        capture_output=True,
    )
    new_repository(destination, f"A new variant: {variant}")
    return destination


def load_variants(template: Path):
    """The variant table of a copy of the template, as its own module."""
    path = template / "extensions" / "variants.py"
    name = f"variants_of_{template.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    # Registered first: its dataclasses look their module up while they are made.
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ruff_problems(project: Path) -> str:
    """What `ruff check` and `ruff format --check` say about a rendered project ("" if clean)."""
    problems = []
    for check in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *check], cwd=project, capture_output=True, text=True, check=False
        )
        if result.returncode:
            problems.append(result.stdout + result.stderr)
    return "\n".join(problems)


@contextmanager
def migrated_app(client, image: str, env: dict[str, str], volumes=None):
    """`manage.py migrate` in a one-off container, then the image's own command, serving."""
    status, output = run_once(client, image, ["python", "manage.py", "migrate", "--noinput"], env, volumes)
    assert status == 0, output
    app = App(client, image, env, volumes)
    try:
        yield app.start()
    finally:
        app.remove()


def assert_serves_admin(app: App) -> None:
    """/readyz answers 200 (the database answers, migrations applied), and the admin login page
    with its hashed stylesheet."""
    client = ProxiedClient(app)
    assert client.get("/readyz").status_code == 200
    login_page = client.get("/admin/login/")
    assert login_page.status_code == 200
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
    assert stylesheet, "the page links the hashed stylesheet"
    assert client.get(stylesheet.group(1)).status_code == 200
