import os

from .base import *  # noqa: F403

DEBUG = False
# Read at import, without a default: the image build's collectstatic needs a stand-in.
SECRET_KEY = os.environ["SHELF_SECRET_KEY"]
ALLOWED_HOSTS = ["shelf.example.com"]
SECURE_HSTS_SECONDS = 3600
# The site's own choices, which the adoption keeps.
X_FRAME_OPTIONS = "SAMEORIGIN"
SESSION_COOKIE_NAME = "shelf_session"
