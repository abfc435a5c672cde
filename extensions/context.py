"""The context hook (loaded by copier-template-extensions): puts the chosen rows of the variant
table into every template's context as `db`, `gateway` and `tasks` (the worker answer's row),
with the requirements every variant shares, the whole database, server and worker tables, the
variant's committed lock (extensions/locks/, written by scripts/lock-variants) as `variant_lock`,
and the config files of every gateway. It also refuses,
in one line, a run that changes an answer that cannot change once the project is made (answers.py):
Copier renders through this hook while it asks, before it writes any file.
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


def variant_lock(database: str, server: str, worker: str) -> str:
    """The committed lock of a variant, or "" when the table has a row no lock was made for."""
    path = LOCKS / variants.lock_name(database, server, worker)
    return path.read_text() if path.exists() else ""


class VariantContext(ContextHook):
    def hook(self, context):
        conf = context["_copier_conf"]
        # Copier renders the answers file's name through this hook with it set to "".
        answers_file = str(conf.get("answers_file") or ".copier-answers.yml")
        if problem := answers.fixed_answer_change(Path(conf["dst_path"], answers_file), context):
            raise UserMessageError(problem)
        database, server = context.get("database"), context.get("server")
        # A project made before the worker question has none recorded: the default, as it had.
        worker = context.get("worker") or variants.DEFAULT_WORKER
        if database in variants.DATABASES and server in variants.SERVERS and worker in variants.WORKERS:
            context["db"] = variants.DATABASES[database]
            context["gateway"] = variants.SERVERS[server]
            context["tasks"] = variants.WORKERS[worker]
            context["common_requirements"] = variants.COMMON_REQUIREMENTS
            context["databases"] = variants.DATABASES
            context["servers"] = variants.SERVERS
            context["workers"] = variants.WORKERS
            context["immediate_backend"] = variants.IMMEDIATE_BACKEND
            context["variant_lock"] = variant_lock(database, server, worker)
        context["gateway_config_files"] = [s.config_file for s in variants.SERVERS.values() if s.config_file]
