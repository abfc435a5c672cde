"""Jinja extensions for copier.yml and template/ (loaded by copier-template-extensions).

- VariantContext puts the chosen rows of the variant table into every template's context as
  `db` and `gateway`, plus `requirements`.
- TemplateHelpers adds the filters that derive and validate the project_slug answer, the
  functions that give copier.yml its choices and defaults from the variant table, the filter that
  writes a table value as a Python literal, and the function the after-update message uses to
  name files an update removed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import keyword
import re
import subprocess
import sys
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

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")


def project_slug_problem(slug: str) -> str:
    """Why `slug` cannot name the project's Python package, or "" when it can."""
    if not slug:
        return "must not be empty"
    if not _IDENTIFIER.match(slug):
        return (
            f"{slug!r} is not a lowercase Python identifier (use a-z, 0-9 and _, not starting with a digit)"
        )
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"{slug!r} is a Python keyword"
    if slug in RESERVED_NAMES or slug in sys.stdlib_module_names:
        return f"{slug!r} would shadow the {slug!r} module that Django or Python needs"
    return ""


def project_slug_from_name(name: str) -> str:
    """The default package name: "My Shop" -> "my_shop", "2fast" -> "project_2fast"."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return f"project_{slug}" if slug[:1].isdigit() else slug


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


def python_literal(value: str | int) -> str:
    """A table value as Python source, double-quoted like ruff formats strings."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


class TemplateHelpers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["project_slug_problem"] = project_slug_problem
        environment.filters["project_slug_from_name"] = project_slug_from_name
        environment.filters["python_literal"] = python_literal
        environment.globals["files_deleted_since_last_commit"] = files_deleted_since_last_commit
        # copier.yml renders a string `choices` as YAML, and JSON is YAML.
        environment.globals["variant_choices"] = lambda question: json.dumps(variants.choices(question))
        environment.globals["variant_default"] = variants.DEFAULTS.__getitem__
        environment.globals["python_versions"] = json.dumps(variants.PYTHON_VERSIONS)
        environment.globals["default_python_version"] = variants.DEFAULT_PYTHON_VERSION


class VariantContext(ContextHook):
    def hook(self, context):
        database, server = context.get("database"), context.get("server")
        if database in variants.DATABASES and server in variants.SERVERS:
            context["db"] = variants.DATABASES[database]
            context["gateway"] = variants.SERVERS[server]
            context["common_requirements"] = variants.COMMON_REQUIREMENTS
            context["databases"] = variants.DATABASES
        context["gateway_config_files"] = [s.config_file for s in variants.SERVERS.values() if s.config_file]
