import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("BOOKSHELF_SECRET_KEY", "")
ALLOWED_HOSTS = ["bookshelf.example.com"]
SECURE_HSTS_SECONDS = 3600
