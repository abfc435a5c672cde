"""Every database x server x Python combination renders into a clean, lint-free project."""

import re
import subprocess
import sys

import yaml

from extensions import variants

RUFF = [sys.executable, "-m", "ruff"]
# Not GitHub Actions' own expressions, ${{ ... }}.
LEFTOVERS = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|select one|choose one|one of the following", re.IGNORECASE)


def rendered_files(project):
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_render_has_no_template_leftovers(render, database, server, python_version):
    project = render(database=database, server=server, python_version=python_version)
    offenders = [
        f"{path.relative_to(project)}: {line.strip()}"
        for path in rendered_files(project)
        for line in path.read_text().splitlines()
        if LEFTOVERS.search(line)
    ]
    assert offenders == []
    assert not any(path.suffix == ".jinja" for path in rendered_files(project))


def test_render_has_no_blank_line_runs(render, database, server, python_version):
    project = render(database=database, server=server, python_version=python_version)
    for path in rendered_files(project):
        text = path.read_text()
        assert "\n\n\n\n" not in text, f"{path.name} has a run of blank lines"
        assert not text.startswith("\n"), f"{path.name} starts with a blank line"
        if text:
            assert text.endswith("\n"), f"{path.name} does not end with a newline"
            assert not text.endswith("\n\n"), f"{path.name} ends with a blank line"


def test_render_is_ruff_clean(render, database, server, python_version):
    project = render(database=database, server=server, python_version=python_version)
    lint = subprocess.run([*RUFF, "check", "."], cwd=project, capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [*RUFF, "format", "--check", "--diff", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_requirements_name_only_the_chosen_driver_gateway_and_tasks(render, database, server, python_version):
    project = render(database=database, server=server, python_version=python_version)
    worker = variants.paired_worker(database, server)
    pins = [
        line
        for line in (project / "requirements.in").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert sorted(pins) == sorted(variants.requirements(database, server, worker))
    assert all("==" in pin for pin in pins), "every requirement is pinned"


def test_image_facts_follow_the_answers(render, database, server, python_version):
    project = render(database=database, server=server, python_version=python_version)
    dockerfile = (project / "Dockerfile").read_text()
    assert "CMD " + variants.SERVERS[server].exec_form("example_shop") in dockerfile
    assert "ENTRYPOINT" not in dockerfile
    assert "--mount" not in dockerfile, "the classic builder has no RUN --mount"
    base_images = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert base_images == [f"python:{python_version}-slim"] * 2, "named where Dependabot reads it"
    build_stage, final_stage = dockerfile.split(f"\nFROM python:{python_version}-slim\n")
    for package in variants.DATABASES[database].build_packages:
        assert package in build_stage
        assert package not in final_stage
    for other in variants.SERVERS.values():
        if other.config_file:
            assert (project / other.config_file).exists() == (other.name == server)


def test_compose_file_follows_the_database_and_the_worker(render, database):
    project = render(database=database)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert "version" not in compose
    web = compose["services"]["web"]
    assert "links" not in web
    assert web["env_file"] == ".env-local"
    db = variants.DATABASES[database]
    tasks = variants.WORKERS[variants.paired_worker(database, variants.DEFAULT_SERVER)]
    backing = {
        **({"database_default": db.compose} if db.compose else {}),
        **({tasks.name: tasks.compose} if tasks.compose else {}),
    }
    for name, service in backing.items():
        assert compose["services"][name]["image"] == service.image
        assert compose["services"][name]["healthcheck"]["test"]
    waits_for = {name: {"condition": "service_healthy"} for name in backing}
    assert web.get("depends_on", {}) == waits_for
    if tasks.command:
        worker = compose["services"]["worker"]
        assert (worker["command"], worker.get("depends_on", {})) == (tasks.command, waits_for)
        assert {key: worker[key] for key in ("volumes", "env_file", "user")} == {
            key: web[key] for key in ("volumes", "env_file", "user")
        }
    assert set(compose["services"]) == {"web", *(["worker"] if tasks.command else []), *backing}
    env_local = (project / ".env-local").read_text()
    assert f"DATABASE_URL={db.local_database_url}\n" in env_local
    if tasks.url_variable:
        assert f"{tasks.url_variable}={tasks.local_url}\n" in env_local


def test_compose_file_is_valid_for_docker_compose(render, database, docker_compose):
    project = render(database=database)
    result = subprocess.run(
        [*docker_compose, "config", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
