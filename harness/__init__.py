"""Shared code for the tests and the benchmark: one place each for rendering a project and calling
the Copier CLI (render), running a rendered project's manage.py on this machine (project), the
environment a platform gives a project (environments), building and running its image (images),
the throwaway database and S3 servers (services) and git (git).

tests/conftest.py holds only the fixtures and hooks built on these.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Virtualenvs and tools the tests make once and keep between runs.
CACHE = REPO / ".cache"
