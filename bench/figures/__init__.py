"""One module per figure of the benchmark; bench/manifest.py lists them in the order they run.

Each module has TITLE, TARGET (a list of bounds from bench/targets.py, or None for a figure that
only reports), measure(session) -> {"checks": [...], "data": {...}}, which only measures, and
render(figure, verdicts) -> bench.markdown.Rendered, which only reads the JSON. A check is
{"name", "label", "measured": {every number TARGET bounds}}.
"""
