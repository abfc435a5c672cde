"""The benchmark's task app: one task that says when it started, and the `bench_tasks` command that
enqueues batches of it and reads the results (the worker figure, bench/figures/worker.py).
`bench/projects.py` adds it to the bench's copy of a rendered project, never to the template."""
