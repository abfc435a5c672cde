from django.core.wsgi import get_wsgi_application

from . import bare  # noqa: F401 - configures Django

application = get_wsgi_application()
