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

import functools
import re
import runpy
import subprocess
from pathlib import Path

import jinja2
import yaml
from jinja2.ext import Extension
from packaging.utils import canonicalize_name  # Copier's own dependency
from pathspec import GitIgnoreSpec  # Copier's own dependency

load = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]
variants = load("variants")
task = load("adoption_task")
DOCKER_FILES = task.DOCKER_FILES
REQUIREMENTS_FILE = task.REQUIREMENTS_FILE
SQLITE_DATA = task.SQLITE_DATA

COPIER_YML = Path(__file__).resolve().parent.parent / "copier.yml"
# The answers copier.yml's file patterns see while a project whose package is PACKAGE is adopted.
PACKAGE = "adopted_package"
ADOPTING = {"adopted": True, "adopting": True, "project_slug": PACKAGE, "user_docker_files": []}


def _adopting(pattern: str) -> str:
    return jinja2.Environment(autoescape=False).from_string(pattern).render(ADOPTING).strip()


@functools.cache
def kept_if_present() -> tuple[str, ...]:
    """The files an adopted project keeps its own of where it has them, the template's added where
    it has none: copier.yml's _skip_if_exists while adopting."""
    patterns = yaml.safe_load(COPIER_YML.read_text())["_skip_if_exists"]
    return tuple(name for pattern in patterns if (name := _adopting(pattern)))


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


SETTINGS_MODULE = re.compile(r"""["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
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
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def django_project_to_adopt(dst: str) -> bool:
    """Whether `dst` holds a Django project that no Copier template manages yet."""
    return (Path(dst) / "manage.py").is_file() and not (Path(dst) / ".copier-answers.yml").exists()


def adoption_problem(dst: str) -> str:
    """Why the project in `dst` cannot be adopted as it is, or "" when it can (or is no project to
    adopt): its files must all be committed, so that `git diff` shows what adoption changed."""
    if not django_project_to_adopt(dst):
        return ""
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=dst, capture_output=True, text=True, check=False
    )
    if status.returncode != 0:
        return "the project is not a git repository; run git init, git add --all, git commit first"
    if status.stdout.strip():
        return "the project has uncommitted changes; commit them first (git add --all, git commit)"
    package = Path(dst) / detected_package(dst)
    taken = [name for name in template_modules() if detected_package(dst) and (package / name).exists()]
    if taken:
        names = ", ".join(f"{package.name}/{name}" for name in taken)
        return f"{names} exists, and the template adds its own module of that name; rename yours first"
    return ""


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
    """The settings module production uses: the one wsgi.py (or asgi.py) names, else manage.py's."""
    package = Path(dst) / detected_package(dst)
    for path in (package / "wsgi.py", package / "asgi.py", Path(dst) / "manage.py"):
        if module := _settings_module_in(path):
            return module
    return ""


def settings_files(dst: str, settings_module: str) -> list[Path]:
    """The settings module's file and, for a split settings package, its sibling modules."""
    path = Path(dst, *settings_module.split("."))
    if path.is_dir():
        return sorted(path.glob("*.py"))
    file = path.with_suffix(".py")
    siblings = sorted(file.parent.glob("*.py")) if (file.parent / "__init__.py").is_file() else []
    return [file, *(sibling for sibling in siblings if sibling != file and file.parent.name == "settings")]


def detected_database(dst: str, settings_module: str, default: str) -> str:
    """The database answer for the engine the production settings use (`default` when unknown)."""
    for path in settings_files(dst, settings_module):
        if path.is_file():
            for engine in ENGINE.findall(path.read_text(errors="replace")):
                if engine in ENGINES:
                    return ENGINES[engine]
    return default


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


def settings_module_problem(module: str, slug: str) -> str:
    """Why `module` cannot be the adopted project's production settings module, or "" when it can."""
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", module or ""):
        return f"{module!r} is not a dotted module path such as {slug}.settings"
    if module.split(".", maxsplit=1)[0] != slug:
        return f"{module!r} is not in the project package {slug!r}"
    if module.rsplit(".", maxsplit=1)[-1] == "twelve_factor":
        return f"{module!r} is the template's own settings module; name yours"
    return ""


def requirement_name(line: str) -> str | None:
    """The normalised project name a requirements line installs (None for comments, options)."""
    line = line.split("#", 1)[0].strip()
    found = REQUIREMENT_NAME.match(line)
    return canonicalize_name(found.group(0)) if found else None


def user_requirement_names(dst: str) -> list[str]:
    """The names the user's requirements.txt pins, which the template must not pin again."""
    path = Path(dst) / "requirements.txt"
    if not path.is_file():
        return []
    names = (requirement_name(line) for line in path.read_text().splitlines())
    return sorted({name for name in names if name})


def adoption_requirements(template_requirements: list[str], user_names: list[str]) -> list[str]:
    """The template's requirement lines an adopted project still lacks: its own pins win, and a
    package it pins is never pinned again (nor downgraded)."""
    return [line for line in template_requirements if requirement_name(line) not in set(user_names)]


def docker_files_in(dst: str) -> list[str]:
    """Which Docker files the template renders the project has its own of."""
    return [name for name in DOCKER_FILES if (Path(dst) / name).exists()]


# --- the summary -------------------------------------------------------------------------------


def _git(dst: str, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=dst, capture_output=True, text=True, check=False).stdout


def adoption_summary(
    dst: str, slug: str, settings_module: str, database: str, server: str, sqlite: str
) -> str:
    """What the adoption added, changed and set aside, from git, and what is left to the user."""
    added = sorted(
        line[3:] for line in _git(dst, "status", "--porcelain", "-uall").splitlines() if line.startswith("??")
    )
    changed = []
    for line in _git(dst, "diff", "--numstat").splitlines():
        plus, minus, path = line.split("\t")
        if path in DOCKER_FILES:
            changed.append(f"  {path}: replaced by the template's; yours is now {DOCKER_FILES[path]}")
        else:
            removed = f", {minus} removed" if minus != "0" else ""
            changed.append(f"  {path}: {plus} line{'s' if plus != '1' else ''} added{removed}")
    kept = [
        name
        for name in kept_if_present()
        if name != ".gitignore" and (Path(dst) / name).exists() and f"{name}" not in added
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
    steps = [
        "Review and commit: git add --all && git commit -m 'Adopt the twelve-factor template'",
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
    gateway = variants.SERVERS[server]
    if gateway.interface == "asgi" and not (Path(dst) / slug / "asgi.py").exists():
        name = gateway.label.partition(" (")[0]
        steps.append(f"{name} serves {slug}.asgi:application, and {slug}/asgi.py is missing: add it")
    steps.append(f"Check: docker build -t {slug} . && docker run ... python manage.py check --deploy")
    steps.append(
        "requirements.txt is installed as it is, without hashes: a generated project's lock"
        " (requirements.in compiled by uv pip compile --generate-hashes) is yours to adopt"
    )
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
            user_requirement_names=user_requirement_names,
            adoption_requirements=adoption_requirements,
            docker_files_in=docker_files_in,
            adoption_summary=adoption_summary,
            adopted_sqlite_file=adopted_sqlite_file,
        )
        environment.filters["settings_module_problem"] = settings_module_problem
