"""The environment a platform gives a project in production."""

from __future__ import annotations

import secrets
from pathlib import Path

from extensions import variants

# The URL of each worker backend's own server, as compose names it: the settings of a project with
# that backend require one, every other project ignores it (nothing connects until a task is queued).
WORKER_BACKENDS = {row.url_variable: row.local_url for row in variants.WORKERS.values() if row.url_variable}


def production_env(**overrides: str | None) -> dict[str, str]:
    """No DJANGO_DEBUG, a real secret, a domain, the worker backends' servers; `overrides` add or
    replace variables, and a None override leaves that variable out. DATABASE_URL and
    DEFAULT_STORAGE_DSN are the caller's."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DOMAIN": "example.com",
        "DOMAIN_ALIASES": "www.example.com",
        **WORKER_BACKENDS,
        **overrides,
    }
    return {name: value for name, value in env.items() if value is not None}


def production_env_on_disk(directory: Path, **overrides: str | None) -> dict[str, str]:
    """production_env() with the database and the media files under `directory`."""
    on_disk = {
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "DEFAULT_STORAGE_DSN": f"file://{directory / 'media'}/?url=%2Fmedia%2F",
    }
    return production_env(**{**on_disk, **overrides})
