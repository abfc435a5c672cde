"""The least a Django project can be: no middleware, no apps, one view answering "ok" on every path.

With bench/bare_django/wsgi.py and asgi.py it is copied over the project's package in a derived
image, like bench/hello/: the gap between it and hello-world is Django's own cost on that gateway.
"""

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-django-" + "0123456789abcdef" * 4,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)
django.setup()


def ok(request):
    # No CommonMiddleware here to add the length; keep-alive clients need it.
    return HttpResponse("ok", content_type="text/plain", headers={"Content-Length": "2"})


urlpatterns = [re_path("", ok)]  # every path, /healthz included
