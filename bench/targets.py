"""Targets as data, and the verdict on a measurement.

A target is a list of bounds, each on one number a check measures: {"measure", "op", "value",
"text"}. The figures keep theirs next to their code and write them into the run's JSON with
the measurements; the report step computes the verdicts from the two.
"""

from __future__ import annotations

import operator

OPERATORS = {">=": operator.ge, "<=": operator.le}
SIGNS = {">=": "≥", "<=": "≤"}


def bound(measure: str, op: str, value: float, unit: str = "", text: str = "") -> dict:
    """`measure` `op` `value`; `unit` follows the value in the text ("× req/s", " s"), unless
    `text` says it all ("0 errors")."""
    return {"measure": measure, "op": op, "value": value, "text": text or f"{SIGNS[op]} {value}{unit}"}


def at_least(measure: str, value: float, unit: str = "", text: str = "") -> dict:
    return bound(measure, ">=", value, unit, text)


def at_most(measure: str, value: float, unit: str = "", text: str = "") -> dict:
    return bound(measure, "<=", value, unit, text)


NO_ERRORS = at_most("errors", 0, text="0 errors")


def text(target: list[dict]) -> str:
    return ", ".join(item["text"] for item in target)


def missed(target: list[dict], measured: dict) -> list[dict]:
    """The bounds of `target` that `measured` does not keep."""
    return [item for item in target if not OPERATORS[item["op"]](measured[item["measure"]], item["value"])]


def verdict(target: list[dict], measured: dict) -> str:
    return "MISS" if missed(target, measured) else "PASS"
