"""WSGI config for bookshelf: manage.py and it name the development settings."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshelf.settings.dev")

application = get_wsgi_application()
