"""Log lines, one a line on stdout: JSON objects (LOG_FORMAT=json, the image's default) for the
platform's collector, or text for people (LOG_FORMAT=text, .env-local's); each line written while
serving a request carries that request's id.

logging.json, next to this file, is the configuration: the settings' LOGGING and gunicorn's
logconfig_dict read it through config(), uvicorn reads it itself (--log-config). front.py takes the
request id and writes the one access line of each request, under every gateway alike.
"""

import contextvars
import datetime
import json
import logging
import os
import re
import threading
import time
import uuid
import weakref
from pathlib import Path

from . import environment as env

FORMATS = ("json", "text")
# What a line carries of the request or task being served, each from a context variable: with
# contextvars, every thread (WSGI) and every task of the event loop (ASGI) has its own.
request_id = contextvars.ContextVar("request_id", default="")
# The trace and span a line is written in, with traces on (traces.py): the request's or the task's.
trace_id = contextvars.ContextVar("trace_id", default="")
span_id = contextvars.ContextVar("span_id", default="")
CONTEXT = {"request_id": request_id, "trace_id": trace_id, "span_id": span_id}
# The fields an access line (front.py) adds, as `extra`; no other attribute of a record is written,
# so that nothing a library attaches to one (a request, its headers and cookies) reaches a line.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client")
# Its message, the same fields as text: "GET /shop/ 200 12.5ms 203.0.113.7".
ACCESS_MESSAGE = "%s %s %s %sms %s"
# Loggers whose lines repeat for as long as a cause outside the project lasts: OpenTelemetry's
# exporter logs each failed attempt, every few seconds while the collector does not answer.
REPEATING = ("opentelemetry",)
REPEAT_SECONDS = 60
# An incoming X-Request-ID is kept when it looks like an id: anything else, which a client may have
# shaped to forge or break lines, is replaced.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

# Lines leave in batches (BatchingStreamHandler), each at most this long after its first line, in
# the processes that call batch_lines(); in any other, each line at once.
BATCH_SECONDS = 0.05
batching = False
# The most characters one write of a batch carries (a longer line goes alone): uWSGI's master passes
# on a message of at most 128 KiB whole (log-master-bufsize), and a character takes up to 4 bytes.
BATCH_CHARACTERS = 32768

access_logger = logging.getLogger("access")
# The names kept() gives the template's filters, formatter and handler in a project's own LOGGING.
ADDED = "twelve_factor_"
# The streams of a handler of the project's own that prints on the console (None: stderr).
CONSOLE = (None, "ext://sys.stderr", "ext://sys.stdout")


def config(level="INFO", format=None):
    """The dictConfig of logging.json: every line through the root logger, at `level`."""
    config = json.loads(Path(__file__).with_name("logging.json").read_text())
    config["root"]["level"] = level
    if format:
        config["formatters"]["line"]["format"] = format
    return config


def kept(yours, template):
    """A LOGGING of the project's own (an adopted project's), with `template`'s handler (config()'s)
    added under names of its own: the access line goes to it, and so does whatever reaches the root
    logger when yours gives that no handler. Without it, the access lines would reach no handler,
    and the lines of loggers yours does not name would fall to Python's last resort (WARNING and
    above, bare text). Your handlers that print on the console (a logging.StreamHandler on stderr
    or stdout, Django's "console") print through the template's instead, with their level and
    filters, so the image's lines stay one format; and where the root logger gets the template's
    handler, a logger of yours that prints on the console passes its lines no further, as before,
    which would print them twice. A logger of yours with no handler that passes nothing on gets
    the template's; and no logger that exists already is disabled (the gateway's do)."""
    ours = {**template["handlers"]["stdout"]}
    ours["filters"] = [ADDED + name for name in ours["filters"]]
    ours["formatter"] = ADDED + ours["formatter"]
    handlers, console = {}, set()
    for name, handler in yours.get("handlers", {}).items():
        if handler.get("class") == "logging.StreamHandler" and handler.get("stream") in CONSOLE:
            console.add(name)
            level = {"level": handler["level"]} if "level" in handler else {}
            handler = {**ours, **level, "filters": [*handler.get("filters", []), *ours["filters"]]}
        handlers[name] = handler
    merged = {
        **yours,
        # The gateway's loggers exist before the settings: disabled, its lines would be lost.
        "disable_existing_loggers": False,
        "filters": {**yours.get("filters", {}), **added(template["filters"])},
        "formatters": {**yours.get("formatters", {}), **added(template["formatters"])},
        "handlers": {**handlers, ADDED + "stdout": ours},
    }
    level = template["root"]["level"]
    access = {"handlers": [ADDED + "stdout"], "level": level, "propagate": False}
    loggers = {name: {**logger} for name, logger in yours.get("loggers", {}).items()}
    root = yours.get("root", {})
    if not root.get("handlers"):
        merged["root"] = {"level": level, **root, "handlers": [ADDED + "stdout"]}
        for logger in loggers.values():
            if console & set(logger.get("handlers", [])):
                logger["propagate"] = False
    for logger in loggers.values():
        # No handler and nothing passed on: its lines fell to Python's last resort (WARNING and
        # above, bare text).
        if not logger.get("handlers") and logger.get("propagate", True) is False:
            logger["handlers"] = [ADDED + "stdout"]
    merged["loggers"] = {access_logger.name: access, **loggers}
    return merged


def added(parts):
    """The template's filters or formatters under the names kept() gives them."""
    return {ADDED + name: value for name, value in parts.items()}


def formatter(format=None):
    """The formatter of `format`; uvicorn's master process, which reads logging.json before any
    settings, leaves it to LOG_FORMAT (which the image's environment check has read already)."""
    format = format or env.choice("LOG_FORMAT", "json", FORMATS)
    if format == "json":
        return JSONFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


class ContextFilter(logging.Filter):
    """Puts CONTEXT's values on every record that a handler writes."""

    def filter(self, record):
        for name, variable in CONTEXT.items():
            setattr(record, name, variable.get())
        return True


class OncePerMinute(logging.Filter):
    """Lets through one line a minute of each of the REPEATING loggers, and every other line."""

    def __init__(self):
        super().__init__()
        self.last = {}

    def filter(self, record):
        if not record.name.startswith(REPEATING):
            return True
        if record.created - self.last.get(record.name, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return False
        self.last[record.name] = record.created
        return True


# One encoder for every line: json.dumps() with an argument builds a new one each call.
ENCODER = json.JSONEncoder(default=str)
LINE_FIELDS = (*CONTEXT, *ACCESS_FIELDS)


class JSONFormatter(logging.Formatter):
    def __init__(self):
        super().__init__()
        # The same on every line of the process: read once (README.md, "Environment and release").
        deployment = {"environment": env.environment_name(), "release": env.release()}
        self.deployment = {name: value for name, value in deployment.items() if value}

    def format(self, record):
        # A dict logged as the message (structlog's event dict, through logging) gives its fields
        # to the line, its "event" the message.
        fields = record.msg if isinstance(record.msg, dict) and not record.args else {}
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": str(fields.get("event", "")) if fields else record.getMessage(),
        }
        for name in LINE_FIELDS:
            value = getattr(record, name, None)
            if value not in (None, ""):
                line[name] = value
        for name, value in fields.items():
            line.setdefault(name, value)
        line.pop("event", None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        line.update(self.deployment)
        return ENCODER.encode(line)


def batch_lines():
    """Has this process, and the processes it forks, write their lines in batches: the gateway's
    (front.py), whose processes write their last batch as they exit, or, under an ASGI gateway,
    at the application's lifespan shutdown (lines_at_once()). Not the others: RQ's work horse,
    which runs a task in a fork, ends with os._exit(), which would lose it."""
    global batching
    batching = True


def lines_at_once():
    """Has this process write the batch waiting, then each line at once: for a process that ends
    without Python's exit hooks, once it has answered its last request (uvicorn's worker, which
    ends by raising the SIGTERM that stopped it again; front.py calls this at ASGI's lifespan
    shutdown)."""
    global batching
    batching = False
    for handler in _handlers:
        handler.flush()


class BatchingStreamHandler(logging.StreamHandler):
    """Writes its lines in batches once batch_lines() is called, not one write each: a batch
    leaves BATCH_SECONDS after its first line, from a thread of the handler's, and at once with a
    line at ERROR or above. What collects a container's output (the runtime's log driver, and
    uWSGI's master) spends on each write about what it spends on its lines: with one write a
    request, the benchmark's page served a fifth fewer requests a second under uWSGI, a tenth
    fewer under gunicorn. A process that exits writes its last batch (logging.shutdown()
    flushes); one killed outright (SIGKILL, the kernel's out-of-memory killer) loses at most its
    last BATCH_SECONDS of lines below ERROR."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self.started_batches()
        _handlers.add(self)

    def started_batches(self, pid=None):
        # Locks taken in this order only: the handler's (logging holds it around emit() and
        # flush()), then `writing`, then `adding`.
        self.writing, self.adding = threading.Lock(), threading.Lock()
        self.batch, self.first_line, self.batch_pid = [], threading.Event(), pid
        if pid:
            threading.Thread(target=self.write_batches, name="log-batches", daemon=True).start()

    def emit(self, record):
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        with self.adding:
            if self.batch_pid != os.getpid():
                # This process's first line: a forked child's copies are its parent's.
                self.started_batches(os.getpid())
            self.batch.append(line)
            first = len(self.batch) == 1
        if record.levelno >= logging.ERROR or not batching:
            self.flush()
        elif first:
            self.first_line.set()

    def write_batches(self):
        while True:
            self.first_line.wait()
            time.sleep(BATCH_SECONDS)
            self.first_line.clear()
            self.flush()

    def flush(self):
        with self.writing:
            with self.adding:
                batch, self.batch = self.batch, []
            if not batch:
                return
            try:
                for chunk in chunks(batch):
                    self.stream.write(chunk)
                self.stream.flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": f"{len(batch)} lines were lost"}))


# A fork waits for a batch being written: one forked in the middle of a write would find the
# stream locked in the child.
_handlers = weakref.WeakSet()


def _hold_writes():
    for handler in _handlers:
        handler.writing.acquire()


def _release_writes():
    for handler in _handlers:
        handler.writing.release()


def _start_afresh():
    for handler in _handlers:
        handler.started_batches()


os.register_at_fork(
    before=_hold_writes, after_in_parent=_release_writes, after_in_child=_start_afresh
)


def chunks(lines):
    """`lines` joined into strings of at most BATCH_CHARACTERS, or of one longer line."""
    chunk, size = [], 0
    for line in lines:
        if chunk and size + len(line) > BATCH_CHARACTERS:
            yield "".join(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        yield "".join(chunk)


def incoming_request_id(value):
    """The request's id: the client's or proxy's X-Request-ID when well-formed, else a new one."""
    if value and WELL_FORMED_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def access(method, path, status, duration, client):
    """The request's access line (its id comes from the context)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration * 1000, 1),
        "client": client,
    }
    # Made without logging's search of the stack for its caller, which is always this function.
    args = (*fields.values(),)
    record = access_logger.makeRecord(
        access_logger.name, logging.INFO, "", 0, ACCESS_MESSAGE, args, None, extra=fields
    )
    access_logger.handle(record)
