"""The benchmark's figures, in the order `python -m bench.run` measures them and
`python -m bench.report` shows them: module names under bench/figures/."""

FIGURES = (
    "image_size",
    "rebuild",
    "cold_start",
    "throughput",
    "soak",
    "asgi_static",
    "database_page",
    "connection_reuse",
    "granian",
)
