"""The next steps `copier copy` prints after generating a project: this project's commands, the
same as its README's, for each database; in a larger git repository they commit the folder alone;
and for SQLite, whose Compose stack needs no registry image, a user following them gets the admin
(the commands run as printed, `docker-compose` standing in for `docker compose` where only v1 is
installed)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pexpect
import pytest
import requests

from extensions import variants
from harness import locks
from harness.git import git, new_repository
from harness.images import OFFLINE_COMPOSE
from harness.render import DEFAULT_ANSWERS, copier_cli

URL = "http://127.0.0.1:8000/admin/"
# What git needs to commit, as a user's own configuration gives it.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "User",
    "GIT_AUTHOR_EMAIL": "user@example.com",
    "GIT_COMMITTER_NAME": "User",
    "GIT_COMMITTER_EMAIL": "user@example.com",
}


def copy_with_next_steps(template: Path, where: Path, folder: str, **answers) -> tuple[list[str], str]:
    """`copier copy` of a new project into `folder`, run in `where` as a user runs it: the commands
    its next steps list, in order, and the whole message."""
    data = [f"--data={name}={value}" for name, value in {**DEFAULT_ANSWERS, **answers}.items()]
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", *data, str(template), folder, cwd=where
    )
    assert result.returncode == 0, result.stderr
    message = result.stderr.split("Next steps, from here:\n", 1)[1]
    block = message.strip("\n").split("\n\n", 1)[0]
    assert all(line.startswith("    ") for line in block.splitlines()), block
    return [line[4:] for line in block.splitlines()], message


def readme_block(readme: str, heading: str) -> list[str]:
    """The lines of the first shell block under `heading` in a README."""
    section = readme.split(f"\n## {heading}\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0].splitlines()


def test_next_steps_are_this_projects_commands_for_each_database(copier_template, tmp_path, database):
    commands, message = copy_with_next_steps(copier_template, tmp_path, "shop", database=database)
    readme = (tmp_path / "shop" / "README.md").read_text()
    [set_uid] = [line for line in readme.splitlines() if line.startswith("printf 'LOCAL_UID=")]
    assert commands == [
        "cd shop",
        'git init --quiet && git add --all && git commit --quiet --message "Start from the template"',
        set_uid,
        *readme_block(readme, "Run it locally"),
    ]
    assert [line.split()[:3] for line in commands[3:]] == [["docker", "compose", "build"]] + [
        ["docker", "compose", "run"]
    ] * 2 + [["docker", "compose", "up"]]
    assert "manage.py migrate" in commands[4]
    assert "manage.py createsuperuser" in commands[5]
    text = " ".join(message.split())
    assert f"Then open {URL} and sign in as that superuser." in text
    assert URL in readme.split("\n## Run it locally\n", 1)[1].split("\n## ", 1)[0]
    db = variants.DATABASES[database]
    if db.compose:
        assert f"Compose runs {db.label} in the `database_default` container" in text
        assert f"`{db.name}_data` volume" in text
    else:
        assert f"The {db.label} database is a file in ./data" in text
    assert 'To deploy to Kubernetes: README.md, "Deploy to Kubernetes".' in text
    assert "\n## Deploy to Kubernetes\n" in readme


def test_next_steps_in_a_larger_repository_commit_the_new_folder_alone(copier_template, tmp_path):
    repository = tmp_path / "monorepo"
    (repository / "services").mkdir(parents=True)
    (repository / "README.md").write_text("Our services\n")
    new_repository(repository, "The repository")
    (repository / "notes.txt").write_text("someone else's work in progress\n")
    commands, _ = copy_with_next_steps(copier_template, repository, "services/shop", database="sqlite")
    assert commands[:2] == [
        "cd services/shop",
        'git add --all -- . && git commit --quiet --message "Start from the template" -- .',
    ]
    subprocess.run(["sh", "-c", " && ".join(commands[:2])], cwd=repository, check=True)
    committed = git(repository, "show", "--name-only", "--format=", "HEAD").split()
    assert "services/shop/manage.py" in committed
    assert all(path.startswith("services/shop/") for path in committed)
    assert git(repository, "status", "--porcelain").splitlines() == ["?? notes.txt"]


@pytest.mark.variants(database=OFFLINE_COMPOSE[0].__eq__, server=OFFLINE_COMPOSE[1].__eq__)
def test_following_the_next_steps_for_sqlite_serves_the_admin_to_the_new_superuser(
    copier_template, tmp_path, project, build, docker_compose, database, server
):
    build(project)  # the cell's image: `docker compose build` then reuses its layers
    commands, _ = copy_with_next_steps(copier_template, tmp_path, "shop", database=database, server=server)
    assert commands[0] == "cd shop"
    folder = tmp_path / "shop"
    env = {**os.environ, **GIT_IDENTITY, "COMPOSE_PROJECT_NAME": f"nextsteps{uuid.uuid4().hex[:8]}"}

    def as_run(command: str) -> list[str]:
        """The command as this machine runs it: its `docker compose` may be `docker-compose`."""
        words = shlex.split(command)
        return [*docker_compose, *words[2:]] if words[:2] == ["docker", "compose"] else ["sh", "-c", command]

    *first, create_superuser, up = commands[1:]
    # Compose publishes the web service on the host's port 8000: one such stack at a time.
    with locks.exclusive("host-port-8000"):
        started = None
        try:
            for command in first:
                result = subprocess.run(
                    as_run(command),
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            # createsuperuser asks its questions in a terminal, as the user answers them.
            program, *args = as_run(create_superuser)
            asking = pexpect.spawn(program, args, cwd=folder, env=env, encoding="utf-8", timeout=120)
            for prompt, answer in [
                ("Username", "admin"),
                ("Email address", "admin@example.com"),
                ("Password", "a long and unusual password"),
                ("Password \\(again\\)", "a long and unusual password"),
            ]:
                asking.expect(prompt)
                asking.sendline(answer)
            asking.expect("Superuser created successfully.")
            asking.expect(pexpect.EOF)
            started = subprocess.Popen(
                as_run(up), cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            browser = requests.Session()
            login_page = wait_for_login_page(browser, started)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
            signed_in = browser.post(
                f"{URL}login/?next=/admin/",
                data={
                    "csrfmiddlewaretoken": token,
                    "username": "admin",
                    "password": "a long and unusual password",
                },
                timeout=10,
            )
            assert signed_in.status_code == 200, signed_in.text[-2000:]
            assert signed_in.url == URL, "signed in, the admin's index"
            assert "Site administration" in signed_in.text
        finally:
            subprocess.run(
                [*docker_compose, "down", "--volumes", "--rmi", "local"], cwd=folder, env=env, check=False
            )
            if started:
                started.wait(timeout=60)


def wait_for_login_page(browser: requests.Session, up: subprocess.Popen, timeout=120) -> requests.Response:
    """The admin's login page, once `docker compose up` serves it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert up.poll() is None, "docker compose up exited"
        try:
            page = browser.get(f"{URL}login/", timeout=5)
            if page.status_code == 200:
                return page
        except requests.ConnectionError:
            pass  # not serving yet
        time.sleep(0.5)
    raise AssertionError(f"{URL}login/ did not answer within {timeout}s")
