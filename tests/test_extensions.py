"""The template's Python in extensions/: the adoption's lists, read from copier.yml and the
template's tree, are what a real adoption by Copier does; the database a project's engine names is
the row whose engine it is; one module loads the others by path; and no code there picks a
variant by its name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from copier import run_copy

from extensions import adopt, variants
from harness.git import git, new_repository

EXTENSIONS = Path(adopt.__file__).parent
SCRIPTS = EXTENSIONS.parent / "scripts"
TEMPLATE = EXTENSIONS.parent / "template"
PACKAGE = "shop"
NAMES_SETTINGS = f'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{PACKAGE}.settings")\n'
# A Django project as `startproject` leaves it, reduced to what adoption reads.
USER_PROJECT = {
    "manage.py": NAMES_SETTINGS,
    f"{PACKAGE}/__init__.py": "",
    f"{PACKAGE}/settings.py": 'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}\n',
    f"{PACKAGE}/urls.py": "urlpatterns = []\n",
    f"{PACKAGE}/wsgi.py": NAMES_SETTINGS,
    "requirements.txt": "django==5.2.19\n",
}
MINE = "the user's own\n"


def user_project(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    new_repository(folder, "The project before adoption")
    return folder


def adopt_by_copier(template: Path, project: Path, **answers) -> list[str]:
    """`copier copy --trust --defaults --overwrite` into the project; the files it adds."""
    options = {"defaults": True, "overwrite": True, "unsafe": True, "quiet": True, "vcs_ref": "HEAD"}
    run_copy(str(template), project, data=answers, **options)
    return git(project, "ls-files", "--others", "--exclude-standard").split()


@pytest.fixture(scope="module")
def added_to_a_bare_project(copier_template, tmp_path_factory):
    """What adopting a bare project adds, with a worker backend that has a process (whose command
    an adoption may add later, on `copier update --data worker=...`)."""
    worker = next(name for name, row in variants.WORKERS.items() if row.command)
    project = user_project(tmp_path_factory.mktemp("bare"), USER_PROJECT)
    return adopt_by_copier(copier_template, project, worker=worker)


def test_template_modules_are_what_an_adoption_adds_to_the_package(added_to_a_bare_project):
    added = [path.removeprefix(f"{PACKAGE}/") for path in added_to_a_bare_project if path.startswith(PACKAGE)]
    assert sorted(path for path in added if not path.endswith("__init__.py")) == sorted(
        adopt.template_modules()
    )


def test_an_adoption_adds_the_template_update_workflow_and_script_and_not_the_ci_workflow(
    added_to_a_bare_project,
):
    workflows = [path for path in added_to_a_bare_project if path.startswith(".github/workflows/")]
    assert workflows == [str(adopt.UPDATE_WORKFLOW)]
    assert "scripts/update-template" in added_to_a_bare_project


def test_kept_files_are_those_an_adoption_leaves_as_the_user_had_them(
    added_to_a_bare_project, copier_template, tmp_path
):
    # The project has its own of every file an adoption adds outside its package.
    own = [path for path in added_to_a_bare_project if not path.startswith((PACKAGE, ".copier-answers"))]
    project = user_project(tmp_path, {**USER_PROJECT, **dict.fromkeys(own, MINE)})
    adopt_by_copier(copier_template, project)
    kept = [path for path in own if (project / path).read_text().startswith(MINE)]
    assert sorted(kept) == sorted(adopt.kept_if_present())


def test_a_project_with_a_module_the_template_adds_is_refused_naming_each(tmp_path):
    modules = adopt.template_modules()
    user_project(tmp_path, {**USER_PROJECT, **{f"{PACKAGE}/{name}": "" for name in modules}})
    names = ", ".join(f"{PACKAGE}/{name}" for name in modules)
    expected = f"{names} exists, and the template adds its own module of that name; rename yours first"
    assert adopt.adoption_problem(str(tmp_path)) == expected


def test_an_app_package_with_a_template_modules_name_is_refused_naming_it(tmp_path):
    # healthchecks: hc/logs/ and hc/front/ are its apps; Python would import them, not logs.py.
    apps = {f"{PACKAGE}/{app}/__init__.py": "" for app in ("logs", "front")}
    user_project(tmp_path, {**USER_PROJECT, **apps})
    expected = f"{PACKAGE}/front, {PACKAGE}/logs exists, and the template adds its own module of that name"
    assert adopt.adoption_problem(str(tmp_path)).startswith(expected)


@pytest.mark.parametrize(
    ("engine", "answer"),
    [
        *((row.django_engine, row.name) for row in variants.DATABASES.values()),
        *((alias, row.name) for row in variants.DATABASES.values() for alias in row.engine_aliases),
    ],
)
def test_the_database_detected_is_the_row_of_the_engine_the_settings_name(engine, answer, tmp_path):
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "settings.py").write_text(f'DATABASES = {{"default": {{"ENGINE": "{engine}"}}}}\n')
    assert adopt.detected_database(str(tmp_path), f"{PACKAGE}.settings", "no default") == answer


@pytest.mark.parametrize(
    ("driver", "answer"),
    [
        (driver, row.name)
        for row in variants.DATABASES.values()
        if not row.file_database
        for driver in (*row.source_drivers, *row.requirements)
    ],
)
def test_settings_on_database_url_with_a_file_fallback_get_the_database_whose_driver_is_pinned(
    driver, answer, tmp_path
):
    file_row = next(row for row in variants.DATABASES.values() if row.file_database)
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "settings.py").write_text(
        f'import dj_database_url\nDATABASES = {{"default": dj_database_url.config(default="")}}\n'
        f'DATABASES = DATABASES or {{"default": {{"ENGINE": "{file_row.django_engine}"}}}}\n'
    )
    (tmp_path / "requirements.txt").write_text(f"Django==5.2.19\n{driver}\n")
    assert adopt.detected_database(str(tmp_path), f"{PACKAGE}.settings", "no default") == answer
    # testdrivenio/django-on-docker's: the engine from a variable of the settings' own.
    engine = f'os.environ.get("SQL_ENGINE", "{file_row.django_engine}")'
    (tmp_path / PACKAGE / "settings.py").write_text(
        f'import os\nDATABASES = {{"default": {{"ENGINE": {engine}}}}}\n'
    )
    assert adopt.detected_database(str(tmp_path), f"{PACKAGE}.settings", "no default") == answer


@pytest.mark.parametrize("driver", ["psycopg[binary]==3.3.9", "mysqlclient==2.2.7"])
def test_settings_that_name_only_a_file_database_and_read_no_url_keep_it_whatever_driver_is_pinned(
    driver, tmp_path
):
    # wsvincent/djangox's shape: SQLite in its settings, a server driver pinned for later.
    file_row = next(row for row in variants.DATABASES.values() if row.file_database)
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "settings.py").write_text(
        f'DATABASES = {{"default": {{"ENGINE": "{file_row.django_engine}", "NAME": "db.sqlite3"}}}}\n'
        "# DATABASES = {'default': env.db('DATABASE_URL')}\n"
    )
    (tmp_path / "requirements.txt").write_text(f"Django==5.2.19\n{driver}\n")
    assert adopt.detected_database(str(tmp_path), f"{PACKAGE}.settings", "no default") == file_row.name


def test_settings_a_module_elsewhere_in_the_project_sets_by_import_star_are_read_and_production_is_named(
    tmp_path,
):
    # HackSoftware's styleguide project: config/django/base.py takes config/settings/*.py.
    user_project(
        tmp_path,
        {
            **USER_PROJECT,
            "config/__init__.py": "",
            "config/django/__init__.py": "",
            "config/django/base.py": "from config.settings.sessions import *  # noqa\n",
            "config/django/production.py": "from .base import *  # noqa\n",
            "config/settings/__init__.py": "",
            "config/settings/sessions.py": 'import os\nSESSION_COOKIE_NAME = os.environ["SG_COOKIE"]\n',
        },
    )
    module = "config.django.base"
    assert adopt.build_environment(str(tmp_path), module) == {"SG_COOKIE": "build-time-placeholder"}
    checks = adopt.adoption_checks(str(tmp_path), PACKAGE, module, "sqlite", "gunicorn", "3.13", {})
    checks = "\n".join(checks)
    assert "Kept your SESSION_COOKIE_NAME" in checks
    assert "__Secure-sessionid" not in checks
    # Its wsgi.py names base; production.py beside it is named as the other answer.
    assert "(--data settings_module=config.django.production)" in checks
    assert "sets no INSTALLED_APPS" in checks


def test_an_empty_settings_package_is_named_with_the_production_module_in_it(tmp_path):
    # justdjango/django-ecommerce: wsgi.py names djecommerce.settings, an empty __init__.py.
    settings = {f"{PACKAGE}/settings/{name}.py": "" for name in ("__init__", "base", "production")}
    settings[f"{PACKAGE}/settings/base.py"] = 'INSTALLED_APPS = ["shop"]\n'
    startproject = {name: text for name, text in USER_PROJECT.items() if name != f"{PACKAGE}/settings.py"}
    user_project(tmp_path, {**startproject, **settings})
    checks = adopt.adoption_checks(
        str(tmp_path), PACKAGE, f"{PACKAGE}.settings", "sqlite", "gunicorn", "3.13", {}
    )
    assert f"Your {PACKAGE}.settings sets no INSTALLED_APPS, nor does a module it imports" in "\n".join(
        checks
    )
    assert f"(--data settings_module={PACKAGE}.settings.production)" in "\n".join(checks)


def test_a_settings_module_for_development_is_named_as_one(tmp_path):
    # pythondotorg's wsgi.py names pydotorg.settings.local.
    settings = {
        f"{PACKAGE}/settings/__init__.py": "",
        f"{PACKAGE}/settings/local.py": "INSTALLED_APPS = []\n",
    }
    startproject = {name: text for name, text in USER_PROJECT.items() if name != f"{PACKAGE}/settings.py"}
    user_project(tmp_path, {**startproject, **settings})
    module = f"{PACKAGE}.settings.local"
    checks = adopt.adoption_checks(str(tmp_path), PACKAGE, module, "sqlite", "gunicorn", "3.13", {})
    assert f"Your {module} reads like settings for development" in "\n".join(checks)


def test_what_a_project_ran_itself_with_and_the_image_does_not_read_is_named(tmp_path):
    # HackSoftware's styleguide project: its own gunicorn.conf.py, a Procfile, Celery.
    gunicorn = variants.SERVERS["gunicorn"]
    user_project(
        tmp_path,
        {
            **USER_PROJECT,
            "gunicorn.conf.py": "workers = 4\n",
            "Procfile": "web: gunicorn shop.wsgi\nrelease: python manage.py migrate\n",
            "Dockerfile.prod": "FROM python:3.11-slim\n",
            "requirements.txt": "django==5.2.19\ncelery==5.5.3\n",
        },
    )
    checks = adopt.adoption_checks(
        str(tmp_path), PACKAGE, f"{PACKAGE}.settings", "sqlite", "gunicorn", "3.13", {}
    )
    named = [
        line for line in checks if "not read" in line or line.startswith(("celery", "The image is built"))
    ]
    name = gunicorn.label.partition(" (")[0]
    assert [line.split(":")[0] for line in named] == [
        "Your gunicorn.conf.py is not read",
        "The image is built from the template's Dockerfile, not from your Dockerfile.prod",
        "Your Procfile is not read",
        (
            "celery is in your requirements, and the image runs no Celery worker or beat (the worker"
            " answer runs Django's task API)"
        ),
    ]
    assert f"the image runs {name} with {gunicorn.config_file}; move what you need there" in named[0]


def test_python_decouples_config_without_a_default_gets_a_stand_in_its_cast_reads(tmp_path):
    # pythondotorg's settings read python-decouple's config().
    settings = (
        "from decouple import Csv, config\n"
        'SEARCHBOX_SSL_URL = config("SEARCHBOX_SSL_URL")\n'
        'USE_S3 = config("USE_S3", cast=bool)\n'
        'HOSTS = config("HOSTS", cast=Csv())\n'
        'LEVEL = config("LEVEL", default="INFO")\n'
    )
    user_project(tmp_path, {**USER_PROJECT, f"{PACKAGE}/settings.py": settings})
    assert adopt.build_environment(str(tmp_path), f"{PACKAGE}.settings") == {
        "HOSTS": "",
        "SEARCHBOX_SSL_URL": "build-time-placeholder",
        "USE_S3": "false",
    }


def test_a_variable_read_without_a_default_and_used_at_once_gets_a_stand_in_and_the_templates_value(
    tmp_path,
):
    # testdrivenio/django-on-docker: os.environ.get() without a default, split at import.
    settings = (
        "import os\n"
        'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS").split(" ")\n'
        'SENTRY_DSN = os.environ.get("SENTRY_DSN")\n'
    )
    user_project(tmp_path, {**USER_PROJECT, f"{PACKAGE}/settings.py": settings})
    module = f"{PACKAGE}.settings"
    assert adopt.build_environment(str(tmp_path), module) == {
        "DJANGO_ALLOWED_HOSTS": "build-time-placeholder"
    }
    assert adopt.variable_aliases(str(tmp_path), module) == {"DJANGO_ALLOWED_HOSTS": "DOMAIN"}


def test_a_django_pin_in_pyproject_decides_the_release_line_as_in_requirements_txt(tmp_path):
    # djangoproject.com's dependencies are in pyproject.toml only.
    latest = list(variants.DJANGO_VERSIONS.values())[-1]
    pyproject = f'[project]\nname = "site"\nversion = "1"\ndependencies = ["{latest.requirement}"]\n'
    project = {name: text for name, text in USER_PROJECT.items() if name != "requirements.txt"}
    user_project(tmp_path, {**project, "pyproject.toml": pyproject})
    assert adopt.detected_django_version(str(tmp_path)) == latest.name
    assert adopt.pinned_django(str(tmp_path))[0] == f"pyproject.toml's dependencies: {latest.requirement}"


@pytest.mark.parametrize(
    "row", [row for row in variants.DATABASES.values() if not row.file_database], ids=lambda row: row.name
)
def test_settings_naming_every_engine_by_a_variable_get_the_server_one_whose_driver_is_pinned(row, tmp_path):
    # healthchecks: SQLite unless DB names postgres or mysql.
    engines = [candidate.django_engine for candidate in variants.DATABASES.values()]
    branches = "".join(
        f'if os.getenv("DB") == "{number}":\n    DATABASES = {{"default": {{"ENGINE": "{engine}"}}}}\n'
        for number, engine in enumerate(engines)
    )
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "settings.py").write_text(f"import os\n{branches}")
    (tmp_path / "requirements.txt").write_text(f"Django==5.2.19\n{row.requirements[0]}\n")
    assert adopt.detected_database(str(tmp_path), f"{PACKAGE}.settings", "no default") == row.name


def test_an_older_major_release_of_a_template_library_that_the_project_pins_is_named(tmp_path):
    # pythondotorg pins dj-database-url 0.5.0: the template's settings call it with conn_health_checks.
    template = next(line for line in variants.COMMON_REQUIREMENTS if line.startswith("dj-database-url=="))
    user_project(tmp_path, {**USER_PROJECT, "requirements.txt": "django==5.2.19\ndj-database-url==0.5.0\n"})
    checks = adopt.adoption_checks(
        str(tmp_path), PACKAGE, f"{PACKAGE}.settings", "sqlite", "gunicorn", "3.13", {}
    )
    expected = f"requirements.txt line 2: dj-database-url==0.5.0 wins over the template's {template}"
    assert any(line.startswith(expected) for line in checks), checks


def python_files() -> list[Path]:
    scripts = [path for path in SCRIPTS.iterdir() if path.read_bytes().startswith(b"#!/usr/bin/env python")]
    return [*EXTENSIONS.glob("*.py"), *scripts]


def test_only_loading_py_loads_a_module_by_its_path():
    loaders = [path.name for path in python_files() if "spec_from_file_location" in path.read_text()]
    assert loaders == ["loading.py"]


def test_no_code_in_extensions_picks_a_variant_by_its_name():
    names = "|".join(re.escape(name) for name in [*variants.DATABASES, *variants.SERVERS])
    comparison = re.compile(rf"""[=!]=\s*["']({names})["']|["']({names})["']\s*[=!]=""")
    found = [
        f"{path.name}: {line.strip()}"
        for path in EXTENSIONS.glob("*.py")
        if path.name != "variants.py"
        for line in path.read_text().splitlines()
        if comparison.search(line)
    ]
    assert found == []


def test_no_template_picks_a_variant_by_its_name_or_answer():
    comparison = re.compile(
        r"""\b(db|gateway)\.name\s*[=!]=|\b(database|server)\s*[=!]=|[=!]=\s*(database|server)\b"""
    )
    found = [
        f"{path.relative_to(TEMPLATE)}: {line.strip()}"
        for path in sorted(TEMPLATE.rglob("*"))
        if path.is_file()
        for line in path.read_text().splitlines()
        if comparison.search(line)
    ]
    assert found == []


# uWSGI's row: a project may require `uwsgi`, built from source, the row `pyuwsgi`.
NAMED_TWO_WAYS = next(row for row in variants.SERVERS.values() if row.other_distributions)


def test_a_gateway_the_project_installs_by_another_name_is_not_added_again():
    gateway = NAMED_TWO_WAYS
    lines = [*gateway.requirements, "whitenoise==6.9.0"]
    for other in gateway.other_distributions:
        assert adopt.adoption_requirements(lines, [other], (), gateway) == ["whitenoise==6.9.0"]
    assert adopt.adoption_requirements(lines, ["requests"], (), gateway) == lines


def test_a_gateway_the_project_compiles_from_source_gets_its_build_packages():
    gateway = NAMED_TWO_WAYS
    assert gateway.source_build_packages
    (other, *_) = gateway.other_distributions
    compiled = adopt.source_driver_packages([other, "requests"], gateway)
    assert (compiled["drivers"], compiled["build"]) == ([other], list(gateway.source_build_packages))
    assert adopt.source_driver_packages(["requests"], gateway)["build"] == []
    assert adopt.source_driver_packages([other], None)["build"] == []


@pytest.mark.parametrize(
    ("requirements", "server"),
    [
        ("uwsgi==2.0.30\n", "uwsgi"),
        ("pyuwsgi\nDjango\n", "uwsgi"),
        ("uvicorn[standard]>=0.30\n", "uvicorn"),
        # gunicorn with uvicorn's worker class: two gateways named, so the default.
        ("gunicorn\nuvicorn\n", variants.DEFAULT_SERVER),
        ("Django\n", variants.DEFAULT_SERVER),
    ],
)
def test_an_adopted_projects_server_is_the_gateway_its_requirements_name(tmp_path, requirements, server):
    (tmp_path / "requirements.txt").write_text(requirements)
    assert adopt.detected_server(str(tmp_path), variants.DEFAULT_SERVER) == server


@pytest.mark.parametrize(
    ("requirements", "django_version"),
    [
        ("Django==5.2.19\n", "5.2"),
        ("django==6.0.4\n", "6.1"),
        # A range: pip installs the newest release it allows.
        ("Django>=6.0,<6.1\n", "6.1"),
        ("Django>=5.2\n", "6.1"),
        ("django<6\n", "5.2"),
        ("Django~=5.2.0\n", "5.2"),
        ("django==6.1.*\n", "6.1"),
        # No version, or a range that allows no release the template knows: the default.
        ("Django\n", variants.DEFAULT_DJANGO_VERSION),
        ("Django>=4.2,<5\n", variants.DEFAULT_DJANGO_VERSION),
    ],
)
def test_an_adopted_projects_django_version_is_the_row_of_the_release_its_requirement_installs(
    tmp_path, requirements, django_version
):
    (tmp_path / "requirements.txt").write_text(requirements)
    assert adopt.detected_django_version(str(tmp_path)) == django_version
