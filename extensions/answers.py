"""The questions' answers (a Jinja extension loaded by copier-template-extensions): the choices and
defaults copier.yml takes from the variant table, the Python versions offered (and the lowest,
which every lock must install on), and the filters that check the project's name and derive and
check its slug. Refusals are one line; Copier names the question.
"""

from __future__ import annotations

import json
import keyword
import re
import runpy
import sys
import unicodedata
from pathlib import Path

from jinja2.ext import Extension

variants = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]("variants")

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
