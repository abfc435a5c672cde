"""One module per figure of the benchmark; bench/manifest.py lists them in the order they run.

Each module has TITLE, TARGET (a list of bounds from bench/targets.py), measure(session) ->
{"checks": [...], "data": {...}}, which only measures, and render(figure, verdicts) ->
bench.markdown.Rendered, which only reads the JSON (the prose is bench/report.md's). A check is
{"name", "label", "measured": {every number TARGET bounds}}.
"""
