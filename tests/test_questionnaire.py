"""The questionnaire never crashes: it derives a valid project slug from any name, renders any
name safely, and refuses (with the reason, asking again when interactive) slugs and names that
would break or shadow something."""

import ast
import json
import keyword
import subprocess
import sys

import pytest
import yaml
from markdown_it import MarkdownIt

from extensions import variants
from extensions.answers import NAME_MAX_LENGTH, SLUG_MAX_LENGTH, project_slug_from_name, project_slug_problem
from harness.project import development_virtualenv
from harness.render import copier_cli
from harness.terminal import Questionnaire

NAME_PROMPT = "Project name, as people read it"
SLUG_PROMPT = "Python package of the Django project"
CHOICE_PROMPTS = (
    "Database", "Application gateway server", "Background tasks", "Django release", "Python version",
)  # fmt: skip

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
    "pytest": "that the project's tests run with",
    "pytest_django": "that the project's tests run with",
    "conftest": "that the project's tests run with",
    "pre_commit": "that the project's tests run with",
    "pluggy": "that the project's tests run with",
    "__main__": "a meaning of its own",
    "__init__": "a meaning of its own",
    "a" * (SLUG_MAX_LENGTH + 1): f"use at most {SLUG_MAX_LENGTH}",
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
    (last_line,) = result.stderr.strip().splitlines()
    assert "project_slug" in last_line, result.stderr
    assert reason in last_line, result.stderr
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize(
    ("name", "slug"),
    [("My Shop", "my_shop"), ("  Café 2000 ", "cafe_2000"), ("2fast", "project_2fast"), ("web", "web")],
)
def test_project_slug_default_derives_from_the_name(render, name, slug):
    project = render(project_name=name)
    assert (project / slug / "settings.py").exists()


# Names whose plain derivation ("test", "", "class"...) is no valid slug, with what it becomes.
AWKWARD_NAMES = {
    "Test": "test_project",
    "Site": "site_project",
    "Django": "django_project",
    "class": "class_project",
    "日本語": "project",
    "_": "project",
    'My """ Shop': "my_shop",
    "C:\\New\\N": "c_new_n",
    "Ünïcödé Shop": "unicode_shop",
}


@pytest.mark.parametrize(("name", "slug"), AWKWARD_NAMES.items(), ids=repr)
def test_interactive_questionnaire_derives_a_valid_slug(copier_template, tmp_path, name, slug):
    """A person types the name, presses Enter on every other question: the project is rendered."""
    questionnaire = Questionnaire(copier_template, tmp_path / "project")
    questionnaire.type(NAME_PROMPT, name)
    questionnaire.accept(SLUG_PROMPT)
    for prompt in CHOICE_PROMPTS:
        questionnaire.accept(prompt)
    assert questionnaire.finish() == 0, questionnaire.screen
    assert "Traceback" not in questionnaire.screen
    settings = (tmp_path / "project" / slug / "settings.py").read_text()
    compile(settings, "settings.py", "exec")


def test_interactive_questionnaire_shows_the_problem_and_asks_again(copier_template, tmp_path):
    questionnaire = Questionnaire(copier_template, tmp_path / "project")
    questionnaire.type(NAME_PROMPT, "x" * 300)
    questionnaire.wait_for(f"is 300 characters long; use at most {NAME_MAX_LENGTH}")
    questionnaire.retype("Test")
    questionnaire.type(SLUG_PROMPT, "test")
    questionnaire.wait_for("'test' would shadow the 'test' module")
    questionnaire.retype("my-shop")
    questionnaire.wait_for("'my-shop' is not a lowercase Python identifier")
    questionnaire.retype("shop")
    for prompt in CHOICE_PROMPTS:
        questionnaire.accept(prompt)
    assert questionnaire.finish() == 0, questionnaire.screen
    assert "Traceback" not in questionnaire.screen
    assert (tmp_path / "project" / "shop" / "settings.py").exists()


def names_that_derive_badly():
    """Every name a slug must not take, as people might capitalise it, and odd text."""
    reserved = {*variants.reserved_names(), *sys.stdlib_module_names, *keyword.kwlist, *keyword.softkwlist}
    odd = ["", " ", "_", "__", "-", "日本語", "١٢٣", "2", "_2fast", "x" * 300, "9" * 300, "a_" * 200]
    return sorted({spelling for name in reserved for spelling in (name, name.title(), f" {name} ")} | {*odd})


def test_derived_slug_is_always_valid():
    names = names_that_derive_badly()
    assert len(names) > 500
    invalid = {name: slug for name in names if project_slug_problem(slug := project_slug_from_name(name))}
    assert invalid == {}


# Names that are text in a Python string, YAML and Markdown alike.
NAMES_WITH_SYNTAX = [
    'My """ Shop',
    "C:\\New\\N{EM DASH}",
    'Shop "quoted"',
    "Trailing backslash \\",
    "<b>*Shop*</b> # & [link](http://x) `code` ~~x~~ | a |",
    "key: value # not a comment",
    "- not a list",
    "'single' and \"double\"",
    "word " * 20,
    '"' * NAME_MAX_LENGTH,
]


def heading_text(readme: str) -> str:
    tokens = MarkdownIt("commonmark").parse(readme)
    assert tokens[0].type == "heading_open"
    return "".join(child.content for child in tokens[1].children if child.type in ("text", "softbreak"))


@pytest.mark.parametrize("name", NAMES_WITH_SYNTAX, ids=repr)
def test_project_name_is_text_wherever_rendered(render, name):
    project = render(project_name=name)
    slug = project_slug_from_name(name)
    docstring = ast.get_docstring(ast.parse((project / slug / "settings.py").read_text()))
    assert " ".join(docstring.split("\n\n")[0].split()) == " ".join(f"Settings for {name.strip()}.".split())
    assert heading_text((project / "README.md").read_text()) == name.strip()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["project_name"] == name
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=project, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (" ", "must not be empty"),
        ("x" * 300, f"is 300 characters long; use at most {NAME_MAX_LENGTH}"),
        ("two\nlines", "must be one line of printable text"),
        ("tab\there", "must be one line of printable text"),
    ],
    ids=["blank", "too long", "newline", "tab"],
)
def test_bad_project_name_is_refused_and_writes_nothing(copier_template, tmp_path, name, reason):
    destination = tmp_path / "project"
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", "--data", f"project_name={name}",
        str(copier_template), str(destination), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    (last_line,) = result.stderr.strip().splitlines()
    assert last_line.endswith(f"question 'project_name': {reason}"), result.stderr
    assert not destination.exists() or not any(destination.iterdir())


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
    installs for the variant and its test tools (requirements-dev.txt), dependencies included
    (harness.project.development_virtualenv)."""
    venv = development_virtualenv(project)
    result = subprocess.run(
        [venv / "bin" / "python", "-c", TOP_LEVEL_NAMES], capture_output=True, text=True, check=True
    )
    installed = set(json.loads(result.stdout))
    assert installed - variants.reserved_names() == set()
