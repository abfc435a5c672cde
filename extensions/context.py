"""Jinja extensions for copier.yml and template/ (loaded by copier-template-extensions).

- VariantContext puts the chosen rows of the variant table into every template's context as
  `db` and `gateway`, plus `requirements`, and the variant's committed lock (extensions/locks/,
  written by scripts/lock-variants) as `variant_lock`.
- TemplateHelpers adds the filters that derive and validate the project_slug answer, the
  functions that give copier.yml its choices and defaults from the variant table, the filters that
  write a table value as a Python literal and the project name as docstring or Markdown text, and
  the functions the after-copy and after-update messages use to name a relative template path,
  the files an update removed and those it could not merge, and the check that the project's
  lock still covers its requirements.in.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import keyword
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

from copier_template_extensions import ContextHook
from jinja2.ext import Extension


def _load_variants():
    # Loaded by path: copier imports this file by path too, so `extensions` is not a package here.
    # One module per template checkout: a process may render several (the tests do).
    path = Path(__file__).with_name("variants.py")
    name = f"copier_template_extensions.django_variants_{hashlib.sha256(bytes(path)).hexdigest()[:12]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


variants = _load_variants()

RESERVED_NAMES = variants.reserved_names()

# One lock per database x server, for every Python version (scripts/lock-variants says why).
LOCKS = Path(__file__).with_name("locks")
# A pinned line of a lock or of requirements.in: name, extras, version.
_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^\s;\\#]+))?")
RELOCK = "run scripts/lock, then commit requirements.in and requirements.txt together"

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")
# The slug is a folder, an image name and part of settings lines that must stay under ruff's 100
# columns; the name is a README heading and a docstring line.
SLUG_MAX_LENGTH = 30
NAME_MAX_LENGTH = 100
# Characters Markdown could read as markup in a heading; a backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#~|&!])")


def project_name_problem(name: str) -> str:
    """Why `name` cannot be the project's name, or "" when it can."""
    if not name.strip():
        return "must not be empty"
    if not name.isprintable():
        return "must be one line of printable text"
    if len(name) > NAME_MAX_LENGTH:
        return f"is {len(name)} characters long; use at most {NAME_MAX_LENGTH}"
    return ""


def project_slug_problem(slug: str) -> str:
    """Why `slug` cannot name the project's Python package, or "" when it can."""
    if not slug:
        return "must not be empty"
    if not _IDENTIFIER.match(slug):
        return (
            f"{slug!r} is not a lowercase Python identifier (use a-z, 0-9 and _, not starting with a digit)"
        )
    if len(slug) > SLUG_MAX_LENGTH:
        return f"{slug!r} is {len(slug)} characters long; use at most {SLUG_MAX_LENGTH}"
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"{slug!r} is a Python keyword"
    if slug in RESERVED_NAMES or slug in sys.stdlib_module_names:
        return f"{slug!r} would shadow the {slug!r} module that Django or Python needs"
    return ""


def project_slug_from_name(name: str) -> str:
    """The default package name, always a valid one: "My Shop" -> "my_shop", "Café" -> "cafe",
    "2fast" -> "project_2fast", "Django" -> "django_project", "日本語" -> "project"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if slug[:1].isdigit():
        slug = f"project_{slug}"
    slug = slug[:SLUG_MAX_LENGTH].rstrip("_")
    if not slug:
        return "project"
    if project_slug_problem(slug):
        slug = slug[: SLUG_MAX_LENGTH - len("_project")].rstrip("_") + "_project"
    return slug


def docstring_text(text: str) -> str:
    """`text` inside a triple-quoted Python string: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def markdown_text(text: str) -> str:
    """`text` as literal Markdown: every character Markdown could read as markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def files_deleted_since_last_commit(project_dir: str, candidates: list[str]) -> list[str]:
    """Which of `candidates` git tracks in `project_dir` but the working tree no longer has."""
    result = subprocess.run(
        ["git", "ls-files", "--deleted", "--", *candidates],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()


def _git_paths(project_dir: str, *args: str) -> list[str]:
    result = subprocess.run(
        ["git", *args, "-z"], cwd=project_dir, capture_output=True, text=True, check=False
    )
    return [path for path in result.stdout.split("\0") if path]


def files_left_to_merge(project_dir: str) -> list[str]:
    """What an update in `project_dir` could not merge, one line each: the files Copier left with
    conflict markers (it records them as unmerged in git's index), and the `.rej` files of
    `--conflict rej`, ignored by a .gitignore or not."""
    unmerged = dict.fromkeys(
        line.split("\t", 1)[1] for line in _git_paths(project_dir, "ls-files", "--unmerged")
    )
    rejects = [path for path in _git_paths(project_dir, "ls-files", "--others") if path.endswith(".rej")]
    return [
        *(f"{path}: conflict markers" for path in unmerged),
        *(f"{path}: the part of the update that did not apply to {path[: -len('.rej')]}" for path in rejects),
    ]


def is_relative_path(src_path: str) -> bool:
    """Whether the template was given as a relative local path (not absolute, not a URL)."""
    return not (
        Path(src_path).expanduser().is_absolute() or re.match(r"[\w+.-]+://|[\w.-]+@|gh:|gl:", src_path)
    )


def variant_lock(database: str, server: str) -> str:
    """The committed lock of a variant, or "" when the table has a row no lock was made for."""
    path = LOCKS / f"{database}-{server}.txt"
    return path.read_text() if path.exists() else ""


def _package(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_problem(project_dir: str) -> str:
    """One line when the project's requirements.txt does not lock what its requirements.in lists
    (a line the lock lacks or pins differently, a direct requirement the lock still has after its
    line went, a merge left in the lock), or "" when it does."""
    folder = Path(project_dir)
    if not (folder / "requirements.in").exists() or not (folder / "requirements.txt").exists():
        return ""
    lock_lines = (folder / "requirements.txt").read_text().splitlines()
    if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lock_lines):
        return f"requirements.txt has conflict markers: do not resolve them by hand; {RELOCK}."
    wanted = {}
    for text in (folder / "requirements.in").read_text().splitlines():
        line = text.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")) and (match := _PIN.match(line)):
            wanted[_package(match[1])] = (line, match[2])
    # uv writes each package's line, then indented hashes and "# via" lines naming who wants it.
    locked, direct, package = {}, set(), None
    for line in lock_lines:
        if line and not line.startswith((" ", "#", "-")) and (match := _PIN.match(line)):
            package = _package(match[1])
            locked[package] = match[2]
        elif package and line.startswith(" ") and "-r requirements.in" in line:
            direct.add(package)
    missing = [
        line
        for name, (line, version) in wanted.items()
        if name not in locked or version not in (None, locked[name])
    ]
    if missing:
        return f"requirements.txt does not lock {', '.join(missing)} from requirements.in: {RELOCK}."
    stale = sorted(direct - set(wanted))
    if stale:
        return f"requirements.txt still locks {', '.join(stale)}, no longer in requirements.in: {RELOCK}."
    return ""


def python_literal(value: str | int) -> str:
    """A table value as Python source, double-quoted like ruff formats strings."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


class TemplateHelpers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["project_name_problem"] = project_name_problem
        environment.filters["project_slug_problem"] = project_slug_problem
        environment.filters["docstring_text"] = docstring_text
        environment.filters["markdown_text"] = markdown_text
        environment.filters["project_slug_from_name"] = project_slug_from_name
        environment.filters["python_literal"] = python_literal
        environment.globals["files_deleted_since_last_commit"] = files_deleted_since_last_commit
        environment.globals["files_left_to_merge"] = files_left_to_merge
        environment.globals["is_relative_path"] = is_relative_path
        environment.globals["lock_problem"] = lock_problem
        # copier.yml renders a string `choices` as YAML, and JSON is YAML.
        environment.globals["variant_choices"] = lambda question: json.dumps(variants.choices(question))
        environment.globals["variant_default"] = variants.DEFAULTS.__getitem__
        environment.globals["python_versions"] = json.dumps(variants.PYTHON_VERSIONS)
        environment.globals["default_python_version"] = variants.DEFAULT_PYTHON_VERSION
        # The lowest Python every lock must install on: one lock serves each version offered.
        environment.globals["lock_python_version"] = variants.PYTHON_VERSIONS[0]


class VariantContext(ContextHook):
    def hook(self, context):
        database, server = context.get("database"), context.get("server")
        if database in variants.DATABASES and server in variants.SERVERS:
            context["db"] = variants.DATABASES[database]
            context["gateway"] = variants.SERVERS[server]
            context["common_requirements"] = variants.COMMON_REQUIREMENTS
            context["databases"] = variants.DATABASES
            context["variant_lock"] = variant_lock(database, server)
        context["gateway_config_files"] = [s.config_file for s in variants.SERVERS.values() if s.config_file]
