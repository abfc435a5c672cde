"""Adopting an existing Django project: what copier.yml detects, excludes and reports.

`copier copy --trust <template> .` in a Django project (a manage.py and no .copier-answers.yml)
adopts it instead of generating a new one. Its files stay the user's: the template adds its own
modules beside them and a settings module, <package>/twelve_factor.py, that imports the user's
production settings and applies the environment contract over them. What must be known about the
project is detected here and becomes an answer (the `adopted`, `settings_module` and
`user_requirements` questions), so that `copier update`, which renders into empty folders, renders
the same files again.

Run as a script (`python adopt.py finish`), it is the adoption's one task: it sets the user's
Docker files aside, appends to requirements.txt and .gitignore, and copies a SQLite database into
data/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    from jinja2.ext import Extension
except ImportError:  # run as the adoption task, by any Python
    Extension = object

# The files of a Django project that adoption leaves as they are are listed in copier.yml's
# _exclude: manage.py, requirements.txt, and the package's __init__, settings, urls, wsgi and asgi.
# Of these (its _skip_if_exists), the user's own are kept and the template's added where none is.
KEPT_IF_PRESENT = (
    "README.md", ".gitignore", "pyproject.toml", ".pre-commit-config.yaml", ".env-local",
    "requirements-dev.txt", ".github/dependabot.yml", "scripts/smoke-test-image", "scripts/actionlint",
)  # fmt: skip
# The template's versions replace the user's, which are set aside under these names.
DOCKER_FILES = {
    "Dockerfile": "Dockerfile.before-adoption",
    "docker-compose.yml": "docker-compose.before-adoption.yml",
    ".dockerignore": ".dockerignore.before-adoption",
}
# The template's own requirements of an adopted project, included from the user's requirements.txt.
REQUIREMENTS_FILE = "requirements-twelve-factor.txt"
INCLUDE_LINE = f"-r {REQUIREMENTS_FILE}"
# Where the template's Docker files are rendered during the adoption, before the task moves them.
STAGING = ".adoption"
GITIGNORE_LINES = ("/staticfiles/", "/data/*", "!/data/.gitkeep")
SQLITE_DATA = Path("data") / "db.sqlite3"

SETTINGS_MODULE = re.compile(r"""["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
ENGINES = {
    "postgresql": "postgresql",
    "postgresql_psycopg2": "postgresql",
    "mysql": "mysql",
    "sqlite3": "sqlite",
}
# GeoDjango's engines are not among them: the template's DATABASE_URL schemes have no GIS driver.
ENGINE = re.compile(r"django\.db\.backends\.(\w+)")
SQLITE_NAME = re.compile(r"""["']([\w./-]+\.sqlite3)["']""")
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def django_project_to_adopt(dst: str) -> bool:
    """Whether `dst` holds a Django project that no Copier template manages yet."""
    return (Path(dst) / "manage.py").is_file() and not (Path(dst) / ".copier-answers.yml").exists()


# Modules the template adds to the project package; a project with its own of one cannot be adopted.
TEMPLATE_MODULES = (
    "environment.py", "health.py", "drain.py", "front.py", "storage_dsn.py", "twelve_factor.py",
    "management/commands/migrate.py",
)  # fmt: skip


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
    taken = [name for name in TEMPLATE_MODULES if detected_package(dst) and (package / name).exists()]
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
    """sqlite_file() for a SQLite project, else ""."""
    return sqlite_file(dst, settings_module) if database == "sqlite" else ""


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
    return re.sub(r"[-_.]+", "-", found.group(0)).lower() if found else None


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
        for name in KEPT_IF_PRESENT
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
    elif database != "sqlite":
        steps.append(f"Point DATABASE_URL at the {database} database your settings used until now")
    if server == "uvicorn" and not (Path(dst) / slug / "asgi.py").exists():
        steps.append(f"Uvicorn serves {slug}.asgi:application, and {slug}/asgi.py is missing: add it")
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
            adopt_script=str(Path(__file__).resolve()),
        )
        environment.filters["settings_module_problem"] = settings_module_problem


# --- the task ----------------------------------------------------------------------------------


def _append_missing(path: Path, lines: tuple[str, ...]) -> None:
    text = path.read_text() if path.exists() else ""
    missing = [line for line in lines if line not in text.splitlines()]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        path.write_text(f"{text}{separator}{chr(10).join(missing)}\n")


def finish(dst: Path, sqlite: str) -> None:
    """After the template's files are rendered: what adoption changes in the user's files."""
    staging = dst / STAGING
    for name, aside in DOCKER_FILES.items():
        if (staging / name).exists():
            (dst / name).rename(dst / aside)
            (staging / name).rename(dst / name)
    if staging.is_dir():
        staging.rmdir()
    _append_missing(dst / "requirements.txt", (INCLUDE_LINE,))
    _append_missing(dst / ".gitignore", GITIGNORE_LINES)
    if sqlite and not (dst / SQLITE_DATA).exists():
        shutil.copy2(dst / sqlite, dst / SQLITE_DATA)


if __name__ == "__main__":
    command, destination, sqlite_name = sys.argv[1:]
    if command != "finish":
        sys.exit(f"adopt.py: unknown command {command!r}; the one command is finish")
    finish(Path(destination), sqlite_name)
