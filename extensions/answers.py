"""The questions' answers (a Jinja extension loaded by copier-template-extensions): the choices and
defaults copier.yml takes from the variant table, the Python versions offered (and the lowest,
which every lock must install on), and the filters that check the project's name and derive and
check its slug. Refusals are one line, in which Copier names the question (on its command line,
_refusal_in_one_line() keeps Python's traceback out). And the answers that cannot change once a
project is made, which the context hook checks before any file is written.
"""

from __future__ import annotations

import functools
import json
import keyword
import re
import runpy
import sys
import unicodedata
from pathlib import Path

import yaml
from jinja2.ext import Extension

variants = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]("variants")


def _refusal_in_one_line(kind, error, trace, previous=sys.excepthook):
    """Copier's command line prints its own errors in one line, but lets an answer a validator
    refused escape as a ValueError, which Python prints with some 40 lines of traceback: its
    message alone, which names the question and the reason (the exit status stays 1)."""
    if issubclass(kind, ValueError) and str(error).startswith("Validation error for question "):
        print(error, file=sys.stderr)
    else:
        previous(kind, error, trace)


# Once, though Copier and the context hook each load this module.
if getattr(sys.excepthook, "__name__", "") != _refusal_in_one_line.__name__:
    sys.excepthook = _refusal_in_one_line

RESERVED_NAMES = variants.reserved_names()
DEV_NAMES = frozenset(variants.DEV_IMPORTS) - set(sys.stdlib_module_names)

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")
# The slug is a folder, an image name and part of settings lines that must stay under ruff's 100
# columns; the name is a README heading and a docstring line.
SLUG_MAX_LENGTH = 30
NAME_MAX_LENGTH = 100


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
    return _shadowing_problem(slug)


def _shadowing_problem(slug: str) -> str:
    """Why `slug` would stand in for a module of the same name that something imports, or ""."""
    if slug.startswith("__") and slug.endswith("__"):
        return f"{slug!r} is a name Python gives a meaning of its own (__main__, __init__...)"
    if slug in DEV_NAMES:
        return f"{slug!r} would shadow the {slug!r} module that the project's tests run with"
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


# Answers that say which files are the user's: an update or recopy that changed one would render a
# new package beside theirs and delete their edited one, or render a generated project's files over
# an adopted one's (or the other way round). -> what would happen.
FIXED_ANSWERS = {
    "project_slug": "the template would render a new package and delete your {old}/ files",
    "adopted": "adopted and generated projects own different files, so yours would be replaced or dropped",
}
TRUE = {"true", "yes", "y", "on", "1"}


@functools.cache
def _recorded(path: Path, _mtime_ns: int) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def fixed_answer_change(answers_path: Path, answers: dict) -> str:
    """One line when `answers` change an answer that the project's answers file (at
    `answers_path`, which a project not made yet has none of) records and that cannot change, else
    "". A generated project records no `adopted`: it is false."""
    if not answers_path.is_file():
        return ""
    recorded = _recorded(answers_path, answers_path.stat().st_mtime_ns)
    for name, why in FIXED_ANSWERS.items():
        if name not in answers:
            continue
        old, new = recorded.get(name), answers[name]
        if name == "adopted":
            old, new = (str(value).strip().lower() in TRUE for value in (old, new))
        elif old is None:
            continue
        if str(old) != str(new):
            return (
                f"{name} cannot change once the project is made ({answers_path.name} says {old}, this"
                f" run asks for {new}): {why.format(old=old)}; run it without --data {name}"
            )
    return ""


def django_downgrade(answers_path: Path, answers: dict) -> str:
    """One line when `answers` move the project's Django (django_version) to an earlier release
    line than its answers file records (none recorded: the default, which projects made before
    the question are on), else "". Migrations and django-upgrade's rewrites only go forward."""
    if not answers_path.is_file() or answers.get("django_version") not in variants.DJANGO_VERSIONS:
        return ""
    recorded = _recorded(answers_path, answers_path.stat().st_mtime_ns)
    old = str(recorded.get("django_version") or variants.DEFAULT_DJANGO_VERSION)
    new = answers["django_version"]
    order = list(variants.DJANGO_VERSIONS)
    if old not in order or order.index(new) >= order.index(old):
        return ""
    return (
        f"django_version cannot go back from {old} to {new} ({answers_path.name} says {old}): Django"
        f" is only upgraded; answer {' or '.join(order[order.index(old) :])}"
    )


class AnswerHelpers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            project_name_problem=project_name_problem,
            project_slug_problem=project_slug_problem,
            project_slug_from_name=project_slug_from_name,
        )
        environment.globals.update(
            # copier.yml renders a string `choices` as YAML, and JSON is YAML.
            variant_choices=lambda question: json.dumps(variants.choices(question)),
            variant_default=variants.DEFAULTS.__getitem__,
            python_versions=json.dumps(variants.PYTHON_VERSIONS),
            default_python_version=variants.DEFAULT_PYTHON_VERSION,
            # The lowest Python every lock must install on: one lock serves each version offered.
            lock_python_version=variants.PYTHON_VERSIONS[0],
        )
