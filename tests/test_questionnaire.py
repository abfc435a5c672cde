"""The questionnaire refuses project slugs that would break or shadow something."""

import json
import subprocess

import pytest

from extensions import variants
from tests.support.project import virtualenv_for
from tests.support.render import copier_cli

BAD_SLUGS = {
    "my-app": "not a lowercase Python identifier",
    "MyApp": "not a lowercase Python identifier",
    "1shop": "not a lowercase Python identifier",
    "my app": "not a lowercase Python identifier",
    "shop.web": "not a lowercase Python identifier",
    "": "must not be empty",
    "class": "Python keyword",
    "match": "Python keyword",
    "django": "would shadow",
    "test": "would shadow",
    "site": "would shadow",
    "json": "would shadow",
    "whitenoise": "would shadow",
    "gunicorn": "would shadow",
    "storages": "would shadow",
    "logging": "would shadow",
}


@pytest.mark.parametrize(("slug", "reason"), BAD_SLUGS.items(), ids=repr)
def test_bad_project_slug_is_refused_and_writes_nothing(copier_template, tmp_path, slug, reason):
    destination = tmp_path / "project"
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD",
        "--data", "project_name=Shop", "--data", f"project_slug={slug}",
        str(copier_template), str(destination),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "project_slug" in last_line, result.stderr
    assert reason in last_line, result.stderr
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize(
    ("name", "slug"),
    [("My Shop", "my_shop"), ("  Café 2000 ", "caf_2000"), ("2fast", "project_2fast"), ("web", "web")],
)
def test_project_slug_default_derives_from_the_name(render, name, slug):
    project = render(project_name=name)
    assert (project / slug / "settings.py").exists()


def test_empty_project_name_is_refused(copier_template, tmp_path):
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", "--data", "project_name= ",
        str(copier_template), str(tmp_path / "project"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "project_name must not be empty" in result.stderr


# Run by a variant's virtualenv: the top-level import names its installed distributions provide.
TOP_LEVEL_NAMES = """
import importlib.metadata, json
names = set()
for dist in importlib.metadata.distributions():
    for file in dist.files or ():
        top = file.parts[0]
        if len(file.parts) > 1 or top.endswith(".py") or ".cpython-" in top:
            names.add(top.split(".")[0])
print(json.dumps(sorted(n for n in names if n.isidentifier() and not n.startswith("_"))))
"""


def test_reserved_names_cover_every_installed_package(project):
    """The slug check's list comes from the variant table; this compares it with what pip really
    installs for the variant, dependencies included."""
    venv = virtualenv_for(project / "requirements.txt")
    result = subprocess.run(
        [venv / "bin" / "python", "-c", TOP_LEVEL_NAMES], capture_output=True, text=True, check=True
    )
    installed = set(json.loads(result.stdout))
    assert installed - variants.reserved_names() == set()
