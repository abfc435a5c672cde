"""Many environments tried against one rendered project at once: its settings module run once per
environment in a single Python process (on the host), or its image's CMD in one container per
environment (started together)."""

from __future__ import annotations

import json
import subprocess

import requests

from harness.project import Manage
from harness.services import free_port

# Runs in the project's virtualenv, in the project's directory: reads {case: environment} as JSON
# on stdin, runs settings.py once per case in that environment, and prints {case: outcome}: the
# settings it asked for, the message it exited with, or the traceback it raised.
EVALUATE_SETTINGS = """
import json, os, runpy, sys, traceback
request = json.load(sys.stdin)
sys.path.insert(0, os.getcwd())
outcomes = {}
for case, environment in request["cases"].items():
    os.environ.clear()
    os.environ.update(request["basics"])
    os.environ.update(environment)
    sys.argv = ["manage.py", "check"]
    try:
        values = runpy.run_path(request["settings"], run_name=request["module"])
    except SystemExit as exit:
        outcomes[case] = {"exit": exit.code}
    except Exception:
        outcomes[case] = {"traceback": traceback.format_exc()}
    else:
        outcomes[case] = {"settings": {name: values[name] for name in request["names"] if name in values}}
print(json.dumps(outcomes, default=str))
"""


def evaluate_settings(
    manage: Manage, slug: str, cases: dict[str, dict[str, str]], names: list[str]
) -> dict[str, dict]:
    """{case: {"settings": {name: value}} | {"exit": message} | {"traceback": text}}."""
    request = {
        "cases": cases,
        "basics": {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        "settings": f"{slug}/settings.py",
        "module": f"{slug}.settings",
        "names": names,
    }
    result = subprocess.run(
        # -B: no bytecode in the project, which other tests read as the rendered files.
        [manage.python, "-B", "-c", EVALUATE_SETTINGS],
        cwd=manage.project,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def run_gateway_check(manage: Manage, slug: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m SLUG.environment`, the check the image's CMD runs before its gateway."""
    return subprocess.run(
        [manage.python, "-B", "-m", f"{slug}.environment"],
        cwd=manage.project,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start_images_cmd(client, image: str, envs: dict[str, dict[str, str]], timeout=60) -> dict[str, tuple]:
    """The image's own CMD once per environment, all started before any is waited for: {case:
    (exit code, logs)}. Each listens (if it gets that far) on its own loopback port."""
    containers = {}
    try:
        for case, env in envs.items():
            environment = {"LISTEN_ADDRESS": "127.0.0.1", "PORT": str(free_port()), **env}
            containers[case] = client.containers.run(
                image, environment=environment, network_mode="host", detach=True
            )
        outcomes = {}
        for case, container in containers.items():
            try:
                status = container.wait(timeout=timeout)["StatusCode"]
            except requests.RequestException:  # still running: it accepted what it should have refused
                status = None
            outcomes[case] = (status, container.logs().decode(errors="replace"))
        return outcomes
    finally:
        for container in containers.values():
            container.remove(force=True)


def last_line(output: str) -> str:
    lines = output.strip().splitlines()
    return lines[-1] if lines else ""
