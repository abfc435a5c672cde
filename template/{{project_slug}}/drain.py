"""Run the gateway server given as arguments; on SIGTERM, drain before passing it on.

A load balancer that probes /readyz stops sending requests to a container only once a probe has
failed, but a gateway stops accepting connections the moment it gets SIGTERM, so requests sent
in between would fail. As the image's first process, this marks the container as draining, which
/readyz answers with 503, keeps the gateway serving for DRAIN_SECONDS, then sends it SIGTERM: it
finishes the requests in flight and exits, and this process exits with its code. Other signals
go straight to the gateway.

With METRICS_PORT set, it also serves the metrics of the gateway's processes there (metrics.py):
it outlives every one of them, whichever gateway it runs.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import environment as env

# Names the marker file to the gateway's processes, which inherit it: only they see this
# process's draining, and a process started any other way (runserver, a test) never drains.
MARKER_VARIABLE = "DRAIN_MARKER"
FORWARDED = (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def draining():
    """Whether the drain.py this process runs under has had SIGTERM."""
    marker = os.environ.get(MARKER_VARIABLE)
    return bool(marker) and Path(marker).exists()


def main():
    drain_seconds = env.drain_seconds()
    metrics_port = env.metrics_port()
    # In the temporary directory (/tmp, writable even on a read-only root file system), one per
    # drain.py process: on a machine that runs several, or this one again, none sees another's.
    marker = Path(tempfile.gettempdir()) / f"{__package__}-draining-{os.getpid()}"
    marker.unlink(missing_ok=True)
    environment = {**os.environ, MARKER_VARIABLE: str(marker)}
    folder = Path(tempfile.gettempdir()) / f"{__package__}-metrics-{os.getpid()}"
    if metrics_port:
        # Only then: the metrics' library takes some 11 MB of this process's memory.
        from . import metrics

        # Emptied first: a restarted container (whose /tmp Kubernetes keeps) counts from zero.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        environment[metrics.FOLDER_VARIABLE] = str(folder)
        metrics.serve(metrics_port, folder)
    server = subprocess.Popen(sys.argv[1:], env=environment)

    def drain_then_stop(_signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        marker.touch()
        time.sleep(drain_seconds)
        server.terminate()

    signal.signal(signal.SIGTERM, drain_then_stop)
    for forwarded in FORWARDED:
        signal.signal(forwarded, lambda signum, _frame: server.send_signal(signum))
    try:
        code = server.wait()
    finally:
        marker.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
