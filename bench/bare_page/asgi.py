from django.core.asgi import get_asgi_application

from . import bare  # noqa: F401 - configures Django

application = get_asgi_application()
