"""The benchmark's figures, in the order `python -m bench.run` measures them and
`python -m bench.report` shows them: module names under bench/figures/. Each guards a target;
the studies whose decision is taken are docs/benchmark.md's "Decided studies" (bench/decided.md)."""

FIGURES = (
    "image_size",
    "rebuild",
    "cold_start",
    "throughput",
    "soak",
    "database_page",
    "worker",
    "observability",
)
