"""The questionnaire refuses project slugs that would break or shadow something."""

import subprocess
import sys

import pytest

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


def copier_cli(*args, cwd):
    copier = [sys.executable, "-m", "copier"]
    return subprocess.run([*copier, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("slug, reason", BAD_SLUGS.items(), ids=lambda v: repr(v))
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
    assert "project_slug" in last_line and reason in last_line, result.stderr
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize(
    "name, slug",
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
