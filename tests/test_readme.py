"""The generated README's instructions work as written: `.env-local` reads the same in a shell as
in Docker Compose, and the `docker run` example answers at the URL the README names."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests
import yaml

from harness.services import free_port

SHELL_EXPORT = "set -a; . ./.env-local; set +a; env -0"


def env_local_names(project) -> list[str]:
    return [
        line.split("=", 1)[0]
        for line in (project / ".env-local").read_text().splitlines()
        if line and not line.startswith("#")
    ]


def test_env_local_reads_the_same_in_a_shell_and_in_compose(render, database, docker_compose, tmp_path):
    project = shutil.copytree(render(database=database), tmp_path / "project")
    with (project / ".env-local").open("a") as env_local:
        env_local.write('SHOP_GREETING="Grüezi mitenand"\n')  # a user's line, as the README advises
    shell = subprocess.run(
        ["sh", "-c", SHELL_EXPORT],
        cwd=project,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr.decode()
    assert shell.stderr == b""
    exported = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if item)
    config = subprocess.run(
        [*docker_compose, "config"], cwd=project, capture_output=True, text=True, check=False
    )
    assert config.returncode == 0, config.stderr
    environment = yaml.safe_load(config.stdout)["services"]["web"]["environment"]
    names = env_local_names(project)
    assert {name: exported[name] for name in names} == {name: str(environment[name]) for name in names}
    assert exported["SHOP_GREETING"] == "Grüezi mitenand"


def readme_block(readme: str, section: str) -> list[str]:
    """The commands of the first ```sh block under `section`, continuation lines joined."""
    text = readme.split(f"## {section}\n", 1)[1]
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.replace("\\\n", " ").splitlines()


@pytest.mark.variants(database=lambda database: database == "sqlite")  # the others need your server
def test_docker_run_example_answers_at_the_url_it_names(render, build, docker_client, tmp_path, database):
    project = render(database=database)
    readme = (project / "README.md").read_text()
    section = "Build and run the production image"
    build_line, *setup, run_line = readme_block(readme, section)
    slug = build_line.split()[-2]
    assert build_line == f"docker build -t {slug} ."
    url = re.search(r"Then (http://127\.0\.0\.1:8000/\S*) answers", readme.split(section)[1]).group(1)

    # Exactly the README's commands, on a free port, with the image the tests built of this project.
    port = free_port()
    name = f"readme-example-{uuid.uuid4().hex[:8]}"
    image = build(project)
    run_line = run_line.replace("-p 8000:80", f"--name {name} -p {port}:80").removesuffix(f" {slug}")
    assert run_line.startswith("docker run --rm ")
    url = url.replace(":8000/", f":{port}/")
    for command in setup:
        subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)
    server = subprocess.Popen(
        ["sh", "-c", f"{run_line} {image}"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(url, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, f"{url} never answered"
                time.sleep(0.5)
        assert response.status_code == 200, response.text[:500]
        assert "Django administration" in response.text
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)
        server.wait(timeout=30)
