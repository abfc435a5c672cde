"""What the gateway's application answers before Django handles a request: the liveness probe
and the collected static files; and, around every request, its id and its access line (logs.py), and
its span when traces are on (traces.py).

Neither needs Django's request handling, which under ASGI runs sync code in a worker thread and
costs several times the answer itself (docs/benchmark.md in the template's repository measures
it). The same answers reach Django through health.py and WhiteNoiseMiddleware when no gateway
wraps the application (runserver, the test client).

Before either, it applies FORWARDED_ALLOW_IPS to the request's X-Forwarded-For and
X-Forwarded-Proto (Proxies), the same way under every gateway.
"""

import ipaddress
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from whitenoise import WhiteNoise

from . import logs

LIVENESS = "/healthz"
# Not traced: the probes, which a platform sends every few seconds (health.py answers /readyz).
UNTRACED = (LIVENESS, "/readyz")
# A calling service's span, which the request's continues (traces.py): W3C Trace Context's headers.
TRACE_CONTEXT_HEADERS = (b"traceparent", b"tracestate")
ALIVE = b"ok"
ALIVE_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(ALIVE)))]
# ManifestStaticFilesStorage's names: a 12-digit content hash before the extension.
HASHED_NAME = r"^.+\.[0-9a-f]{12}\..+$"

logger = logging.getLogger(__name__)


def security_headers(headers, path, url):
    """What SecurityMiddleware adds to every response, set once per file."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers["Strict-Transport-Security"] = hsts


def static_files(application=None):
    """WhiteNoise serving STATIC_ROOT in front of `application`, as WhiteNoiseMiddleware would."""
    return WhiteNoise(
        application,
        root=settings.STATIC_ROOT,
        prefix=settings.STATIC_URL,
        max_age=60,
        immutable_file_test=HASHED_NAME,
        add_headers_function=security_headers,
    )


def may_serve_static(forwarded_proto, scheme):
    """Whether to serve a static file as asked; if not, Django answers with its HTTPS redirect."""
    return not settings.SECURE_SSL_REDIRECT or "https" in (forwarded_proto, scheme)


class Proxies:
    """settings.FORWARDED_ALLOW_IPS, the one rule every gateway follows (uvicorn's): a request
    from one of these addresses may name its client in X-Forwarded-For (the last address there
    that is not one of them) and its scheme in X-Forwarded-Proto; from any other, both headers
    are dropped, so that neither REMOTE_ADDR nor request.is_secure() takes a client's word."""

    ASGI_NAMES = (b"x-forwarded-for", b"x-forwarded-proto")

    def __init__(self, allowed):
        self.any = allowed == ["*"]
        self.networks = [] if self.any else [ipaddress.ip_network(item) for item in allowed]
        self.warned = False

    def dropped(self, peer):
        """Says once per process that headers were dropped: behind a proxy the variable does not
        name yet, every request looks like plain HTTP, and SECURE_SSL_REDIRECT redirects forever."""
        if not self.warned:
            self.warned = True
            logger.warning(
                "X-Forwarded-For/-Proto from %s ignored: FORWARDED_ALLOW_IPS does not name it; "
                "if it is your proxy or load balancer, add its address or network there",
                peer,
            )

    def trusts(self, address):
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, forwarded_for):
        """The client's address in an X-Forwarded-For value, or None if it names none."""
        hosts = [host.strip() for host in forwarded_for.split(",") if host.strip()]
        if not hosts:
            return None
        untrusted = [host for host in hosts if not self.trusts(host)]
        client = hosts[0] if self.any or not untrusted else untrusted[-1]
        try:
            return str(ipaddress.ip_address(client))
        except ValueError:
            return None

    @staticmethod
    def scheme(forwarded_proto):
        scheme = forwarded_proto.split(",")[0].strip().lower()
        return scheme if scheme in ("http", "https") else None

    def apply_wsgi(self, environ):
        peer = environ.get("REMOTE_ADDR", "")
        if not self.trusts(peer):
            if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_FOR" in environ:
                self.dropped(peer)
            if environ.pop("HTTP_X_FORWARDED_PROTO", None) is not None:
                # uWSGI has already taken the scheme from it: the connection's own, again.
                environ["wsgi.url_scheme"] = (
                    "https" if environ.get("HTTPS") in ("on", "1") else "http"
                )
            environ.pop("HTTP_X_FORWARDED_FOR", None)
            return
        client = self.client(environ.get("HTTP_X_FORWARDED_FOR", ""))
        scheme = self.scheme(environ.get("HTTP_X_FORWARDED_PROTO", ""))
        if client:
            environ["REMOTE_ADDR"] = client
        if scheme:
            environ["wsgi.url_scheme"] = scheme

    def apply_asgi(self, scope):
        forwarded = {}
        for name, value in scope["headers"]:
            if name in self.ASGI_NAMES:
                forwarded.setdefault(name, []).append(value.decode("latin-1"))
        if not forwarded:
            return
        peer = scope.get("client")
        if not (peer and self.trusts(peer[0])):
            self.dropped(peer[0] if peer else "an unknown peer")
            scope["headers"] = [
                (name, value) for name, value in scope["headers"] if name not in forwarded
            ]
            return
        client = self.client(", ".join(forwarded.get(b"x-forwarded-for", [])))
        scheme = self.scheme(", ".join(forwarded.get(b"x-forwarded-proto", [])))
        if client:
            scope["client"] = (client, 0)
        if scheme:
            scope["scheme"] = scheme


def tracing():
    """traces.py when traces are on, else None: importing it imports OpenTelemetry."""
    if settings.TRACES_ENDPOINT:
        from . import traces

        return traces
    return None


async def lifespan(application, scope, receive, send):
    """ASGI's lifespan, which the gateway runs around serving (uvicorn by default): at its
    shutdown, after the last request has been answered, the batch of log lines waiting is written
    and each line from then on at once, since the process may end without Python's exit hooks.
    Django's application does not answer the lifespan, so it is answered here; an application of
    the project's own (an adopted project's asgi.py) gets it and answers it itself, unless it
    raises or returns without answering (Channels' router raises), when it is answered here."""
    received = []

    async def receive_and_flush():
        message = await receive()
        received.append(message["type"])
        if message["type"] == "lifespan.shutdown":
            logs.lines_at_once()
        return message

    if application is not None and not isinstance(application, ASGIHandler):
        answers = []

        async def send_answer(message):
            answers.append(message["type"])
            await send(message)

        try:
            await application(scope, receive_and_flush, send_answer)
        except Exception as error:
            if answers:
                raise
            logger.info("The application refuses ASGI's lifespan (%r): front.py answers it", error)
        if answers:
            return
    if received == ["lifespan.startup"]:
        await send({"type": "lifespan.startup.complete"})
    while True:
        message = await receive_and_flush()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class OneThreadHandler(ASGIHandler):
    """Django's ASGI handler with a request's middleware and view run in one thread. Django's own
    runs sync middleware (Django's, and this project's) in a thread, returns to the event loop
    for the view, then goes back to the thread for a sync view: with the two switches, the
    benchmark's page served about a tenth fewer requests a second under uvicorn. An async
    middleware or view still works: Django runs it on the event loop from that thread."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def asgi_headers(headers):
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def wsgi(application):
    """The gateway's application: `application` behind the answers above. The gateway's
    processes write their log lines in batches (logs.py), and the last one as they exit."""
    logs.batch_lines()
    static = static_files(application)
    proxies = Proxies(settings.FORWARDED_ALLOW_IPS)
    traces = tracing()

    def answer(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == LIVENESS:
            start_response("200 OK", ALIVE_HEADERS)
            return [ALIVE]
        static_file = static.files.get(path)
        forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
        if static_file and may_serve_static(forwarded_proto, environ["wsgi.url_scheme"]):
            return static.serve(static_file, environ, start_response)
        return application(environ, start_response)

    def front(environ, start_response):
        started = time.perf_counter()
        proxies.apply_wsgi(environ)
        request_id = logs.incoming_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["HTTP_X_REQUEST_ID"] = request_id
        token = logs.request_id.set(request_id)
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        traced = None
        if traces and path not in UNTRACED:
            context = environ.get("HTTP_TRACEPARENT"), environ.get("HTTP_TRACESTATE")
            traced = traces.request_scope(method, path, *context)
        status = "500"

        def start_with_id(status_line, headers, exc_info=None):
            nonlocal status
            status = status_line.partition(" ")[0]
            return start_response(status_line, [*headers, ("X-Request-ID", request_id)], exc_info)

        try:
            return answer(environ, start_with_id)
        finally:
            duration = time.perf_counter() - started
            logs.access(method, path, int(status), duration, environ.get("REMOTE_ADDR", ""))
            if traced:
                traces.answered(traced, int(status))
            logs.request_id.reset(token)

    return front


def asgi(application):
    """The same for ASGI; the gateway's processes write their last batch of log lines at the
    application's lifespan shutdown, which this answers itself (Django does not). Django's own
    application, as get_asgi_application() makes it, is served by OneThreadHandler instead."""
    logs.batch_lines()
    if type(application) is ASGIHandler:
        application = OneThreadHandler()
    static = static_files()
    proxies = Proxies(settings.FORWARDED_ALLOW_IPS)
    alive_headers = asgi_headers(ALIVE_HEADERS)
    traces = tracing()

    async def front(scope, receive, send):
        if scope["type"] == "lifespan":
            return await lifespan(application, scope, receive, send)
        if scope["type"] != "http":
            return await application(scope, receive, send)
        started = time.perf_counter()
        proxies.apply_asgi(scope)
        incoming = [value for name, value in scope["headers"] if name == b"x-request-id"]
        request_id = logs.incoming_request_id(incoming[0].decode("latin-1") if incoming else None)
        scope["headers"] = [
            *((name, value) for name, value in scope["headers"] if name != b"x-request-id"),
            (b"x-request-id", request_id.encode()),
        ]
        token = logs.request_id.set(request_id)
        method, path = scope["method"], scope["path"]
        traced = None
        if traces and path not in UNTRACED:
            received = dict(scope["headers"])
            context = [received.get(name, b"").decode("latin-1") for name in TRACE_CONTEXT_HEADERS]
            traced = traces.request_scope(method, path, *context)
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await answer(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            client = scope["client"][0] if scope.get("client") else ""
            logs.access(method, path, status, duration, client)
            if traced:
                traces.answered(traced, status)
            logs.request_id.reset(token)

    async def answer(scope, receive, send):
        path = scope["path"]
        if path == LIVENESS:
            await send({"type": "http.response.start", "status": 200, "headers": alive_headers})
            return await send({"type": "http.response.body", "body": ALIVE})
        static_file = static.files.get(path)
        if not static_file:
            return await application(scope, receive, send)
        # The request headers as WhiteNoise reads them, WSGI-style.
        headers = {
            f"HTTP_{name.decode('latin-1').upper().replace('-', '_')}": value.decode("latin-1")
            for name, value in scope["headers"]
        }
        if not may_serve_static(headers.get("HTTP_X_FORWARDED_PROTO"), scope["scheme"]):
            return await application(scope, receive, send)
        response = static_file.get_response(scope["method"], headers)
        await send(
            {
                "type": "http.response.start",
                "status": int(response.status),
                "headers": asgi_headers(response.headers),
            }
        )
        if response.file is None:
            return await send({"type": "http.response.body", "body": b""})
        # Read here rather than in a thread: the files are the image's own, in the page cache, and
        # a chunk is read faster than the switch to a thread and back.
        with response.file as file:
            while chunk := file.read(64 * 1024):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return await send({"type": "http.response.body", "body": b""})

    return front
