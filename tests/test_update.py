"""`copier update` on a project a user has worked on: switching database or gateway server in every
direction, updating with nothing changed, and upgrading from an older template release."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
from itertools import permutations
from pathlib import Path

import pytest
import yaml

from extensions import variants
from extensions.messages import lock_problem
from harness import CACHE, adoption
from harness.environments import production_env, production_env_on_disk
from harness.git import commit_all, git, new_repository
from harness.images import App, ProxiedClient, project_tests_pass_in_container, run_once, running
from harness.project import Manage, relock, with_tools_on_path
from harness.releases import (
    RELEASES,
    History,
    takes_the_first_tag_changing_only_its_answers,
    template_history,
)
from harness.render import (
    DEFAULT_ANSWERS,
    copier_cli,
    copier_update,
    refused_before_writing,
    render_project,
)
from harness.services import has_test_server

ROWS = {"database": variants.DATABASES, "server": variants.SERVERS, "worker": variants.WORKERS}
# Every ordered pair of databases, of gateway servers and of worker backends.
SWITCHES = [(question, old, new) for question, rows in ROWS.items() for old, new in permutations(rows, 2)]
SWITCHED_FILES = ["requirements.in", "requirements.txt", "Dockerfile", "docker-compose.yml", ".env-local"]
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
# The after-update message's first line when something could not merge.
NOT_MERGED = "The update could not merge everything."


# --- what a user does to their project --------------------------------------------------------------

USER_VIEW = """from django.http import HttpResponse


def hello(request):
    return HttpResponse("hello from the shop app")
"""


USER_REQUIREMENT = "humanize==4.17.0"
# The after-update line when the lock lacks what the user added to requirements.in.
NOT_LOCKED = f"requirements.txt does not lock {USER_REQUIREMENT} from requirements.in: run scripts/lock"


def edit_file(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def make_user_edits(project: Path):
    """Edits a real user makes: an app with a view and URL, a dependency, a variable, a setting."""
    app = project / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "views.py").write_text(USER_VIEW)
    settings = project / "example_shop" / "settings.py"
    edit_file(
        settings, '    "django.contrib.staticfiles",\n', '    "django.contrib.staticfiles",\n    "shop",\n'
    )
    edit_file(settings, 'TIME_ZONE = "UTC"', 'TIME_ZONE = "Europe/Zurich"')
    urls = project / "example_shop" / "urls.py"
    edit_file(
        urls, "from django.urls import path\n", "from django.urls import path\nfrom shop.views import hello\n"
    )
    edit_file(
        urls,
        '    path("admin/", admin.site.urls),\n',
        '    path("admin/", admin.site.urls),\n    path("hello/", hello),\n',
    )
    # Releases before 0.3.0 had no requirements.in: their requirements.txt listed the direct ones.
    listed = project / "requirements.in"
    with (listed if listed.exists() else project / "requirements.txt").open("a") as requirements:
        requirements.write(USER_REQUIREMENT + "\n")
    with (project / ".env-local").open("a") as env_local:
        env_local.write("SHOP_GREETING=Grüezi\n")


def user_project(template: Path, destination: Path, vcs_ref: str | None = None, **answers) -> Path:
    """A project rendered from `template` at `vcs_ref` (None: its latest tag), committed, edited by
    its user, committed again."""
    if vcs_ref is None:
        project = render_project(template, destination, vcs_ref, **answers)
    else:
        # An old release in its own process, as a user runs it: releases up to 0.2.0 cache their
        # variant table under one module name, so a second release in this process would reuse it.
        data = [f"--data={name}={value}" for name, value in {**DEFAULT_ANSWERS, **answers}.items()]
        result = copier_cli(
            "copy", "--trust", "--defaults", f"--vcs-ref={vcs_ref}", *data, str(template), str(destination),
            cwd=destination.parent,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        project = destination
    return with_user_work(project)


def with_user_work(project: Path) -> Path:
    new_repository(project, "Generated from the template")
    make_user_edits(project)
    commit_all(project, "My own work")
    return project


@pytest.fixture
def fresh_render(render, tmp_path):
    """fresh_render(**answers): a copy in this test's folder (`fresh`) of the template as it is
    rendered for `answers`, with the questionnaire's defaults for the others (the run renders
    each set of answers once: conftest's `render`)."""

    def copy(name="fresh", **answers) -> Path:
        rendered = render(**{"worker": variants.DEFAULTS["worker"], **answers})
        return Path(shutil.copytree(rendered, tmp_path / name))

    return copy


@pytest.fixture
def users_project(fresh_render):
    """users_project(**answers): the user's project, made from the template as it is for `answers`,
    committed, edited by its user, committed again (user_project, from the run's render)."""
    return lambda **answers: with_user_work(fresh_render("project", **answers))


# --- what must hold after an update -----------------------------------------------------------------


def project_files(project: Path) -> list[Path]:
    return sorted(
        path.relative_to(project)
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    )


def assert_no_conflicts(project: Path):
    for path in project_files(project):
        assert path.suffix != ".rej", f"{path} left by the update"
        lines = (project / path).read_text().splitlines()
        assert not any(line.startswith(CONFLICT_MARKERS) for line in lines), f"conflict markers in {path}"


def assert_same_as_fresh_render_with_user_edits(project: Path, fresh: Path):
    """The updated project is exactly a fresh render of the new answers plus the user's edits:
    so the user's work is all there, and nothing of the old variant is left anywhere."""
    make_user_edits(fresh)
    ignored = {Path(".copier-answers.yml")}
    assert [p for p in project_files(project) if p not in ignored] == [
        p for p in project_files(fresh) if p not in ignored
    ]
    different = [
        path
        for path in project_files(project)
        if path not in ignored and not filecmp.cmp(project / path, fresh / path, shallow=False)
    ]
    assert different == []


def assert_settings_work(project: Path, tmp_path: Path):
    manage = Manage(project)
    env = production_env_on_disk(tmp_path)
    manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    manage("migrate", "--noinput", env=env)
    get_hello = (
        "from django.test import Client; "
        "print(Client().get('/hello/', HTTP_HOST='example.com', secure=True).content.decode())"
    )
    response = manage("shell", "--verbosity=0", "-c", get_hello, env=env).stdout
    assert response.strip() == "hello from the shop app"


def relock_cleanly(project: Path):
    """The project's scripts/lock, as its README says, after which nothing is left to re-lock."""
    relock(project)
    assert lock_problem(str(project)) == ""


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


# --- switches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "old", "new"), SWITCHES, ids=[f"{q}:{o}-to-{n}" for q, o, n in SWITCHES]
)
def test_switch_keeps_user_work(users_project, fresh_render, tmp_path, question, old, new):
    project = users_project(**{question: old})
    result = copier_update(project, **{question: new})
    assert result.returncode == 0, result.stderr
    assert answers(project)[question] == new
    assert f"\n  {question}: {old} -> {new}\n" in result.stderr, "the message names the changed answer"
    assert_no_conflicts(project)
    assert NOT_MERGED not in result.stderr
    # The user added a requirement without re-locking: the switched lock cannot have it either.
    assert NOT_LOCKED in result.stderr, result.stderr
    if question == "database" and variants.DATABASES[new].compose:
        volumes = yaml.safe_load((project / "docker-compose.yml").read_text())["volumes"]
        assert list(volumes) == [f"{new}_data"], "a switched database gets its own data volume"
    for name in SWITCHED_FILES:
        text = (project / name).read_text()
        for marker in ROWS[question][old].markers:
            assert marker not in text, f"{marker!r} of {old} is still in {name}"
    fresh = fresh_render(**{question: new})
    assert_same_as_fresh_render_with_user_edits(project, fresh)
    assert_settings_work(project, tmp_path)


def switch_away_from_a_tuned_file(template, tmp_path, path: str, question: str, old: str, new: str):
    """A project on `old` whose user tuned the template's file `path` and committed, switched to
    `new`, which has no such file: the update's result; the file is gone, the user's version in git."""
    project = user_project(template, tmp_path / "project", **{question: old})
    with (project / path).open("a") as tuned:
        tuned.write("\n# tuned by the user\n")
    commit_all(project, f"Tune {path}")
    result = copier_update(project, **{question: new})
    assert result.returncode == 0, result.stderr
    assert not (project / path).exists()
    assert "# tuned by the user" in git(project, "show", f"HEAD:{path}")
    return result


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (old, new)
        for question, old, new in SWITCHES
        if question == "server" and ROWS[question][old].config_file
    ],
)
def test_server_switch_names_the_removed_config_file(copier_template, tmp_path, old, new):
    config = variants.SERVERS[old].config_file
    result = switch_away_from_a_tuned_file(copier_template, tmp_path, config, "server", old, new)
    assert f"git show HEAD:{config}" in result.stderr, result.stderr


def test_switch_to_no_worker_names_the_removed_worker_command(copier_template, tmp_path):
    old = next(name for name, row in variants.WORKERS.items() if row.command)
    new = next(name for name, row in variants.WORKERS.items() if not row.command)
    path = "example_shop/management/commands/worker.py"
    result = switch_away_from_a_tuned_file(copier_template, tmp_path, path, "worker", old, new)
    assert f"{path} was removed: with worker={new}, no worker process runs tasks" in result.stderr
    assert f"git show HEAD:{path}" in result.stderr


# --- a user's edit next to the lines a switch changes ----------------------------------------------

# (file, the user's edit as old -> new text, the answers before, the switch). Each edit sits on the
# line next to one that the switch rewrites (or where it inserts lines), so only the layout of the
# templates keeps them apart.
# The pins as the variant table has them, so a version bump changes no test.
PSYCOPG, MYSQLCLIENT = (
    variants.DATABASES["postgresql"].requirements[0],
    variants.DATABASES["mysql"].requirements[0],
)
GUNICORN, PYUWSGI = variants.SERVERS["gunicorn"].requirements[0], variants.SERVERS["uwsgi"].requirements[0]
EDITS_NEXT_TO_SWITCHED_LINES = {
    "driver pin, then switch gateway": (
        "requirements.in",
        (f"{PSYCOPG}\n", f"{PSYCOPG.replace('[binary]', '[binary,pool]')}\n"),
        {"database": "postgresql", "server": "gunicorn"},
        {"server": "uvicorn"},
    ),
    "own requirement under the driver, then switch gateway": (
        "requirements.in",
        (f"{MYSQLCLIENT}\n", f"{MYSQLCLIENT}\ndjango-mysql==4.19.0\n"),
        {"database": "mysql", "server": "uwsgi"},
        {"server": "gunicorn"},
    ),
    "gateway pin, then switch database": (
        "requirements.in",
        (f"{GUNICORN}\n", f"{GUNICORN.replace('gunicorn', 'gunicorn[setproctitle]')}\n"),
        {"database": "postgresql", "server": "gunicorn"},
        {"database": "sqlite"},
    ),
    "gateway pin, then switch from SQLite": (
        "requirements.in",
        (f"{PYUWSGI}\n", f"{PYUWSGI}  # the wheel, no compiler\n"),
        {"database": "sqlite", "server": "uwsgi"},
        {"database": "mysql"},
    ),
    "HEALTHCHECK before CMD, then switch gateway": (
        "Dockerfile",
        ("--interval=10s --timeout=5s", "--interval=15s --timeout=5s"),
        {"server": "gunicorn"},
        {"server": "uwsgi"},
    ),
    "user line after the runtime packages' place, then switch database": (
        "Dockerfile",
        ("RUN useradd --uid 1000", "RUN useradd --uid 1001"),
        {"database": "postgresql"},
        {"database": "mysql"},
    ),
    "connection health checks, then switch gateway": (
        "example_shop/settings.py",
        ("conn_health_checks=True", "conn_health_checks=False"),
        {"server": "gunicorn"},
        {"server": "uvicorn"},
    ),
    "password validators after the database options, then switch database": (
        "example_shop/settings.py",
        ("AUTH_PASSWORD_VALIDATORS = [\n", "AUTH_PASSWORD_VALIDATORS = [  # reviewed by security\n"),
        {"database": "postgresql"},
        {"database": "mysql"},
    ),
}


@pytest.mark.parametrize(
    ("path", "edit", "before", "after"),
    EDITS_NEXT_TO_SWITCHED_LINES.values(),
    ids=EDITS_NEXT_TO_SWITCHED_LINES,
)
def test_edit_next_to_a_switched_line_merges(users_project, fresh_render, path, edit, before, after):
    project = users_project(**before)
    edit_file(project / path, *edit)
    commit_all(project, "Edit next to a variant line")
    result = copier_update(project, **after)
    assert result.returncode == 0, result.stderr
    assert NOT_MERGED not in result.stderr, result.stderr
    assert_no_conflicts(project)
    assert edit[1] in (project / path).read_text(), "the user's edit is kept"
    fresh = fresh_render(**{**before, **after})
    edit_file(fresh / path, *edit)
    assert_same_as_fresh_render_with_user_edits(project, fresh)


# --- an update that cannot merge says so, and the hooks stop its leftovers -------------------------


def conflicting_project(template: Path, destination: Path) -> Path:
    """A gunicorn project whose user changed the lines a switch to uWSGI rewrites."""
    project = user_project(template, destination, server="gunicorn")
    edit_file(project / "requirements.in", GUNICORN, f"{GUNICORN}.post9")
    edit_file(
        project / "Dockerfile",
        "--config=deploy/gunicorn.conf.py",
        "--config=deploy/gunicorn.conf.py --preload",
    )
    commit_all(project, "Bump and tune gunicorn")
    return project


def install_hooks(project: Path):
    """`pre-commit install`, as the generated README says; hook environments cached between runs."""
    git(project, "add", ".pre-commit-config.yaml")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=project, check=True, capture_output=True
    )


def commit_with_hooks(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**with_tools_on_path(), "PRE_COMMIT_HOME": str(CACHE / "pre-commit")}
    return subprocess.run(
        ["git", "commit", "--message", "Switch to uWSGI", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def test_update_names_every_file_left_with_conflict_markers(copier_template, tmp_path):
    project = conflicting_project(copier_template, tmp_path / "project")
    result = copier_update(project, server="uwsgi")
    assert result.returncode == 0, result.stderr
    message = result.stderr[result.stderr.index(NOT_MERGED) :].splitlines()
    assert "  Dockerfile: conflict markers" in message
    assert "  requirements.in: conflict markers" in message
    readme = (project / "README.md").read_text()
    example = (
        readme.split("### When the update cannot merge", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    )
    assert set(example.splitlines()) <= set(message), "the README shows the message as it is"
    conflicted = [line.split(":")[0].strip() for line in message if line.endswith(": conflict markers")]
    assert sorted(conflicted) == sorted(path for path in project_files_with_markers(project))

    install_hooks(project)
    refused = commit_with_hooks(project, "--all")
    assert refused.returncode != 0, "git commit -am must not commit conflict markers"
    assert "Merge conflict string" in refused.stdout, refused.stdout
    assert "requirements.in" in refused.stdout
    assert git(project, "log", "-1", "--format=%s").strip() == "Bump and tune gunicorn"


def test_update_names_every_rej_file_and_git_shows_them(copier_template, tmp_path):
    project = conflicting_project(copier_template, tmp_path / "project")
    result = copier_cli(
        "update", "--trust", "--defaults", "--conflict=rej", "--data=server=uwsgi", cwd=project
    )
    assert result.returncode == 0, result.stderr
    rejects = sorted(str(path) for path in project_files(project) if path.suffix == ".rej")
    assert rejects == ["Dockerfile.rej", "requirements.in.rej"]
    for reject in rejects:
        assert f"  {reject}: the part of the update that did not apply to {reject[:-4]}" in result.stderr
    assert {f"?? {reject}" for reject in rejects} <= set(git(project, "status", "--porcelain").splitlines())

    install_hooks(project)
    git(project, "add", "--all")
    refused = commit_with_hooks(project)
    assert refused.returncode != 0, "a .rej file must not be committed"
    assert "no .rej files left by copier update" in refused.stdout, refused.stdout
    assert "Dockerfile.rej" in refused.stdout


def project_files_with_markers(project: Path) -> list[str]:
    return [
        str(path)
        for path in project_files(project)
        if any(line.startswith(CONFLICT_MARKERS) for line in (project / path).read_text().splitlines())
    ]


# --- a template given by a relative path ------------------------------------------------------------


def test_relative_template_path_warns_and_the_documented_recovery_works(copier_template, tmp_path):
    relative = os.path.relpath(copier_template, tmp_path)
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", "--data=project_name=Example Shop",
        relative, "project", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Warning: the template was given by a relative path ({relative})" in result.stderr
    project = tmp_path / "project"
    new_repository(project, "Generated from the template")
    assert "git-tracked templates" in copier_update(project).stderr

    readme = (project / "README.md").read_text()
    recovery = readme.split("Set `_src_path` to the", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    recovery = recovery.replace("/absolute/path/to/the/template", str(copier_template))
    env = with_tools_on_path()
    done = subprocess.run(
        ["sh", "-ec", recovery], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert answers(project)["_src_path"] == str(copier_template)


def test_absolute_template_path_gives_no_warning(copier_template, tmp_path):
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref=HEAD", "--data=project_name=Shop",
        str(copier_template), "project", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "relative path" not in result.stderr


# --- answers that cannot change --------------------------------------------------------------------

# A project asked to change an answer that says which files are the user's: (a generated or an
# adopted project, the Copier command, its --data). Each is refused in one line before anything is
# written.
FIXED_ANSWER_CHANGES = {
    "update renaming a generated package": ("generated", "update", "project_slug=other_shop"),
    "recopy renaming a generated package": ("generated", "recopy", "project_slug=other_shop"),
    "update adopting a generated project": ("generated", "update", "adopted=true"),
    "update renaming an adopted package": ("adopted", "update", "project_slug=other_shelf"),
    "update dropping the adoption": ("adopted", "update", "adopted=false"),
    "recopy dropping the adoption": ("adopted", "recopy", "adopted=false"),
}


@pytest.mark.parametrize(("kind", "command", "data"), FIXED_ANSWER_CHANGES.values(), ids=FIXED_ANSWER_CHANGES)
def test_changing_an_answer_that_names_the_users_files_is_refused_in_one_line_writing_nothing(
    users_project, copier_template, tmp_path, kind, command, data
):
    if kind == "generated":
        project = users_project()
    else:
        example = adoption.EXAMPLE_PROJECTS["split_settings"]
        project = adoption.user_project(example, tmp_path / example.name)
        assert adoption.adopt(project, copier_template).returncode == 0
        commit_all(project, "Adopt the twelve-factor template")
    name = data.split("=")[0]
    reason = refused_before_writing(project, command, "--trust", "--defaults", f"--data={data}")
    assert reason.startswith(f"{name} cannot change once the project is made"), reason
    assert reason.endswith(f"run it without --data {name}"), reason


# --- updates without a change -----------------------------------------------------------------------


def test_update_with_no_change_leaves_no_diff(users_project):
    project = users_project(database="mysql", server="uwsgi")
    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    assert git(project, "status", "--porcelain") == ""
    assert "No answer changed (.copier-answers.yml)." in result.stderr


def test_rendering_is_deterministic(copier_template, tmp_path):
    first = render_project(copier_template, tmp_path / "first", None)
    second = render_project(copier_template, tmp_path / "second", None)
    assert project_files(first) == project_files(second)
    assert all(filecmp.cmp(first / p, second / p, shallow=False) for p in project_files(first))


# --- template releases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tagged_releases(tmp_path_factory, copier_template) -> History:
    """A template repository with each old release tagged, then the working tree as the newest."""
    steps = {
        **{version: (commit, version) for version, commit in RELEASES.items()},
        "newest": (copier_template, None),
    }
    return template_history(tmp_path_factory.mktemp("template-history"), steps, newest="99.99.99")


# Where a project that takes the newest release was made: (the template history, the release's
# step in it). Before the first tag a project records a commit, not a version, and Copier runs
# every migration for it.
UPGRADES = {
    "0.1.0": ("tagged_releases", "0.1.0"),
    "0.2.0": ("tagged_releases", "0.2.0"),
    "0.1.0's commit, before any tag": ("before_the_first_tag", "0.1.0"),
    "0.2.0's commit, before any tag": ("before_the_first_tag", "0.2.0"),
}


# What the 0.3.0 migration adds to a gunicorn config file that the 0.2.0 one kept as it was.
CONTROL_SOCKET_OFF = (
    "\n# No control socket for gunicornc (the template adds this since 0.3.0).\n"
    "control_socket_disable = True\n"
)


@pytest.mark.parametrize(("history", "release"), UPGRADES.values(), ids=UPGRADES)
@pytest.mark.variants(server=lambda server: bool(variants.SERVERS[server].config_file))
def test_upgrade_from_an_older_release_keeps_user_work(request, tmp_path, history, release, server):
    history = request.getfixturevalue(history)
    project = user_project(
        history.repo, tmp_path / "project", vcs_ref=history.commits[release], server=server
    )
    config = variants.SERVERS[server].config_file
    moved = tuple(map(int, release.split("."))) < (0, 2, 0)  # releases before 0.2.0 kept it at the root
    old_config = project / (Path(config).name if moved else config)
    with old_config.open("a") as config_file:
        config_file.write("\n# tuned by the user\n")
    commit_all(project, "Tune the gateway")
    users_config = old_config.read_text()

    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    assert answers(project)["_commit"] == history.newest
    assert_no_conflicts(project)
    # Their requirements.txt listed the direct requirements: the user's line moves to the end of
    # requirements.in, the lock is the template's, and the update names the command that adds it.
    assert (project / "requirements.in").read_text().endswith(f"\n{USER_REQUIREMENT}\n")
    assert NOT_MERGED not in result.stderr, result.stderr
    assert NOT_LOCKED in result.stderr, result.stderr
    fresh = render_project(history.repo, tmp_path / "fresh", None, server=server)
    if moved:
        # The _migrations step puts the user's file in the new place as it was: the template's
        # later changes to that file are theirs to take, but for the line the image's command
        # needs since the command line no longer carries it (gunicorn's control socket, off).
        assert not old_config.exists()
        added = CONTROL_SOCKET_OFF if "control_socket_disable" in (fresh / config).read_text() else ""
        assert (project / config).read_text() == users_config + added
        (fresh / config).write_text(users_config + added)
    else:
        assert "# tuned by the user" in (project / config).read_text(), "the user's config is kept"
        with (fresh / config).open("a") as config_file:
            config_file.write("\n# tuned by the user\n")
    assert_same_as_fresh_render_with_user_edits(project, fresh)
    assert_settings_work(project, tmp_path)
    relock_cleanly(project)
    assert f"{USER_REQUIREMENT} \\\n" in (project / "requirements.txt").read_text()


def test_update_moves_a_python_version_no_longer_offered_to_the_default_and_says_so(
    tagged_releases, tmp_path
):
    """A project made by 0.2.0, which offered 3.12: no Debian suite packages 3.12, so its image
    cannot be proven here; the update takes the default version and names the change."""
    project = user_project(
        tagged_releases.repo,
        tmp_path / "project",
        vcs_ref=tagged_releases.commits["0.2.0"],
        python_version="3.12",
    )
    result = copier_update(project)
    assert result.returncode == 0, result.stderr
    default = variants.DEFAULT_PYTHON_VERSION
    said = f"python_version: 3.12 -> {default} (3.12 is no longer offered: the template's README.md says why)"
    assert f"  {said}" in result.stderr.splitlines(), result.stderr
    assert answers(project)["python_version"] == default
    base_images = re.findall(r"^FROM (\S+)", (project / "Dockerfile").read_text(), re.MULTILINE)
    assert base_images == [f"python:{default}-slim"] * 2


# What a user did, before the template's first tag, to a project generated from it, to files that a
# migration reads (the update runs them all for a project recorded as a commit): path -> the file's
# new text from its old one (None: the project has none).
MADE_BEFORE_THE_FIRST_TAG = {
    "as generated, with the user's work": {},
    "own gunicorn.conf.py at the root": {"gunicorn.conf.py": lambda _: "workers = 3  # ours\n"},
    "lock re-compiled without hashes": {
        "requirements.txt": lambda lock: re.sub(r" \\\n(?:    --hash=\S+(?: \\)?\n)+", "\n", lock)
    },
}


@pytest.mark.parametrize("edits", MADE_BEFORE_THE_FIRST_TAG.values(), ids=MADE_BEFORE_THE_FIRST_TAG)
def test_first_tagged_release_updates_a_project_generated_before_it_changing_only_its_answers(
    before_the_first_tag, tmp_path, edits
):
    history = before_the_first_tag
    project = user_project(history.repo, tmp_path / "project", vcs_ref=history.commits["newest"])
    for path, edit in edits.items():
        old = project / path
        old.write_text(edit(old.read_text() if old.exists() else None))
    if edits:
        commit_all(project, "Our own files")
    assert "_commit: 0.3.0" not in (project / ".copier-answers.yml").read_text()
    takes_the_first_tag_changing_only_its_answers(project, copier_update(project))


# --- moving to a later Django ---------------------------------------------------------------------

*_, LATEST_DJANGO = variants.DJANGO_VERSIONS
# The user's code that Django 5.2 runs and a later release removed or deprecates, each a case
# django-upgrade rewrites: CheckConstraint(check=...) (removed in 6.0), send_mail's positional
# fail_silently (deprecated in 6.0; the keyword's default dropped for 6.1) and
# transaction.savepoint (deprecated in 6.1).
OUTDATED_CODE = {
    "shop/models.py": """from django.db import models
from django.db.models import Q


class Order(models.Model):
    quantity = models.IntegerField()

    class Meta:
        constraints = [models.CheckConstraint(check=Q(quantity__gt=0), name="positive_quantity")]
""",
    "shop/orders.py": """from django.core.mail import send_mail
from django.db import transaction
from django.db.transaction import savepoint, savepoint_commit

from shop.models import Order


def place_order(quantity, address):
    with transaction.atomic():
        point = savepoint()
        order = Order.objects.create(quantity=quantity)
        send_mail("Your order", f"{quantity} items", "shop@example.com", [address], False)
        savepoint_commit(point)
    return order
""",
    "tests/test_shop.py": """import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from shop.models import Order
from shop.orders import place_order


@pytest.mark.django_db
def test_placing_an_order_records_it_and_mails_the_customer():
    place_order(3, "customer@example.com")
    assert Order.objects.get().quantity == 3
    assert mail.outbox[0].to == ["customer@example.com"]


@pytest.mark.django_db
def test_an_order_of_nothing_is_refused():
    with pytest.raises(ValidationError):
        Order(quantity=0).full_clean()
""",
}
# What django-upgrade's rewrites leave in those files.
UPGRADED_LINES = (
    'CheckConstraint(condition=Q(quantity__gt=0), name="positive_quantity")',
    "point = savepoint_create()",
    'send_mail("Your order", f"{quantity} items", "shop@example.com", [address])',
)


def test_moving_to_the_latest_django_relocks_upgrades_the_users_code_and_its_tests_pass(
    users_project, base_image, docker_client
):
    project = users_project(database="sqlite", worker="database")
    for path, text in OUTDATED_CODE.items():
        (project / path).write_text(text)
    commit_all(project, "Orders")
    result = copier_update(project, django_version=LATEST_DJANGO)
    assert result.returncode == 0, result.stderr
    assert answers(project)["django_version"] == LATEST_DJANGO
    assert_no_conflicts(project)
    # Re-locked: the user's requirement is in the new lock, which pins the new Django.
    assert lock_problem(str(project)) == "", result.stderr
    assert variants.DJANGO_VERSIONS[LATEST_DJANGO].requirement in (project / "requirements.txt").read_text()
    # Only the user's files: the template's are rendered for the new release already.
    assert f"rewrote 2 file(s) for Django {LATEST_DJANGO}:" in result.stderr, result.stderr
    upgraded = (project / "shop/models.py").read_text() + (project / "shop/orders.py").read_text()
    added = [line[1:].strip() for line in result.stderr.splitlines() if line.startswith("+")]
    for line in UPGRADED_LINES:
        assert line in upgraded
        assert any(line in shown for shown in added), "the update shows each rewrite"
    # In the base image: Django 6 needs a newer Python than this machine's.
    project_tests_pass_in_container(
        docker_client, base_image, project, {"DATABASE_URL": "sqlite:////tmp/db.sqlite3"}
    )


def test_moving_django_back_is_refused_in_one_line(users_project):
    project = users_project(django_version=LATEST_DJANGO)
    back = variants.DEFAULT_DJANGO_VERSION
    reason = refused_before_writing(
        project, "update", "--trust", "--defaults", f"--data=django_version={back}"
    )
    assert reason == (
        f"django_version cannot go back from {LATEST_DJANGO} to {back} (.copier-answers.yml says"
        f" {LATEST_DJANGO}): Django is only upgraded; answer {LATEST_DJANGO}"
    )


# --- a switched project still builds and serves -----------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [({"database": "sqlite"}, {"database": "postgresql"}), ({"server": "gunicorn"}, {"server": "uwsgi"})],
    ids=["sqlite-to-postgresql", "gunicorn-to-uwsgi"],
)
def test_switched_project_image_serves_the_user_view(
    users_project, tmp_path, build, docker_client, database_servers, before, after
):
    project = users_project(**before)
    result = copier_update(project, **after)
    assert result.returncode == 0, result.stderr
    # The documented path: the update names scripts/lock, which locks the user's requirement too.
    assert NOT_LOCKED in result.stderr, result.stderr
    relock_cleanly(project)
    database = answers(project)["database"]
    if has_test_server(database):
        database_url = database_servers(database).create_database(f"switched_{tmp_path.name[-8:]}")
    else:
        database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = production_env(DOMAIN="127.0.0.1", DATABASE_URL=database_url)
    image = build(project)
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate", "--noinput"], env)
    assert status == 0, output
    with running(App(docker_client, image, env)) as app:
        response = ProxiedClient(app).get("/hello/")
        assert response.status_code == 200
        assert response.text == "hello from the shop app"
        assert (
            app.exec("python", "-c", "import humanize; print(humanize.intcomma(12345))").strip() == "12,345"
        )
