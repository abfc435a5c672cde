"""The context hook (loaded by copier-template-extensions): puts the chosen rows of the variant
table into every template's context as `db`, `gateway`, `tasks` (the worker answer's row) and
`django` (the django_version answer's), with that worker's task pins and apps on that Django
(`tasks_requirements`, `tasks_apps`, `tasks_backend`), the requirements every variant shares, the
whole database, server and worker tables, the variant's committed lock (extensions/locks/,
written by scripts/lock-variants) as `variant_lock`, and the config files of every gateway. It
also refuses, in one line, a run that changes an answer that cannot change once the project is
made (answers.py) or moves Django back to an earlier release line: Copier renders through this
hook while it asks, before it writes any file.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from copier.errors import UserMessageError
from copier_template_extensions import ContextHook

load = runpy.run_path(str(Path(__file__).with_name("loading.py")))["load"]
variants = load("variants")
answers = load("answers")

# One lock per database x server x worker, for every Python version (scripts/lock-variants says why).
LOCKS = Path(__file__).with_name("locks")


def variant_lock(database: str, server: str, worker: str, django_version: str) -> str:
    """The committed lock of a variant, or "" when the table has a row no lock was made for."""
    path = LOCKS / variants.lock_name(database, server, worker, django_version)
    return path.read_text() if path.exists() else ""


class VariantContext(ContextHook):
    def hook(self, context):
        conf = context["_copier_conf"]
        # Copier renders the answers file's name through this hook with it set to "".
        answers_file = str(conf.get("answers_file") or ".copier-answers.yml")
        answers_path = Path(conf["dst_path"], answers_file)
        problem = answers.fixed_answer_change(answers_path, context)
        if problem := problem or answers.django_downgrade(answers_path, context):
            raise UserMessageError(problem)
        database, server = context.get("database"), context.get("server")
        # A project made before the worker or the Django question has none recorded: the default,
        # as it had.
        worker = context.get("worker") or variants.DEFAULT_WORKER
        django_version = context.get("django_version") or variants.DEFAULT_DJANGO_VERSION
        chosen = (database, server, worker, django_version)
        tables = (variants.DATABASES, variants.SERVERS, variants.WORKERS, variants.DJANGO_VERSIONS)
        if all(answer in table for answer, table in zip(chosen, tables, strict=True)):
            django = variants.DJANGO_VERSIONS[django_version]
            context["db"] = variants.DATABASES[database]
            context["gateway"] = variants.SERVERS[server]
            context["tasks"] = variants.WORKERS[worker]
            context["django"] = django
            context["tasks_requirements"] = variants.WORKERS[worker].requirements_on(django)
            context["tasks_apps"] = variants.WORKERS[worker].apps_on(django)
            context["tasks_backend"] = variants.task_backend(
                worker, django_version, context.get("project_slug", "")
            )
            context["common_requirements"] = (django.requirement, *variants.COMMON_REQUIREMENTS)
            context["databases"] = variants.DATABASES
            context["servers"] = variants.SERVERS
            context["workers"] = variants.WORKERS
            context["variant_lock"] = variant_lock(*chosen)
        context["gateway_config_files"] = [s.config_file for s in variants.SERVERS.values() if s.config_file]
