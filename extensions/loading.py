"""The one way the template's own Python loads a module of extensions/ (variants.py above all).

Copier imports each extension copier.yml names by its file path (copier-template-extensions), so
`extensions` is no package there; copier's tasks and migrations, and scripts/, run files as
scripts. Each of them fetches load() from this file by path, in one line:

    load = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]

and loads its siblings through it. A module is loaded once per template checkout and process,
named after its path: a process may render several checkouts (the tests do, an older release
beside the newest), each with its own table. The tests, harness/ and bench/ run from the
repository root and import the package instead (`from extensions import variants`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FOLDER = Path(__file__).resolve().parent


def load(name: str, folder: Path | str = FOLDER) -> ModuleType:
    """extensions/<name>.py of the template checkout whose extensions/ is `folder`."""
    path = (Path(folder) / f"{name}.py").resolve()
    key = f"copier_template_extensions.django_{name}_{hashlib.sha256(bytes(path)).hexdigest()[:12]}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # before it runs: its dataclasses look themselves up there
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[key]
            raise
    return sys.modules[key]
