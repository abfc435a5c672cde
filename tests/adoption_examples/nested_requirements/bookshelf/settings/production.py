import os

import environ

from .base import *  # noqa: F403

# The settings' own reader, named as django-environ's documentation names it.
env = environ.Env()

DEBUG = False
# Read at import, without a default: the image build's collectstatic needs stand-ins.
SECRET_KEY = env("SHELF_SECRET_KEY")
ADMINS = [("Shelf", os.environ["SHELF_ADMIN_EMAIL"])]
ALLOWED_HOSTS = ["shelf.example.com"]
SECURE_HSTS_SECONDS = 3600
# The site's own choices, which the adoption keeps.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]  # frames from the same origin, on purpose
SESSION_COOKIE_NAME = "shelf_session"
