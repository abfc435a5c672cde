"""Formatting for the report: markdown tables and the units the figures print."""

from __future__ import annotations

from dataclasses import dataclass, field

MB = 1e6


def table(headers: list[str], rows: list[list]) -> str:
    def cell(value):
        return str(value).replace("|", "\\|")

    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(cell(value) for value in line) + " |" for line in lines)


def ms(value: float) -> str:
    return f"{value:.2f}"


def workers_memory(memory: dict) -> str:
    """Each worker's RSS/PSS in MB: "42/17, 42/17"."""
    return ", ".join(f"{worker['rss_mb']:.0f}/{worker['pss_mb']:.0f}" for worker in memory["workers"])


def load_cells(row: dict) -> list[str]:
    """req/s, p50, p90, p99, errors, and RSS/PSS per worker of one wrk row."""
    return [
        f"{row['requests_per_second']:.0f}",
        ms(row["p50"]),
        ms(row["p90"]),
        ms(row["p99"]),
        errors(row),
        workers_memory(row["memory"]),
    ]


LOAD_HEADERS = ["req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "RSS/PSS MB per worker"]


def errors(row: dict) -> str:
    kinds = [f"{count} {kind}" for kind, count in row["socket_errors"].items() if count]
    if row["bad_status"]:
        kinds.append(f"{row['bad_status']} status ≥ 400")
    return ", ".join(kinds) or "0"


@dataclass
class Rendered:
    """What the report shows of one figure: per check its measured text and, for a miss, what
    limits it; what the figure's part of bench/report.md fills in (its tables, its settings); and
    its rows in the README's summary, as (figure, latest, verdict)."""

    measured: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    summary: list[tuple[str, str, str]] = field(default_factory=list)


def overall(verdicts) -> str:
    """PASS if every verdict is, else MISS."""
    return "MISS" if "MISS" in verdicts else "PASS"
