"""`manage.py bench_tasks TASKS PROBES`: TASKS tasks enqueued at once, a line `enqueued` (the
benchmark starts the worker then), and once the worker has run them, PROBES more, one at a time
about every INTERVAL seconds (at random, so that they meet a polling worker at any point of its
wait). Its last line is JSON: what each task of the batch returned (when it started, and the CPU
time the worker had used by then), and each probe's seconds from just before its enqueue() to its
start."""

import json
import random
import time

from django.core.management.base import BaseCommand, CommandError

from bench_tasks.tasks import started

TIMEOUT = 300


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("tasks", type=int)
        parser.add_argument("probes", type=int)
        parser.add_argument("--interval", type=float, default=0.1)

    def handle(self, *, tasks, probes, interval, **options):
        batch = [started.enqueue() for _ in range(tasks)]
        self.stdout.write("enqueued")
        self.stdout.flush()
        starts = [result.return_value for result in finished(batch)]
        probed = []
        for _ in range(probes):
            time.sleep(random.uniform(0, 2 * interval))
            enqueued = time.time()
            probed.append((enqueued, started.enqueue()))
        finished([result for _, result in probed])
        latencies = [result.return_value[0] - enqueued for enqueued, result in probed]
        self.stdout.write(json.dumps({"starts": sorted(starts), "latencies": latencies}))


def finished(results):
    """`results` once the last has finished, each checked to have succeeded. A worker runs them in
    order, so until the last one has, polling the others would only take CPU from it."""
    deadline = time.monotonic() + TIMEOUT
    for result in reversed(results):
        result.refresh()
        while not result.is_finished:
            if time.monotonic() > deadline:
                raise CommandError(f"task {result.id} is {result.status} after {TIMEOUT} s")
            time.sleep(0.05)
            result.refresh()
        if result.status != "SUCCESSFUL":
            raise CommandError(f"task {result.id} is {result.status}: {result.errors}")
    return results
