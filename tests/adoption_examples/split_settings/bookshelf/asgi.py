"""ASGI config for bookshelf."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshelf.settings.production")

application = get_asgi_application()
