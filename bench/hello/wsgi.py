"""A hello-world WSGI app: the baseline each gateway is compared with.

The benchmark copies it over the project's own wsgi.py in a derived image, so the image's CMD and
the gateway's config run unchanged, pointed at this instead of Django. Like any app in production
it writes one access line a request: the project's own (logs.access, configured as the project
configures it), as the gateways' own access logs did before the project wrote its line, so that
the ratio measures what the project adds to serving and logging a request, not the line itself.
"""

import logging.config
import time

from . import logs

logging.config.dictConfig(logs.config())


def application(environ, start_response):
    started = time.perf_counter()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    method, path, client = environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("REMOTE_ADDR", "")
    logs.access(method, path, 200, time.perf_counter() - started, client)
    return [b"ok"]
