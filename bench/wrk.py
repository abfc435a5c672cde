"""Run wrk against a URL for a bounded time and read its summary."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass(frozen=True)
class Result:
    requests: int
    requests_per_second: float
    # Latency percentiles in milliseconds.
    p50: float
    p90: float
    p99: float
    # Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
    bad_status: int
    # Socket errors by kind: connect, read, write, timeout.
    socket_errors: dict[str, int]

    @property
    def errors(self) -> int:
        return self.bad_status + sum(self.socket_errors.values())

    def describe_errors(self) -> str:
        kinds = [f"{count} {kind}" for kind, count in self.socket_errors.items() if count]
        if self.bad_status:
            kinds.append(f"{self.bad_status} status ≥ 400")
        return ", ".join(kinds) or "0"

    def as_dict(self) -> dict:
        """The figures' raw data: every field, and the error total."""
        return {**asdict(self), "errors": self.errors}


def run(url: str, connections: int, seconds: int, headers=(), log: Path | None = None) -> Result:
    """wrk --latency -t2 -c<connections> -d<seconds>s; the raw output goes to `log` if given."""
    command = ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {' '.join(command)} {url}\n{output}")
    return parse(output)


def parse(output: str) -> Result:
    def percentile(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M).groups()
        return float(value) * UNITS[unit]

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    kinds = ("connect", "read", "write", "timeout")
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50=percentile(50),
        p90=percentile(90),
        p99=percentile(99),
        bad_status=int(bad_status.group(1)) if bad_status else 0,
        socket_errors=dict(zip(kinds, map(int, socket.groups()) if socket else (0,) * 4, strict=True)),
    )
