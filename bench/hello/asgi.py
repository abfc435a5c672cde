"""A hello-world ASGI app, copied over the project's asgi.py like hello/wsgi.py, with the same
access line a request.

Like Django's ASGI handler it speaks HTTP only, so uvicorn treats both alike at startup.
"""

import logging.config
import time

from . import logs

logging.config.dictConfig(logs.config())


async def application(scope, receive, send):
    if scope["type"] != "http":
        raise ValueError(f"only HTTP, not {scope['type']}")
    started = time.perf_counter()
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})
    client = scope["client"][0] if scope.get("client") else ""
    logs.access(scope["method"], scope["path"], 200, time.perf_counter() - started, client)
