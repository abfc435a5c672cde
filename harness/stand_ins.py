"""Images of compose's backing services (redis:8-alpine...) on a machine no registry serves: a
stand-in of the same name, built from the row's Debian packages on the offline base image, so that
`docker-compose up` starts the project's whole stack unchanged."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import docker.errors

from extensions.variants import ComposeService
from harness import locks
from harness.images import STAND_IN_LABEL, build_image, find_base_image, is_stand_in


def service_image(client, service: ComposeService) -> str:
    """`service.image`: the official image where it is present or a registry serves it, else a
    stand-in built once per recipe (a changed row or base image builds it again)."""
    name = service.image
    try:
        if not is_stand_in(client, name):
            return name
    except docker.errors.ImageNotFound:
        try:
            client.images.pull(name)
            return name
        except docker.errors.APIError:
            pass
    if not service.stand_in_packages:
        raise AssertionError(f"{name} cannot be pulled here and its row has no stand_in_packages")
    base = find_base_image(client)
    parts = [client.images.get(base).id, *service.stand_in_packages, *service.stand_in_command]
    recipe = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    with locks.exclusive(f"stand-in-{name.replace('/', '-').replace(':', '-')}"):
        try:
            if client.images.get(name).labels.get(STAND_IN_LABEL) == recipe:
                return name
        except docker.errors.ImageNotFound:
            pass
        with tempfile.TemporaryDirectory() as context:
            (Path(context) / "Dockerfile").write_text(_dockerfile(base, service, recipe))
            build_image(client, Path(context), name)
    return name


def _dockerfile(base: str, service: ComposeService, recipe: str) -> str:
    command = ", ".join(f'"{part}"' for part in service.stand_in_command)
    return (
        f"FROM {base}\n"
        "RUN apt-get update && apt-get install --yes --no-install-recommends "
        f"{' '.join(service.stand_in_packages)} && rm -rf /var/lib/apt/lists/* "
        f"&& mkdir -p {service.data_path}\n"
        f"LABEL {STAND_IN_LABEL}={recipe}\n"
        f"CMD [{command}]\n"
    )
