"""Reading what a container logged: the JSON objects, one a line, that every gateway and the worker
print by default (the generated project's logs.py)."""

from __future__ import annotations

import json
import re


def json_lines(output: str, unstructured_start_lines: tuple[str, ...] = ()) -> list[dict]:
    """Every line of `output` as the JSON object it must be, each with its time and level. Lines
    matching one of `unstructured_start_lines` (a gateway row's: what it prints before its logger
    exists) are left out, but only before its first JSON object."""
    started = False
    objects = []
    for number, line in enumerate(output.splitlines(), start=1):
        if not started and any(re.match(pattern, line) for pattern in unstructured_start_lines):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        assert isinstance(value, dict), f"line {number} is not a JSON object: {line[:500]!r}"
        assert {"time", "level", "message"} <= value.keys(), f"line {number} lacks a field: {line[:500]}"
        started = True
        objects.append(value)
    return objects
