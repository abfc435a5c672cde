"""A bare hello-world ASGI app, copied over the project's asgi.py like hello/wsgi.py.

Like Django's ASGI handler it speaks HTTP only, so uvicorn treats both alike at startup.
"""


async def application(scope, receive, send):
    if scope["type"] != "http":
        raise ValueError(f"only HTTP, not {scope['type']}")
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})
