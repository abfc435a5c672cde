"""A bare Django serving the benchmark's database-backed page: no middleware, no context
processors, only the bench_page app, and the project's own DATABASES (the same URL, options and
connection policy). The database-backed page figure compares the project with it.

With wsgi.py and asgi.py it is copied over the project's package in a derived image, like
bench/hello/: the image's CMD and the gateway's config run unchanged.
"""

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path, re_path

from . import settings as project

settings.configure(
    DEBUG=False,
    SECRET_KEY=project.SECRET_KEY,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=["bench_page"],
    DATABASES=project.DATABASES,
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    USE_TZ=True,
)
django.setup()

from bench_page.views import page  # noqa: E402 - needs the settings above


def with_length(view):
    """No CommonMiddleware here to add the length; keep-alive clients need it, and uWSGI's
    http-socket closes the connection after a response, which without it wrk counts as an error."""

    def wrapped(request):
        response = view(request)
        response.headers["Content-Length"] = str(len(response.content))
        return response

    return wrapped


def ok(request):
    return HttpResponse("ok", content_type="text/plain", headers={"Content-Length": "2"})


urlpatterns = [path("page/", with_length(page)), re_path("", ok)]  # /healthz included
