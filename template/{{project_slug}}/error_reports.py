"""Error reports to Sentry, when SENTRY_DSN is set (README.md, "Error reports"): each error a
request or a task raises, and each line logged at ERROR, with the environment and the release, and
the id of the request being served as the tag `request_id`. The settings import this module only
then: without SENTRY_DSN, Sentry's library is not even loaded.

What a privacy-minded user would not send stays off: the user, cookies and client addresses
(send_default_pii), request bodies and query strings, and the values of the stack's local
variables. Sentry neither traces nor profiles, nor adds its trace headers to the requests this
process sends: tracing is OpenTelemetry's. Each process sends its reports from a thread of its own,
started once it has one to send (after each gateway forks its workers, in each of them): a Sentry
that is down or slow never holds up a request, and what it cannot take in time is dropped.
"""

import logging

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.logging import ignore_logger

from . import logs

logger = logging.getLogger(__name__)


def start(dsn, environment, release):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # No tracing (no traces_sample_rate), and no sentry-trace or baggage headers either.
        trace_propagation_targets=[],
        before_send=tagged,
        # What is left to send at exit logged as a line, where Sentry's own prints text on stderr.
        integrations=[AtexitIntegration(callback=log_pending)],
    )
    # Written once a request is answered, outside its Sentry scope, the access line would be a
    # breadcrumb of the next report, naming another request's path and client.
    ignore_logger(logs.access_logger.name)


def started():
    """Whether Sentry runs already: an adopted project's own settings may start it."""
    return sentry_sdk.get_client().is_active()


def tagged(event, hint):
    """The event with the request's id as a tag, and without the request's query string."""
    request_id = logs.request_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    event.get("request", {}).pop("query_string", None)
    return event


def log_pending(pending, timeout):
    """Said at exit, while the reports still queued are sent."""
    logger.warning("sending %d error reports to Sentry, for %s s at most", pending, timeout)
