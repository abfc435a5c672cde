"""What an adoption reads from the project's own files besides its settings module (adopt.py
reads those): its requirements as pip sees them, the Python version it declares, and the
environment variables its settings need at import. Each fact becomes a recorded answer in
copier.yml, so that `copier update`, which renders into empty folders, renders the same files.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.specifiers import InvalidSpecifier, SpecifierSet  # Copier's own dependency
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: Copier's own dependency
    import tomli as tomllib

REQUIREMENTS = "requirements.txt"
PYPROJECT = "pyproject.toml"
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# `-r file`, `--requirement=file`, `-c file`, `--constraint file`.
INCLUDE = re.compile(r"(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)")
CONSTRAINT_OPTIONS = ("-c", "--constraint")
# Lines of requirements files compiled from a requirements.in (pip-tools, uv).
COMPILED_HEADERS = ("by pip-compile", "uv pip compile")


def requirement_name(line: str) -> str | None:
    """The normalised project name a requirements line installs (None for comments, options)."""
    line = line.split("#", 1)[0].strip()
    found = REQUIREMENT_NAME.match(line)
    return canonicalize_name(found.group(0)) if found else None


def requirement_names(line: str) -> set[str]:
    """The name a requirements line installs and, for each extra it asks for, `name[extra]`
    (`psycopg[c]` installs the source-only psycopg-c): empty for comments and options."""
    name = requirement_name(line)
    if not name:
        return set()
    extras = re.match(r"\s*[A-Za-z0-9._-]+\s*\[([^\]]*)\]", line.split("#", 1)[0])
    found = {name}
    for extra in extras.group(1).split(",") if extras else ():
        if extra.strip():
            found.add(f"{name}[{canonicalize_name(extra.strip())}]")
    return found


@dataclass
class Requirements:
    """The project's requirements as the image's pip reads them."""

    # Every file pip reads, relative to the project, the one the image installs first.
    files: list[str] = field(default_factory=list)
    # Packages they require (and `name[extra]` for each extra asked for), and those only
    # constrained (-c): the template pins neither again.
    names: set[str] = field(default_factory=set)
    constrained: set[str] = field(default_factory=set)
    # Where each required package is named: name -> "file line N: the line".
    lines: dict[str, str] = field(default_factory=dict)
    # Whether a file pins hashes: pip then wants hashes on every line, the template's too.
    hashed: bool = False
    # A requirements.in that requirements.txt is compiled from (pip-tools, uv): "" when none.
    source: str = ""
    # Why the image could not install them, in one line ("" when it can).
    problem: str = ""


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) with backslash continuations joined, as pip reads them."""
    lines, pending, start = [], "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append((start, pending + line))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def _read_tree(root: Path, relative: str, constraint: bool, found: Requirements) -> None:
    if relative in found.files:
        return
    found.files.append(relative)
    text = (root / relative).read_text(errors="replace")
    found.hashed = found.hashed or "--hash" in text
    for number, logical in _logical_lines(text):
        line = logical.split(" #", 1)[0].strip()
        if line.startswith("#"):
            continue
        include = INCLUDE.match(line)
        if include:
            option, target = include.groups()
            where = f"{relative} line {number}: {option} {target}"
            if "://" in target:
                found.problem = (
                    f"{where} is a URL, which the image build does not fetch; commit the file and"
                    " include it by its path"
                )
                return
            path = PurePosixPath(relative).parent / target
            resolved = (root / path).resolve()
            if not resolved.is_relative_to(root.resolve()):
                found.problem = (
                    f"{where} is outside the project, which the image build cannot see; move it in"
                )
                return
            if not resolved.is_file():
                found.problem = f"{where}: no such file; fix the path or remove the line"
                return
            included = resolved.relative_to(root.resolve()).as_posix()
            _read_tree(root, included, option in CONSTRAINT_OPTIONS or constraint, found)
            if found.problem:
                return
        elif line.startswith((".", "-e", "--editable", "/")) or re.match(r"^file:", line):
            found.problem = (
                f"{relative} line {number}: {line.split()[0]} installs a local path, which the image's"
                " builder stage does not copy; the image runs your code from /app (remove the line)"
            )
            return
        elif not line.startswith("-") and (name := requirement_name(line)):
            if constraint:
                found.constrained.add(name)
            else:
                found.names |= requirement_names(line)
            found.lines.setdefault(name, f"{relative} line {number}: {line.split(';')[0].strip()}")


def pyproject_dependencies(dst: str) -> list[str] | None:
    """[project] dependencies of the project's pyproject.toml (None: it declares none)."""
    path = Path(dst) / PYPROJECT
    if not path.is_file():
        return None
    try:
        project = tomllib.loads(path.read_text()).get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    dependencies = project.get("dependencies")
    return list(dependencies) if isinstance(dependencies, list) else None


def project_requirements(dst: str) -> Requirements:
    """The project's requirements: requirements.txt and every file it includes (-r, -c), or,
    without a requirements.txt, the [project] dependencies of pyproject.toml."""
    root = Path(dst)
    found = Requirements()
    if (root / REQUIREMENTS).is_file():
        _read_tree(root, REQUIREMENTS, False, found)
        head = (root / REQUIREMENTS).read_text(errors="replace")[:2000]
        if (root / "requirements.in").is_file() and any(mark in head for mark in COMPILED_HEADERS):
            found.source = "requirements.in"
        return found
    dependencies = pyproject_dependencies(dst)
    if dependencies is None:
        found.problem = (
            f"the project has no {REQUIREMENTS} and its {PYPROJECT} declares no [project] dependencies,"
            f" so the image would install none of its packages; add a {REQUIREMENTS}"
            " (e.g. poetry export --output requirements.txt) and commit it"
        )
        return found
    found.files = [PYPROJECT]
    found.names = {name for line in dependencies for name in requirement_names(line)}
    # Where each is named, as for requirements.txt (its Django pin decides the release line).
    for line in dependencies:
        if name := requirement_name(line):
            found.lines.setdefault(name, f"{PYPROJECT}'s dependencies: {line.split(';')[0].strip()}")
    return found


# --- the Python version ---------------------------------------------------------------------------

VERSION = re.compile(r"(\d+)\.(\d+)")


# The Python image a Dockerfile builds from (wsvincent/djangox's `FROM python:3.12.2-slim-bookworm`).
PYTHON_IMAGE = re.compile(r"^FROM\s+(?:--\S+\s+)*(?:\S+/)?python:(\d+\.\d+)", re.IGNORECASE | re.MULTILINE)


def declared_python(dst: str) -> tuple[str, str]:
    """(where, what) the project declares its Python version in: .python-version, runtime.txt
    (python-3.12.1), the Python image its own Dockerfile builds from, or pyproject.toml's
    requires-python; ("", "") when it declares none."""
    root = Path(dst)
    for name in (".python-version", "runtime.txt"):
        path = root / name
        if path.is_file():
            lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
            value = next((line for line in lines if line and not line.startswith("#")), "")
            if VERSION.search(value):
                return name, value
    # Its own Dockerfile, which the adoption sets aside: once adopted, the one there is the template's.
    adopted = (root / ".copier-answers.yml").exists()
    for name in ("Dockerfile.before-adoption", *(() if adopted else ("Dockerfile",))):
        path = root / name
        if path.is_file() and (found := PYTHON_IMAGE.search(path.read_text(errors="replace"))):
            return name, found.group(1)
    path = root / PYPROJECT
    if path.is_file():
        try:
            requires = tomllib.loads(path.read_text()).get("project", {}).get("requires-python")
        except tomllib.TOMLDecodeError:
            requires = None
        if isinstance(requires, str):
            return f"{PYPROJECT}'s requires-python", requires
    return "", ""


def python_version_for(declared: str, offered: tuple[str, ...], default: str) -> str:
    """The offered Python version nearest what the project declares: the same minor version, else
    the lowest offered above it (else the highest offered); for a requires-python range, the
    default if it fits, else the highest offered that does."""
    if not declared:
        return default
    key = lambda version: tuple(int(part) for part in version.split("."))  # noqa: E731
    if re.match(r"\s*[<>=!~]", declared):
        try:
            specifier = SpecifierSet(declared)
        except InvalidSpecifier:
            return default
        fitting = [version for version in offered if specifier.contains(f"{version}.0")]
        if not fitting or default in fitting:
            return default
        return max(fitting, key=key)
    found = VERSION.search(declared)
    wanted = (int(found.group(1)), int(found.group(2)))
    above = sorted((v for v in offered if key(v) >= wanted), key=key)
    return above[0] if above else max(offered, key=key)


# --- what the settings read at import ------------------------------------------------------------

# A value each django-environ reader parses, for the image build's collectstatic only.
BUILD_VALUES = {
    "bool": "false",
    "int": "0",
    "float": "0",
    "list": "",
    "tuple": "",
    "dict": "",
    "json": "{}",
    "db": "sqlite://:memory:",
    "db_url": "sqlite://:memory:",
    "cache": "locmemcache://",
    "cache_url": "locmemcache://",
    "email": "consolemail://",
    "email_url": "consolemail://",
    "search_url": "simple://",
    "url": "http://localhost/",
}


def build_value(name: str, reader: str | None) -> str:
    if reader in BUILD_VALUES:
        return BUILD_VALUES[reader]
    if name.endswith("DATABASE_URL"):
        return "sqlite://:memory:"
    return "build-time-placeholder"


# Statements whose parts run only sometimes: a read inside them is no read at import.
CONDITIONAL = (
    ast.If, ast.IfExp, ast.Try, ast.For, ast.While, ast.With, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.ClassDef, ast.Lambda, ast.BoolOp,
)  # fmt: skip


def _unconditional_nodes(node: ast.AST):
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, CONDITIONAL):
            yield child
            yield from _unconditional_nodes(child)


VARIABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _variable_read(node: ast.AST) -> tuple[str, str | None, bool] | None:
    """(name, reader, whether it has a default) when `node` reads one environment variable:
    os.environ["NAME"], os.environ.get("NAME"), os.getenv("NAME"), django-environ's env("NAME") /
    env.int("NAME"), which raise ImproperlyConfigured without a default, or python-decouple's
    config("NAME"), which raises UndefinedValueError."""
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value, None, False
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
        return None
    name, function = node.args[0].value, ast.unparse(node.func)
    if not (isinstance(name, str) and VARIABLE_NAME.fullmatch(name)):
        return None
    if function in ("os.environ.get", "os.getenv"):
        return name, None, True
    return _library_read(node, name, function)


def _library_read(node: ast.Call, name: str, function: str) -> tuple[str, str | None, bool] | None:
    """_variable_read() of django-environ's readers and python-decouple's config() (pythondotorg's),
    whose cast decides the stand-in's reader."""
    defaults = [keyword for keyword in node.keywords if keyword.arg == "default"]
    if function == "env" or function.startswith("env."):
        has_default = len(node.args) > 1 or bool(defaults)
        return name, function.removeprefix("env.") if function != "env" else None, has_default
    if function in ("config", "decouple.config"):
        cast = next((ast.unparse(keyword.value) for keyword in node.keywords if keyword.arg == "cast"), "")
        reader = cast if cast in BUILD_VALUES else "list" if cast.startswith("Csv") else None
        return name, reader, bool(defaults)
    return None


def _read_used_at_once(node: ast.AST) -> tuple[str, str | None, bool] | None:
    """_variable_read(), where os.environ.get("NAME").split(" ") (testdrivenio's django-on-docker)
    counts as a read without a default: unset, the None it returns raises at import as well."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
        found = _variable_read(node.value)
        if found and found[1] is None and len(node.value.args) == 1 and not node.value.keywords:
            return found[0], None, False
    return _variable_read(node)


def _environment_read(node: ast.AST) -> tuple[str, str | None] | None:
    """(name, reader) when `node` reads a variable with no default (raising when it is unset)."""
    found = _read_used_at_once(node)
    return found[:2] if found and not found[2] else None


def setting_reads(paths: list[Path], root: Path) -> list[tuple[str, str, bool, str]]:
    """(setting, variable, whether the read has a default, "file line N") for each setting the
    settings assign, at import and unconditionally, from an environment variable."""
    reads = []
    for path in paths:
        try:
            tree = ast.parse(path.read_text(errors="replace")) if path.is_file() else None
        except SyntaxError:
            tree = None
        for node in tree.body if tree else ():
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            if not (isinstance(target, ast.Name) and VARIABLE_NAME.fullmatch(target.id)):
                continue
            found = next((read for part in ast.walk(node.value) if (read := _read_used_at_once(part))), None)
            if found:
                where = f"{path.relative_to(root).as_posix()} line {node.lineno}"
                reads.append((target.id, found[0], found[2], where))
    return reads


# The template's own variables, which production always sets, with stand-ins that pass the
# settings' readers: where the settings name one at all (in a branch too, such as
# `if os.getenv("DATABASE_URL"): ... else: env("POSTGRES_DB")`), the image build's collectstatic
# gets its stand-in, so that the settings take the branch they take in production.
PRODUCTION_VARIABLES = {"DATABASE_URL": "sqlite://:memory:", "SECRET_KEY": "build-time-placeholder"}


def settings_environment(paths: list[Path]) -> dict[str, str]:
    """The variables the settings read whenever they are imported, without a default, each with
    a value that passes their reader: the image build's collectstatic runs with these, and only
    it (the summary names them: production must set them); and the stand-ins of the template's
    own variables the settings name anywhere (PRODUCTION_VARIABLES)."""
    needed = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            tree = ast.parse(path.read_text(errors="replace"))
        except SyntaxError:
            continue
        for node in _unconditional_nodes(tree):
            found = _environment_read(node)
            if found and found[0] != "DJANGO_SETTINGS_MODULE":
                needed.setdefault(found[0], build_value(*found))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in PRODUCTION_VARIABLES:
                needed.setdefault(node.value, PRODUCTION_VARIABLES[node.value])
    return dict(sorted(needed.items()))
