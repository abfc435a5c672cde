"""Liveness and readiness probes, answered before host validation and the HTTPS redirect.

/healthz: the process is up and serving; touches nothing else. Under the gateway, front.py
answers it before Django; this middleware does when nothing wraps the application.
/readyz: the database answers a query and has every migration this code needs, and the
container is not shutting down (see drain.py); 503 otherwise.
"""

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse

from .drain import draining

logger = logging.getLogger(__name__)

# Once the schema is current it stays so for the life of this process: only new code brings
# new migrations, so the (slower) migration check runs until it first passes.
schema_is_current = False


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return plain_text("ok")
        if request.path == "/readyz":
            return readiness()
        return self.get_response(request)


def readiness():
    global schema_is_current
    if draining():
        return plain_text("shutting down", status=503)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not schema_is_current:
            executor = MigrationExecutor(connection)
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return plain_text("migrations not applied", status=503)
            schema_is_current = True
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readiness check failed: %s", error)
        # Drop the broken connection so the next probe starts afresh.
        connection.close()
        return plain_text("database unavailable", status=503)
    return plain_text("ready")


def plain_text(body, status=200):
    response = HttpResponse(body, status=status, content_type="text/plain")
    # These responses skip CommonMiddleware, which would otherwise add the length that
    # keep-alive clients need to find the end of the body.
    response["Content-Length"] = len(response.content)
    return response
