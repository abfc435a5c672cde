"""Adopting an existing Django project: what copier.yml detects, checks and reports (a Jinja
extension loaded by copier-template-extensions).

`copier copy --trust <template> .` in a Django project (a manage.py and no .copier-answers.yml)
adopts it instead of generating a new one. Its files stay the user's: the template adds its own
modules beside them and a settings module, <package>/twelve_factor.py, that imports the user's
production settings and applies the environment contract over them. What must be known about the
project is detected here and becomes an answer (the `adopted`, `settings_module` and
`user_requirements` questions), so that `copier update`, which renders into empty folders, renders
the same files again. What the adoption then changes in the user's files is the task's,
adoption_task.py; the lists of files below are read from copier.yml and the template's tree.
"""

from __future__ import annotations

import ast
import difflib
import functools
import json
import re
import runpy
import shlex
import subprocess
from pathlib import Path

import jinja2
import yaml
from jinja2.ext import Extension
from packaging.requirements import InvalidRequirement, Requirement  # Copier's own dependency
from packaging.version import Version
from pathspec import GitIgnoreSpec  # Copier's own dependency

load = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]
variants = load("variants")
task = load("adoption_task")
facts = load("project_facts")
requirement_name = facts.requirement_name
DOCKER_FILES = task.DOCKER_FILES
REQUIREMENTS_FILE = task.REQUIREMENTS_FILE
SQLITE_DATA = task.SQLITE_DATA
DATA_KEEP = ".gitkeep"

COPIER_YML = Path(__file__).resolve().parent.parent / "copier.yml"
# The answers copier.yml's file patterns see while a project whose package is PACKAGE is adopted.
PACKAGE = "adopted_package"
# The answers the template's file names are rendered with to list what an adoption may add: a
# worker backend with a process, as a later `copier update --data worker=...` may choose one.
ADOPTING = {
    "adopted": True,
    "adopting": True,
    "project_slug": PACKAGE,
    "user_docker_files": [],
    "repository_folder": "",
    "tasks": next(row for row in variants.WORKERS.values() if row.worker_template),
}
# The folder of a project in a subfolder of its git repository, as copier.yml's patterns see it.
SUBFOLDER = "services/web"


def _adopting(pattern: str, **answers) -> str:
    return jinja2.Environment(autoescape=False).from_string(pattern).render(ADOPTING | answers).strip()


@functools.cache
def root_only_files() -> tuple[str, ...]:
    """What the template writes that its tools read only at the git repository's root (GitHub's
    .github/, pre-commit's config): copier.yml's _exclude leaves them out of a project adopted in
    a subfolder of its repository, where they would be ignored, and the summary says what to do
    at the root instead."""
    patterns = yaml.safe_load(COPIER_YML.read_text())["_exclude"]
    at_root = {_adopting(pattern) for pattern in patterns}
    return tuple(
        name.lstrip("/")
        for pattern in patterns
        if (name := _adopting(pattern, repository_folder=SUBFOLDER)) and name not in at_root
    )


@functools.cache
def kept_if_present() -> tuple[str, ...]:
    """The files an adopted project keeps its own of where it has them, the template's added where
    it has none: copier.yml's _skip_if_exists while adopting."""
    patterns = yaml.safe_load(COPIER_YML.read_text())["_skip_if_exists"]
    return tuple(name for pattern in patterns if (name := _adopting(pattern)))


def repository_folder(dst: str) -> str:
    """The project's folder relative to the root of the git repository it is in: "" at the root
    (and outside any repository)."""
    return _git(dst, "rev-parse", "--show-prefix").strip().rstrip("/")


@functools.cache
def template_modules() -> tuple[str, ...]:
    """The modules an adoption adds to the project package, relative to it; a project with its own
    of one cannot be adopted. Whatever the template renders there that copier.yml's _exclude does
    not leave to the project (its __init__, settings, urls, wsgi and asgi), packages' __init__.py
    aside (the project may have a management/commands package of its own)."""
    config = yaml.safe_load(COPIER_YML.read_text())
    root = COPIER_YML.parent / config.get("_subdirectory", "")
    suffix = config.get("_templates_suffix", ".jinja")
    excluded = GitIgnoreSpec.from_lines(
        line for pattern in config["_exclude"] for line in _adopting(pattern).splitlines()
    )
    package = next(path for path in root.iterdir() if path.is_dir() and _adopting(path.name) == PACKAGE)
    modules = []
    for path in sorted(package.rglob("*")):
        parts = [_adopting(part) for part in path.relative_to(root).parts]
        if not path.is_file() or not all(parts):
            continue
        relative = "/".join(parts).removesuffix(suffix)
        if Path(relative).name != "__init__.py" and not excluded.match_file(relative):
            modules.append(relative.removeprefix(f"{PACKAGE}/"))
    return tuple(modules)


SETTINGS_MODULE = re.compile(r"""["']DJANGO_SETTINGS_MODULE["'](?:\s*,|\s*\]\s*=)\s*["']([\w.]+)["']""")
# The user's Dockerfile's ENV DJANGO_SETTINGS_MODULE=... (or ENV DJANGO_SETTINGS_MODULE ...).
DOCKERFILE_SETTINGS_MODULE = re.compile(
    r"^\s*ENV\b.*?\bDJANGO_SETTINGS_MODULE[= ]\s*[\"']?([\w.]+)", re.MULTILINE
)
# The backend module of each row's engine and its aliases (django.db.backends.<module>) -> the
# database answer.
ENGINES = {
    engine.rpartition(".")[2]: row.name
    for row in variants.DATABASES.values()
    for engine in (row.django_engine, *row.engine_aliases)
}
# GeoDjango's engines are not among them: the template's DATABASE_URL schemes have no GIS driver.
ENGINE = re.compile(r"django\.db\.backends\.(\w+)")
SQLITE_NAME = re.compile(r"""["']([\w./-]+\.sqlite3)["']""")
# A line that sets the settings module whatever the environment says, which the image's
# DJANGO_SETTINGS_MODULE (<package>.twelve_factor) must win over.
SETTINGS_MODULE_ASSIGNED = re.compile(r"""os\.environ\[\s*["']DJANGO_SETTINGS_MODULE["']\s*\]\s*=(?!=)""")


def django_project_to_adopt(dst: str) -> bool:
    """Whether `dst` holds a Django project that no Copier template manages yet."""
    return (Path(dst) / "manage.py").is_file() and not (Path(dst) / ".copier-answers.yml").exists()


def _own_module(package: Path, name: str) -> str:
    """The project's own file at the template's module `name`, or its package of that name
    (healthchecks' hc/logs/, an app), which Python would import instead of the template's logs.py;
    "" when it has neither."""
    if (package / name).exists():
        return name
    stem = name.removesuffix(".py")
    return stem if stem != name and (package / stem).is_dir() else ""


def adoption_problem(dst: str) -> str:
    """Why the project in `dst` cannot be adopted as it is, or "" when it can (or is no project to
    adopt): its files must all be committed, so that `git diff` shows what adoption changed."""
    if not django_project_to_adopt(dst):
        return ""
    # The project's folder only: in a subfolder of a larger repository, others' work elsewhere
    # stays theirs (the summary's commit command takes this folder alone).
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "."], cwd=dst, capture_output=True, text=True, check=False
    )
    if status.returncode != 0:
        return "the project is not a git repository; run git init, git add --all, git commit first"
    if status.stdout.strip():
        return "the project has uncommitted changes; commit them first (git add --all, git commit)"
    package = Path(dst) / detected_package(dst)
    taken = [
        own for name in template_modules() if detected_package(dst) and (own := _own_module(package, name))
    ]
    if taken:
        names = ", ".join(f"{package.name}/{name}" for name in taken)
        return f"{names} exists, and the template adds its own module of that name; rename yours first"
    for path in (Path(dst) / "manage.py", package / "wsgi.py", package / "asgi.py"):
        if line := _settings_module_assignment(path):
            number, text = line
            module = _settings_module_in(path) or "..."
            return (
                f"{path.relative_to(dst)} line {number} sets DJANGO_SETTINGS_MODULE whatever the environment"
                f" says, so the image's settings would not be used; change {text.strip()!r} to"
                f' os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")'
            )
    return facts.project_requirements(dst).problem


def _settings_module_assignment(path: Path) -> tuple[int, str] | None:
    """(line number, line) where `path` assigns os.environ["DJANGO_SETTINGS_MODULE"], if it does."""
    if path.is_file():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if SETTINGS_MODULE_ASSIGNED.search(line) and not line.lstrip().startswith("#"):
                return number, line
    return None


def _settings_module_in(path: Path) -> str | None:
    if not path.is_file():
        return None
    found = SETTINGS_MODULE.search(path.read_text(errors="replace"))
    return found.group(1) if found else None


def detected_package(dst: str) -> str:
    """The project package, from the settings module manage.py names ("" when none)."""
    module = _settings_module_in(Path(dst) / "manage.py") or ""
    return module.split(".")[0]


def detected_settings_module(dst: str) -> str:
    """The settings module production uses: the one the project's Dockerfile sets, else the one
    wsgi.py (or asgi.py) names, else manage.py's."""
    package = Path(dst) / detected_package(dst)
    dockerfile = Path(dst) / "Dockerfile"
    if dockerfile.is_file():
        found = DOCKERFILE_SETTINGS_MODULE.search(dockerfile.read_text(errors="replace"))
        if found and Path(dst, *found.group(1).split(".")).with_suffix(".py").is_file():
            return found.group(1)
    for path in (package / "wsgi.py", package / "asgi.py", Path(dst) / "manage.py"):
        if module := _settings_module_in(path):
            return module
    return ""


def settings_files(dst: str, settings_module: str) -> list[Path]:
    """The settings module's file, for a split settings package its sibling modules, and the
    project's modules they import (HackSoftware's styleguide project's `config/django/base.py`
    takes `config/settings/sessions.py` with `import *`)."""
    path = Path(dst, *settings_module.split("."))
    if path.is_dir():
        files = sorted(path.glob("*.py"))
    else:
        file = path.with_suffix(".py")
        siblings = sorted(file.parent.glob("*.py")) if (file.parent / "__init__.py").is_file() else []
        files = [file, *(other for other in siblings if other != file and file.parent.name == "settings")]
    return [*files, *(other for other in imported_settings_files(dst, settings_module) if other not in files)]


# What settings that take their database from the environment call or name (outside comments): a
# URL, or the engine from a variable of their own (testdrivenio/django-on-docker's
# `"ENGINE": os.environ.get("SQL_ENGINE", "django.db.backends.sqlite3")`).
DATABASE_FROM_THE_ENVIRONMENT = re.compile(
    r"""DATABASE_URL|dj_database_url|\.db(?:_url)?\(|["']ENGINE["']\s*:\s*(?:os\.environ\.get|os\.getenv|env)\b"""
)


def detected_database(dst: str, settings_module: str, default: str) -> str:
    """The database answer for the engine the production settings use (`default` when unknown).
    Settings that name a server database besides a file one use it (healthchecks' choose by a
    variable of their own): the one whose driver the requirements pin, else the first named.
    Settings that take their database from the environment name an engine only in their local
    fallback, a file database as a rule: when the project's requirements pin a driver of a server
    database, that one. Settings that name only a file database and take nothing from the
    environment (djangox's) use it, whatever else is pinned."""
    named, from_the_environment = [], False
    for path in settings_files(dst, settings_module):
        if path.is_file():
            code = "\n".join(line.split("#")[0] for line in path.read_text(errors="replace").splitlines())
            from_the_environment = from_the_environment or bool(DATABASE_FROM_THE_ENVIRONMENT.search(code))
            named += [ENGINES[engine] for engine in ENGINE.findall(code) if engine in ENGINES]
    pinned = set(facts.project_requirements(dst).names)
    servers = [name for name in dict.fromkeys(named) if not variants.DATABASES[name].file_database]
    if servers:
        return next((name for name in servers if _drivers(variants.DATABASES[name]) & pinned), servers[0])
    if named and not from_the_environment:
        return named[0]
    for row in variants.DATABASES.values():
        if not row.file_database and _drivers(row) & pinned:
            return row.name
    return named[0] if named else default


def _drivers(row: variants.Database) -> set[str]:
    """The names a requirement of the database's driver goes by: the template's and the source ones."""
    return {requirement_name(line) for line in row.requirements} | set(row.source_drivers)


def gateway_package_names(gateway: variants.Server) -> tuple[str, ...]:
    """The names a gateway's package is required by: the row's own, then its other distributions."""
    return (requirement_name(gateway.requirements[0]), *gateway.other_distributions)


def detected_server(dst: str, default: str) -> str:
    """The server answer of the gateway whose package the project's requirements name, by any of
    its names (`default` when they name none, or more than one: gunicorn with uvicorn's workers)."""
    pinned = set(facts.project_requirements(dst).names)
    named = [name for name, row in variants.SERVERS.items() if set(gateway_package_names(row)) & pinned]
    return named[0] if len(named) == 1 else default


def sqlite_file(dst: str, settings_module: str) -> str:
    """The project's existing SQLite database file, relative to `dst` ("" when there is none)."""
    for path in settings_files(dst, settings_module):
        if path.is_file():
            for name in SQLITE_NAME.findall(path.read_text(errors="replace")):
                if (Path(dst) / name).is_file():
                    return name
    return ""


def adopted_sqlite_file(dst: str, settings_module: str, database: str) -> str:
    """sqlite_file() for a project whose database is a file, else ""."""
    row = variants.DATABASES.get(database)
    return sqlite_file(dst, settings_module) if row and row.file_database else ""


def known_django_releases() -> list[Version]:
    """The Django releases the template knows, oldest first: each row's pin and adopts_from."""
    known = {Version(row.requirement.partition("==")[2]) for row in variants.DJANGO_VERSIONS.values()}
    known |= {Version(row.adopts_from) for row in variants.DJANGO_VERSIONS.values() if row.adopts_from != "0"}
    return sorted(known)


def pinned_django(dst: str) -> tuple[str, Version | None]:
    """Where the project's requirements pin Django ("requirements.txt line 1: django==5.1.15"),
    and the version it installs: the one pinned; for a range (Django>=6.0,<6.1), the newest
    release the template knows that the range allows, as pip installs the newest. ("", None)
    without a requirement; (where, None) for one with no version, or a range that allows none."""
    where = facts.project_requirements(dst).lines.get("django", "")
    try:
        specifier = Requirement(where.partition(": ")[2]).specifier
    except InvalidRequirement:
        return where, None
    exact = [item.version for item in specifier if item.operator == "==" and "*" not in item.version]
    if exact:
        return where, Version(exact[0])
    allowed = [release for release in known_django_releases() if specifier and release in specifier]
    return where, allowed[-1] if allowed else None


def oldest_django() -> Version:
    """The oldest Django an adopted project may pin: the oldest row's adopts_from."""
    return min(Version(row.adopts_from) for row in variants.DJANGO_VERSIONS.values())


def django_rows_for(version: Version) -> list[str]:
    """The django_version answers that fit a project pinning Django `version`: the last row whose
    adopts_from the pin reaches (the task API comes from where that Django has it)."""
    rows = [name for name, row in variants.DJANGO_VERSIONS.items() if version >= Version(row.adopts_from)]
    return rows[-1:]


def detected_django_version(dst: str) -> str:
    """The django_version default of an adopted project: its Django pin decides."""
    version = pinned_django(dst)[1]
    fits = django_rows_for(version) if version else []
    return fits[0] if fits else variants.DEFAULT_DJANGO_VERSION


def django_version_problem(dst: str, django_version: str) -> str:
    """Why an adopted project cannot answer `django_version` ("" when it can): its own Django pin
    decides which release line's task API and pins fit it."""
    where, version = pinned_django(dst)
    fits = django_rows_for(version) if version else []
    if version and not fits:
        return f"{where} is older than Django {oldest_django()}, which the template's settings need: raise it"
    if django_version not in variants.DJANGO_VERSIONS or not fits or django_version in fits:
        return ""
    return f"django_version={django_version} does not fit {where}: your pin decides; answer {fits[0]}"


def server_problem(dst: str, server: str, slug: str) -> str:
    """Why an adopted project cannot have the gateway `server` ("" when it can): the module of the
    gateway's interface it serves (asgi.py under uvicorn) is missing."""
    row = variants.SERVERS.get(server)
    package = Path(dst) / slug if slug else None
    # Not the project (no manage.py): an update's render of the old version, in a folder of its own.
    if row is None or package is None or not (Path(dst) / "manage.py").exists():
        return ""
    if (package / f"{row.interface}.py").exists():
        return ""
    name = row.label.partition(" (")[0]
    return (
        f"server={server}: {name} serves {slug}/{row.interface}.py's application, and it is missing: add it"
    )


def worker_problem(dst: str, worker: str) -> str:
    """Why an adopted project cannot have the worker backend `worker` ("" when it can): its
    requirements pin a Django older than the backend's packages install with."""
    row = variants.WORKERS.get(worker)
    where, version = pinned_django(dst)
    # A pin older than every django_version allows is refused by that question, naming the release.
    if row is None or version is None or version >= Version(row.django_floor) or version < oldest_django():
        return ""
    fits = [name for name, other in variants.WORKERS.items() if version >= Version(other.django_floor)]
    instead = f", or answer worker={' or '.join(fits)}" if fits else ""
    return f"worker={worker} needs Django {row.django_floor} or later, but {where}: raise that pin{instead}"


def settings_module_problem(module: str, slug: str) -> str:
    """Why `module` cannot be the adopted project's production settings module, or "" when it can."""
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", module or ""):
        return f"{module!r} is not a dotted module path such as {slug}.settings"
    if module.split(".", maxsplit=1)[0] != slug:
        return f"{module!r} is not in the project package {slug!r}"
    if module.rsplit(".", maxsplit=1)[-1] == "twelve_factor":
        return f"{module!r} is the template's own settings module; name yours"
    return ""


def user_requirement_names(dst: str) -> list[str]:
    """The names the project's requirements require (requirements.txt and the files it includes,
    or pyproject.toml's dependencies), which the template must not pin again."""
    return sorted(facts.project_requirements(dst).names)


def user_constraint_names(dst: str) -> list[str]:
    """The names the project's constraints files (-c) pin but its requirements do not require:
    the template requires them unpinned, so that the constraint decides the version."""
    found = facts.project_requirements(dst)
    return sorted(found.constrained - found.names)


def requirements_files(dst: str) -> list[str]:
    """Every file of the project's requirements, which the image's builder stage copies."""
    return facts.project_requirements(dst).files


def requirements_hashed(dst: str) -> bool:
    """Whether the project's requirements pin hashes (pip then checks every line's)."""
    return facts.project_requirements(dst).hashed


def requirements_include_files(dst: str) -> list[str]:
    """The files the adoption adds `-r requirements-twelve-factor.txt` to: requirements.txt,
    unless it pins hashes (the image installs the template's file after it then), and the
    requirements.in it is compiled from, so that compiling it again keeps the template's."""
    found = facts.project_requirements(dst)
    if found.files[:1] != [facts.REQUIREMENTS]:
        return []
    return [name for name in (found.source, "" if found.hashed else facts.REQUIREMENTS) if name]


def adoption_requirements(
    template_requirements: list[str],
    user_names: list[str],
    constrained: list[str] = (),
    gateway: variants.Server | None = None,
) -> list[str]:
    """The template's requirement lines an adopted project still lacks: its own pins win, and a
    package it pins is never pinned again (nor downgraded); one its constraints pin is required
    without a version. Nor is the `gateway`'s package when the project names it by another name."""
    user = set(user_names)
    if gateway and user & set(gateway.other_distributions):
        user |= {requirement_name(line) for line in gateway.requirements}
    lines = []
    for line in template_requirements:
        name = requirement_name(line)
        if name in user:
            continue
        lines.append(re.split(r"[=<>!~;]", line, maxsplit=1)[0] if name in set(constrained) else line)
    return lines


def builder_copies(files: list[str]) -> list[str]:
    """The Dockerfile's COPY arguments that put the project's requirements files, and the
    template's, at their paths under the builder's working directory: one COPY per folder."""
    folders: dict[str, list[str]] = {"": [REQUIREMENTS_FILE]}
    for name in files:
        folder = name.rpartition("/")[0]
        folders.setdefault(folder, [])
        if name not in folders[folder]:
            folders[folder].insert(len(folders[folder]) - (folder == ""), name)
    return [" ".join([*names, f"./{folder}/" if folder else "./"]) for folder, names in folders.items()]


def source_driver_packages(user_names: list[str], gateway: variants.Server | None = None) -> dict:
    """What the project's own packages that may compile from source need: the database drivers it
    pins (every row's source_drivers) and the `gateway`'s other distributions it requires, and the
    Debian packages of the builder stage and of the image."""
    rows = [row for row in variants.DATABASES.values() if set(row.source_drivers) & set(user_names)]
    drivers = [name for row in rows for name in row.source_drivers if name in user_names]
    build = [package for row in rows for package in row.source_build_packages]
    if gateway:
        gateway_sources = [name for name in gateway.other_distributions if name in user_names]
        drivers += gateway_sources
        build += gateway.source_build_packages if gateway_sources else ()
    return {
        "drivers": drivers,
        "wheel_drivers": [row.wheel_driver for row in rows if row.wheel_driver],
        "build": list(dict.fromkeys(build)),
        "runtime": list(dict.fromkeys(package for row in rows for package in row.source_runtime_packages)),
    }


def detected_python_version(dst: str, offered: list[str] | str, default: str) -> str:
    """The python_version answer nearest the version the project declares (the default when it
    declares none)."""
    offered = tuple(yaml.safe_load(offered) if isinstance(offered, str) else offered)
    return facts.python_version_for(facts.declared_python(dst)[1], offered, default)


@functools.cache
def template_setting_variables() -> dict[str, str]:
    """The settings twelve_factor.py decides from an environment variable, and that variable
    (read from the template's settings block); ALLOWED_HOSTS comes from DOMAIN."""
    config = yaml.safe_load(COPIER_YML.read_text())
    block = COPIER_YML.parent / config.get("_subdirectory", "") / "_includes" / "settings_security.py.jinja"
    found = re.findall(r'^(\w+) = [^\n]*?\benv\.\w+\("(\w+)"', block.read_text(), re.MULTILINE)
    return {**dict(found), "ALLOWED_HOSTS": "DOMAIN"}


def imported_settings_files(dst: str, settings_module: str) -> list[Path]:
    """The settings module's file and those of the project's modules it imports, and they in turn
    (`from .base import *`): what production runs, not a split package's local.py or test.py."""
    files, queue = [], [settings_module]
    while queue:
        module = queue.pop(0)
        path = Path(dst, *module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if path in files or not path.is_file():
            continue
        files.append(path)
        try:
            tree = ast.parse(path.read_text(errors="replace"))
        except SyntaxError:
            continue
        package = module.split(".")[: -1 if path.name != "__init__.py" else None]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                queue.append(".".join([*base, *([node.module] if node.module else [])]))
    return files


def _other_variable_reads(dst: str, settings_module: str) -> list[tuple[str, str, bool, str]]:
    """The project's settings that twelve_factor.py decides, read from a variable of their own."""
    decided = template_setting_variables()
    return [
        read
        for read in facts.setting_reads(imported_settings_files(dst, settings_module), Path(dst))
        if read[0] in decided and read[1] != decided[read[0]]
    ]


def variable_aliases(dst: str, settings_module: str) -> dict[str, str]:
    """The variables of the project's own that its settings read without a default for a setting
    twelve_factor.py decides (DJANGO_SECRET_KEY for SECRET_KEY), each with the template's variable
    twelve_factor.py sets it from: production then sets only the template's."""
    decided = template_setting_variables()
    return {
        variable: decided[setting]
        for setting, variable, has_default, _where in _other_variable_reads(dst, settings_module)
        if not has_default
    }


def build_environment(dst: str, settings_module: str) -> dict[str, str]:
    """Variables the settings read at import without a default, with values that pass their
    readers: the image build's collectstatic runs with them (and nothing else does)."""
    return facts.settings_environment(settings_files(dst, settings_module))


def docker_files_in(dst: str) -> list[str]:
    """Which Docker files the template renders the project has its own of."""
    return [name for name in DOCKER_FILES if (Path(dst) / name).exists()]


def readme_in_another_case(dst: str) -> str:
    """The project's README.md if it spells the name in another case (wagtail/bakerydemo's
    readme.md), else "": the template's README.md beside it would be the same file on macOS's and
    Windows' file systems, which ignore case, so a checkout there would hold one of the two."""
    names = [path.name for path in Path(dst).glob("*") if path.name.lower() == "readme.md"]
    return "" if "README.md" in names or not names else names[0]


# --- the summary -------------------------------------------------------------------------------


def _git(dst: str, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=dst, capture_output=True, text=True, check=False).stdout


# The variables the template's own settings read: production sets them anyway.
TEMPLATE_VARIABLES = (
    "SECRET_KEY", "DATABASE_URL", "DEFAULT_STORAGE_DSN", "DOMAIN", "DOMAIN_ALIASES", "DJANGO_DEBUG",
)  # fmt: skip
# Settings of the user's that twelve_factor.py keeps where they set them, the template's otherwise.
KEPT_SETTINGS = {
    "SESSION_COOKIE_NAME": "__Secure-sessionid",
    "CSRF_COOKIE_NAME": "__Secure-csrftoken",
    "X_FRAME_OPTIONS": "DENY",
}


def _assigned_settings(dst: str, settings_module: str) -> list[str]:
    names = []
    for path in settings_files(dst, settings_module):
        if path.is_file():
            text = path.read_text(errors="replace")
            names += [name for name in KEPT_SETTINGS if re.search(rf"^{name}\s*=", text, re.MULTILINE)]
    return [name for name in KEPT_SETTINGS if name in names]


def _static_elsewhere(dst: str, settings_module: str) -> bool:
    """Whether the settings set a STATIC_URL on another host, which twelve_factor.py replaces."""
    assigned = re.compile(r"""^STATIC_URL\s*=\s*f?["'][^"']*//""", re.MULTILINE)
    return any(
        path.is_file() and assigned.search(path.read_text(errors="replace"))
        for path in settings_files(dst, settings_module)
    )


def _python_check(dst: str, python_version: str) -> str:
    """The Python version the image runs, against the one the project declares."""
    where, declared = facts.declared_python(dst)
    offered = variants.PYTHON_VERSIONS
    if not declared:
        return (
            f"Python {python_version}: the project declares none (.python-version, runtime.txt, its"
            " Dockerfile's FROM, requires-python)"
        )
    found = facts.VERSION.search(declared)
    if re.match(r"\s*[<>=!~]", declared) or not found:
        if python_version in facts.python_version_for(declared, (python_version,), ""):
            return f"Python {python_version}: within {where} ({declared})"
        return f"Python {python_version} is outside {where} ({declared}): make them agree"
    wanted = f"{found.group(1)}.{found.group(2)}"
    if wanted == python_version:
        return f"Python {python_version}: as {where} declares"
    if wanted not in offered:
        return (
            f"Python {python_version}: {where} asks for {wanted}, which the image does not offer"
            f" ({', '.join(offered)}); test the project on {python_version} and update {where}"
        )
    return (
        f"Python {python_version} (your python_version answer), but {where} says {wanted}:"
        f" make them agree (--data python_version={wanted}, or update {where})"
    )


def _gateway_pin_checks(found, server: str) -> list[str]:
    """The gateway server's packages the project pins at a version the image's command line and
    config file may not start (the row's pin, or from its oldest_release on): the project's pin
    wins, so it must change."""
    gateway = variants.SERVERS[server]
    lines = []
    for requirement in gateway.requirements:
        name = requirement_name(requirement)
        where = found.lines.get(name, "")
        pinned = where.rpartition(": ")[2].replace(" ", "").lower()
        if not where or pinned == requirement.lower():
            continue
        oldest = gateway.oldest_release if requirement == gateway.requirements[0] else ""
        version = pinned.partition("==")[2]
        if oldest and re.fullmatch(r"\d+(\.\d+)*", version) and Version(version) >= Version(oldest):
            continue
        starts = f"it starts {name} {oldest} or newer" if oldest else "older releases may refuse its options"
        lines.append(
            f"{where} wins over the template's {requirement}, for which the image's command is"
            f" written ({starts}): change it to {requirement}"
        )
    return lines


def _requirements_checks(dst: str, database: str, server: str) -> list[str]:
    """How the image installs the project's requirements, and what their drivers need."""
    found = facts.project_requirements(dst)
    if found.files[:1] == [facts.PYPROJECT]:
        read = "Requirements: pyproject.toml's [project] dependencies, read by the image's builder"
        lines = [f"{read} (no requirements.txt added); the template's libraries are in {REQUIREMENTS_FILE}"]
    else:
        included = [name for name in found.files[1:] if name != REQUIREMENTS_FILE]
        files = f"{len(included)} file{'s' if len(included) != 1 else ''}"
        copied = f" and the {files} it includes ({', '.join(included)})" if included else ""
        lines = [f"Requirements: requirements.txt{copied}, copied into the image's builder stage"]
    if found.hashed:
        lines.append(
            "Requirements pin hashes: the image installs them with --require-hashes, then"
            f" {REQUIREMENTS_FILE} (requirements.txt would need hashes for it)"
        )
    if found.source:
        lines.append(
            f"{found.source} includes {REQUIREMENTS_FILE} too: compiling requirements.txt again keeps"
            " the template's libraries"
        )
    if constrained := sorted(found.constrained - found.names):
        lines.append(f"Required without a version, as your constraints pin it: {', '.join(constrained)}")
    drivers = source_driver_packages(sorted(found.names), variants.SERVERS[server])
    if drivers["drivers"]:
        wheels = " or ".join(drivers["wheel_drivers"])
        lines.append(
            f"{', '.join(drivers['drivers'])} may compile from source: the builder installs"
            f" {' '.join(drivers['build'])}"
            + (f" and the image {' '.join(drivers['runtime'])}" if drivers["runtime"] else "")
            + (f"; {wheels}, the template's driver, needs neither" if wheels else "")
        )
    row = variants.DATABASES[database]
    if superseded := [name for name in row.superseded_drivers if name in found.names]:
        lines.append(
            f"Django uses {row.wheel_driver}, the template's driver, not your {', '.join(superseded)}:"
            " it imports that one first; yours stays installed for code of yours that imports it"
        )
    return [*lines, *_gateway_pin_checks(found, server), *_library_pin_checks(found)]


def _library_pin_checks(found) -> list[str]:
    """The template's libraries the project pins at an older major release than the template's
    settings are written for (pythondotorg's dj-database-url 0.5.0 has no conn_health_checks): the
    project's pin wins, so the image may stop at start."""
    lines = []
    for requirement in variants.COMMON_REQUIREMENTS:
        version = requirement.partition("==")[2]
        where = found.lines.get(requirement_name(requirement), "")
        pinned = where.rpartition("==")[2].strip() if "==" in where else ""
        if re.fullmatch(r"\d+(\.\d+)*", pinned) and Version(pinned).major < Version(version).major:
            lines.append(
                f"{where} wins over the template's {requirement}, for which its settings are written:"
                f" raise it to {version}'s major release or later"
            )
    return lines


def _runner_checks(dst: str, server: str) -> list[str]:
    """What the project ran itself with that the image does not read: a gateway's config file at
    its root, other Docker and Compose files, a Procfile (Heroku's), Celery in its requirements."""
    gateway = variants.SERVERS[server]
    name = gateway.label.partition(" (")[0]
    lines = []
    for row in variants.SERVERS.values():
        own = Path(row.config_file).name
        if row.config_file and (Path(dst) / own).is_file():
            lines.append(
                f"Your {own} is not read: the image runs {name} with {gateway.config_file}; move what you"
                " need there"
            )
    others = sorted(
        path.name
        for pattern in ("Dockerfile.*", "docker-compose.*.y*ml", "compose.*.y*ml")
        for path in Path(dst).glob(pattern)
        if path.name not in DOCKER_FILES.values()
    )
    if others:
        lines.append(f"The image is built from the template's Dockerfile, not from your {', '.join(others)}")
    if (Path(dst) / "Procfile").is_file():
        lines.append(
            f"Your Procfile is not read: the image's command starts {name}, and migrations run as the"
            " template's README says for each platform"
        )
    if "celery" in facts.project_requirements(dst).names:
        lines.append(
            "celery is in your requirements, and the image runs no Celery worker or beat (the worker"
            " answer runs Django's task API): run them as services of their own, from this image"
            " with their command"
        )
    return lines


def _tracked_secret_checks(dst: str) -> list[str]:
    """Files git tracks that the image leaves out all the same (adoption_task.NEVER_IN_THE_IMAGE)."""
    tracked = [path for path in _git(dst, "ls-files", "-z").split("\0") if path]
    # An example of the variables (.env.example, healthchecks' docker/.env.example) holds none.
    examples = (".example", ".sample", ".template", ".dist")
    kept_out = [path for path in tracked if task.never_in_the_image(path) and not path.endswith(examples)]
    if not kept_out:
        return []
    return [
        (
            f"git tracks {', '.join(kept_out)}, which the image leaves out all the same (the platform"
            " gives the container its variables, and a SQLite database lives on its volume): what is"
            " secret in them is in your repository's history; git rm --cached them, and change those"
            " secrets"
        )
    ]


def _lint_checks(dst: str) -> list[str]:
    """The project's own ruff configuration, which would lint and reformat the Python files the
    adoption added, the template's (written to its own rules, and rewritten by `copier update`)."""
    tracked = _git(dst, "ls-files", "pyproject.toml", "ruff.toml", ".ruff.toml").split()
    own = [
        name
        for name in tracked
        if name != "pyproject.toml" or "[tool.ruff" in (Path(dst) / name).read_text(errors="replace")
    ]
    if not own:
        return []
    owned = _git(dst, "ls-files", "--others", "--exclude-standard", "*.py").split()
    where = "pyproject.toml's [tool.ruff]" if own[0] == "pyproject.toml" else f"{own[0]}'s top level"
    return [
        (
            f"Your ruff configuration ({own[0]}) would lint and reformat the files the template owns,"
            f" which copier update rewrites: add these to extend-exclude in {where} (its list, or a"
            f" new one): {json.dumps(sorted(owned))}"
        )
    ]


# Names a settings module for production has, beside the one the adoption took; and names of
# one for development (pythondotorg's wsgi.py names settings.local, djangoproject.com's .dev).
PRODUCTION_NAMES = ("production", "prod", "live")
DEVELOPMENT_NAMES = ("local", "dev", "development", "test", "tests", "testing")


def _settings_checks(dst: str, slug: str, settings_module: str, build_env: dict[str, str]) -> list[str]:
    """What the project's settings read at import, what twelve_factor.py keeps of them, a module
    for production beside them, and the project's data/ folder."""
    lines = []
    imported = imported_settings_files(dst, settings_module)
    if not any("INSTALLED_APPS" in path.read_text(errors="replace") for path in imported):
        lines.append(
            f"Your {settings_module} sets no INSTALLED_APPS, nor does a module it imports: the image"
            " needs the settings production runs"
        )
    if settings_module.rpartition(".")[2] in DEVELOPMENT_NAMES:
        lines.append(
            f"Your {settings_module} reads like settings for development: if production runs another"
            " module, answer settings_module with it (--data settings_module=...)"
        )
    # Beside the module, or in it when it is a package (justdjango/django-ecommerce's empty
    # settings/__init__.py, with settings/production.py).
    folder, _, name = settings_module.rpartition(".")
    package = Path(dst, *settings_module.split(".")).is_dir()
    for other in PRODUCTION_NAMES:
        candidate = f"{settings_module}.{other}" if package else f"{folder}.{other}"
        if other != name and Path(dst, *candidate.split(".")).with_suffix(".py").is_file():
            lines.append(
                f"{candidate} is there too: if production runs that one, answer settings_module with"
                f" it (--data settings_module={candidate})"
            )
    aliases = variable_aliases(dst, settings_module)
    for setting, variable, _default, where in _other_variable_reads(dst, settings_module):
        template_variable = template_setting_variables()[setting]
        lines.append(
            f"{where} reads {variable} for {setting}, which the image takes from {template_variable}:"
            f" set {template_variable} in production"
            + (f" (twelve_factor.py sets {variable} from it)" if variable in aliases else "")
        )
    needed = [name for name in build_env if name not in TEMPLATE_VARIABLES and name not in aliases]
    if needed:
        lines.append(
            f"Your settings read {', '.join(needed)} at import without a default: set them in"
            " production (the image build's collectstatic gets stand-ins, set in the Dockerfile)"
        )
    if _static_elsewhere(dst, settings_module):
        lines.append(
            "Your STATIC_URL is on another host (a bucket's): the image serves the static files"
            " itself, at /static/ (and Collectfasta's collectstatic copies them as Django's does)"
        )
    kept = _assigned_settings(dst, settings_module)
    if kept:
        lines.append(f"Kept your {', '.join(kept)} (twelve_factor.py sets the template's where you set none)")
    if "SESSION_COOKIE_NAME" not in kept:
        lines.append(
            "The session cookie is now __Secure-sessionid (was sessionid): signed-in users sign in again"
            f" once; set SESSION_COOKIE_NAME in {settings_module} to keep yours"
        )
    lines.append(
        f"DJANGO_SETTINGS_MODULE: manage.py and {slug}/wsgi.py leave it to the environment (setdefault),"
        f" so the image's {slug}.twelve_factor is used"
    )
    tracked_data = [name for name in _git(dst, "ls-files", "data").split() if name != f"data/{DATA_KEEP}"]
    if tracked_data:
        lines.append(
            f"data/ holds {len(tracked_data)} committed file{'s' if len(tracked_data) != 1 else ''}, which"
            " the image has (in /app/data): .gitignore and .dockerignore leave out only the local SQLite"
            " database and media uploads there (data/db.sqlite3*, data/media/)"
        )
    return lines


def _pre_commit_checks(dst: str) -> list[str]:
    """Whether the project's own .pre-commit-config.yaml runs the template's dockerignore hook
    (the adoption adds it where it can), or the lines to add."""
    config, hook = task.PRE_COMMIT_CONFIG, task.DOCKERIGNORE_HOOK
    if not _git(dst, "ls-files", config).strip():
        return []  # none of the project's own: the template's has the hook
    if task.has_dockerignore_hook((Path(dst) / config).read_text(errors="replace")):
        return [f"Your {config} runs the template's {hook} hook (scripts/check-dockerignore)"]
    add = (
        f"Your {config} has no block-style repos: list the adoption can add to: add the template's"
        f" {hook} hook to its repos yourself, at their indentation:"
    )
    return [f"{add}\n{task.dockerignore_hook_repo('    ').rstrip()}"]


def _dependabot_entries(root: Path, folder: str) -> list[dict]:
    """The template's Dependabot entries for the project's folder (all but GitHub Actions', whose
    workflows are the repository's, at its root) that the root's dependabot.yml lacks."""
    config = yaml.safe_load(COPIER_YML.read_text())
    template = COPIER_YML.parent / config.get("_subdirectory", "") / ".github" / "dependabot.yml"
    root_file = root / ".github" / "dependabot.yml"
    try:
        present = yaml.safe_load(root_file.read_text()) if root_file.is_file() else {}
    except yaml.YAMLError:
        present = {}
    listed = {
        (entry.get("package-ecosystem"), str(entry.get("directory", "")).strip("/"))
        for entry in (present or {}).get("updates") or []
        if isinstance(entry, dict)
    }
    entries = []
    for entry in yaml.safe_load(template.read_text())["updates"]:
        ecosystem = entry["package-ecosystem"]
        if ecosystem != "github-actions" and (ecosystem, folder) not in listed:
            entries.append({**entry, "directory": f"/{folder}"})
    return entries


# The template's workflow that runs scripts/update-template, which GitHub reads at the root alone.
UPDATE_WORKFLOW = Path(".github") / "workflows" / "update-template.yml"


def update_workflow(folder: str, python_version: str) -> str:
    """The template's update workflow for the project in `folder` of its repository, as the
    repository's root needs it: its step runs that folder's scripts/update-template."""
    config = yaml.safe_load(COPIER_YML.read_text())
    source = COPIER_YML.parent / config["_subdirectory"] / f"{UPDATE_WORKFLOW}{config['_templates_suffix']}"
    environment = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, **config["_envops"])
    answers = {"repository_folder": folder, "python_version": python_version}
    return environment.from_string(source.read_text()).render(answers)


def _subfolder_steps(dst: str, folder: str, python_version: str) -> list[str]:
    """What a project in a subfolder of its git repository does at the repository's root instead
    of the files the template did not write in the subfolder (root_only_files())."""
    if not folder:
        return []
    root = Path(_git(dst, "rev-parse", "--show-toplevel").strip())
    steps = [
        (
            f"This project is {folder}/ in the git repository at {root}, whose root alone GitHub"
            f" and pre-commit read: {' and '.join(root_only_files())} were not written here"
        )
    ]
    dependabot = root / ".github" / "dependabot.yml"
    if entries := _dependabot_entries(root, folder):
        start = "" if dependabot.is_file() else " (a new file: begin it with 'version: 2' and 'updates:')"
        steps.append(f"Dependabot: add these entries to {dependabot}'s updates{start}:")
        steps += [f"  {line}" for line in yaml.safe_dump(entries, sort_keys=False).splitlines()]
    else:
        steps.append(f"Dependabot: {dependabot} already updates /{folder}")
    steps.append(
        f"pre-commit: the template's hooks (its .pre-commit-config.yaml) run from the repository's"
        f" root; add those you want to {root / '.pre-commit-config.yaml'}, with files: ^{folder}/"
    )
    workflow = root / UPDATE_WORKFLOW.with_stem(f"{UPDATE_WORKFLOW.stem}-{folder.replace('/', '-')}")
    steps.append(f"Template updates as pull requests: add this workflow as {workflow}:")
    steps += [f"  {line}" for line in update_workflow(folder, python_version).splitlines() if line]
    return steps


def adoption_checks(
    dst: str,
    slug: str,
    settings_module: str,
    database: str,
    server: str,
    python_version: str,
    build_env: dict[str, str],
) -> list[str]:
    """What the adoption checked in the project and what it did about each, one line each."""
    return [
        _python_check(dst, python_version),
        *_requirements_checks(dst, database, server),
        *_runner_checks(dst, server),
        *_tracked_secret_checks(dst),
        *_settings_checks(dst, slug, settings_module, build_env),
        *_pre_commit_checks(dst),
        *_lint_checks(dst),
    ]


def _lines_added_and_removed(dst: str, path: str) -> tuple[str, str]:
    """The lines of `path` the working tree adds and removes, as text: a last line that only gains
    its end of line (a .gitignore without one) is neither."""
    before = _git(dst, "show", f"HEAD:./{path}").splitlines()
    after = (Path(dst) / path).read_text(errors="replace").splitlines()
    marks = [line[:2] for line in difflib.ndiff(before, after)]
    return str(marks.count("+ ")), str(marks.count("- "))


def adoption_summary(
    dst: str,
    slug: str,
    settings_module: str,
    database: str,
    server: str,
    sqlite: str,
    python_version: str = "",
    build_env: dict[str, str] | None = None,
) -> str:
    """What the adoption added, changed and set aside, from git, and what is left to the user."""
    # Relative to the project's folder, and within it (a subfolder of a larger repository too).
    added = sorted(_git(dst, "ls-files", "--others", "--exclude-standard").splitlines())
    changed, changed_paths = [], []
    for line in _git(dst, "diff", "--numstat", "--relative").splitlines():
        plus, minus, path = line.split("\t")
        changed_paths.append(path)
        if path in DOCKER_FILES:
            changed.append(f"  {path}: replaced by the template's; yours is now {DOCKER_FILES[path]}")
        else:
            if minus != "0":
                plus, minus = _lines_added_and_removed(dst, path)
            removed = f", {minus} removed" if minus != "0" else ""
            changed.append(f"  {path}: {plus} line{'s' if plus != '1' else ''} added{removed}")
    folder = repository_folder(dst)
    kept = [
        name
        for name in kept_if_present()
        if name != ".gitignore"
        and (Path(dst) / name).exists()
        and name not in (*added, *changed_paths)
        and not (folder and name.split("/")[0] in root_only_files())
    ]
    lines = [
        f"Adopted the Django project {slug!r}: the image runs {slug}.twelve_factor, your",
        f"{settings_module} with the environment's settings applied over it.",
        "",
        f"Files added ({len(added)}):",
        *(f"  {path}" for path in added),
        f"Files changed ({len(changed)}):",
        *changed,
    ]
    if kept:
        lines.append(f"Kept as they were (the template's versions were not added): {', '.join(kept)}")
    commit = (
        "git add --all -- . && git commit -m 'Adopt the twelve-factor template' -- ."
        if folder
        else "git add --all && git commit -m 'Adopt the twelve-factor template'"
    )
    if Path(dst) != Path():  # copier was run elsewhere, with the project's path
        commit = f"cd {shlex.quote(str(dst))} && {commit}"
    steps = [
        f"Review and commit{' this folder' if folder else ''}: {commit}",
        *_subfolder_steps(dst, folder, python_version),
        (
            "Set the environment in production: SECRET_KEY, DOMAIN, DATABASE_URL, DEFAULT_STORAGE_DSN"
            " (the template's README lists them all)"
        ),
    ]
    if sqlite:
        steps.append(
            f"Your SQLite database was copied to {SQLITE_DATA} (yours stays at {sqlite}): the image"
            f" reads it at /{SQLITE_DATA} (DATABASE_URL=sqlite:////{SQLITE_DATA}) from a volume at /data"
        )
    elif not variants.DATABASES[database].file_database:
        steps.append(f"Point DATABASE_URL at the {database} database your settings used until now")
    steps.append(f"Check: docker build -t {slug} . && docker run ... python manage.py check --deploy")
    found = facts.project_requirements(dst)
    if not found.hashed:
        installed = (
            "requirements.txt is" if found.files[:1] == [facts.REQUIREMENTS] else "your dependencies are"
        )
        steps.append(
            f"{installed} installed as declared, without hashes: a generated project's lock"
            " (requirements.in compiled by uv pip compile --generate-hashes) is yours to adopt"
        )
    if python_version:
        build_env = build_env or {}
        checks = adoption_checks(dst, slug, settings_module, database, server, python_version, build_env)
        lines += ["Checked:", *(f"  {line}" for line in checks)]
    lines += ["Left to you:", *(f"  {step}" for step in steps)]
    return "\n".join(lines)


class AdoptionHelpers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(
            django_project_to_adopt=django_project_to_adopt,
            adoption_problem=adoption_problem,
            detected_package=detected_package,
            detected_settings_module=detected_settings_module,
            detected_database=detected_database,
            detected_server=detected_server,
            user_requirement_names=user_requirement_names,
            user_constraint_names=user_constraint_names,
            requirements_files=requirements_files,
            requirements_hashed=requirements_hashed,
            requirements_include_files=requirements_include_files,
            detected_python_version=detected_python_version,
            build_environment=build_environment,
            variable_aliases=variable_aliases,
            source_driver_packages=source_driver_packages,
            builder_copies=builder_copies,
            requirements_twelve_factor=REQUIREMENTS_FILE,
            adoption_requirements=adoption_requirements,
            docker_files_in=docker_files_in,
            readme_in_another_case=readme_in_another_case,
            adoption_summary=adoption_summary,
            repository_folder=repository_folder,
            adopted_sqlite_file=adopted_sqlite_file,
        )
        environment.filters["settings_module_problem"] = settings_module_problem
        environment.globals["worker_problem"] = worker_problem
        environment.globals["server_problem"] = server_problem
        environment.globals["detected_django_version"] = detected_django_version
        environment.globals["django_version_problem"] = django_version_problem
