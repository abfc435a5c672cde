"""Run the gateway server given as arguments; on SIGTERM, drain before passing it on.

A load balancer that probes /readyz stops sending requests to a container only once a probe has
failed, but a gateway stops accepting connections the moment it gets SIGTERM, so requests sent
in between would fail. As the image's first process, this marks the container as draining, which
/readyz answers with 503, keeps the gateway serving for DRAIN_SECONDS, then sends it SIGTERM: it
finishes the requests in flight and exits, and this process exits with its code. Other signals
go straight to the gateway.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

from . import environment as env

# In /tmp, writable even on a read-only root file system; one per container.
DRAINING = Path("/tmp/draining")
FORWARDED = (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def main():
    drain_seconds = env.integer("DRAIN_SECONDS", default=0)
    DRAINING.unlink(missing_ok=True)
    server = subprocess.Popen(sys.argv[1:])

    def drain_then_stop(_signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        DRAINING.touch()
        time.sleep(drain_seconds)
        server.terminate()

    signal.signal(signal.SIGTERM, drain_then_stop)
    for forwarded in FORWARDED:
        signal.signal(forwarded, lambda signum, _frame: server.send_signal(signum))
    code = server.wait()
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
