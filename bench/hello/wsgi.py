"""A bare hello-world WSGI app: the baseline each gateway is compared with.

The benchmark copies it over the project's own wsgi.py in a derived image, so the image's CMD and
the gateway's config run unchanged, pointed at this instead of Django.
"""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
