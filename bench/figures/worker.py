"""The project's task worker (`manage.py worker`) against the backend library's own worker, in the
same image, on the same database and backend: tasks a second, enqueue → start latency, and the
memory of the idle worker."""

from __future__ import annotations

import json
import statistics
import time

from bench import markdown, session
from bench.measure import check, processes
from bench.targets import at_least
from extensions import variants
from harness.images import App
from harness.workers import WORKER_COMMAND

TITLE = "Task worker"
TARGET = [at_least("tasks_per_second_ratio", 0.9, "× the library's worker's tasks/s")]
# Each backend library's own worker, as its README runs it, by the row's backend.
LIBRARY_WORKERS = {
    "django_tasks_db.DatabaseBackend": ["python", "manage.py", "db_worker"],
    "django_tasks_rq.RQBackend": ["python", "manage.py", "rqworker", "--job-class", "django_tasks_rq.Job"],
}
LIBRARY, PROJECT = "library's worker", "manage.py worker"


def measure(bench: session.Session) -> dict:
    plan = bench.plan
    rows, checks = {}, []
    for database, worker in plan.task_cells:
        image = bench.tasks_image(database, worker)
        env, volumes = bench.task_environment(database, worker)
        commands = {LIBRARY: LIBRARY_WORKERS[variants.WORKERS[worker].backend], PROJECT: WORKER_COMMAND}
        # In turns, the order reversed each round, as the database-backed page's apps: the
        # machine's drifting speed weighs on both alike.
        turns, order = {label: [] for label in commands}, list(commands)
        for _ in range(plan.task_rounds):
            for label in order:
                turns[label].append(turn(bench, image, env, volumes, commands[label]))
            order.reverse()
        rows[f"{database} {worker}"] = cell = {
            label: {"command": " ".join(commands[label]), **merged(runs)} for label, runs in turns.items()
        }
        label = f"tasks/s of `manage.py worker`, {worker} backend on {database}, against the library's worker"
        measured = {"tasks_per_second_ratio": round(ratio(cell), 3)}
        checks.append(check(f"{database} {worker}", label, **measured))
    data = {"tasks": plan.tasks, "probes": plan.task_probes, "rounds": plan.task_rounds, "rows": rows}
    return {"checks": checks, "data": data}


def turn(bench: session.Session, image: str, env: dict, volumes: dict, command: list[str]) -> dict:
    """One worker's turn: the driver (bench/tasks/'s `bench_tasks` command) enqueues the batch,
    the worker starts and runs it, then the probes; the worker's memory once idle at the end."""
    plan = bench.plan
    driver_command = ["python", "manage.py", "bench_tasks", str(plan.tasks), str(plan.task_probes)]
    driver = App(bench.client, image, env, volumes, command=driver_command).start(wait=False)
    worker = App(bench.client, image, env, volumes, command=command)
    try:
        deadline = time.monotonic() + 120
        while "enqueued" not in stdout(driver):
            if driver.status() == "exited" or time.monotonic() > deadline:
                raise AssertionError(f"the driver did not enqueue its batch:\n{driver.logs()[-3000:]}")
            time.sleep(0.05)
        worker.start(wait=False)
        if driver.wait_for_exit(timeout=900) != 0:
            logs = f"{driver.logs()[-2000:]}\n--- {' '.join(command)}:\n{worker.logs()[-2000:]}"
            raise AssertionError(f"the worker did not run the tasks:\n{logs}")
        found = json.loads(stdout(driver).splitlines()[-1])
        # The worker's own processes: the first and its children, not `docker exec`'s.
        running = processes(worker)
        ours = {1}
        for process in sorted(running, key=lambda process: process["pid"]):
            if process["ppid"] in ours:
                ours.add(process["pid"])
        idle = [process for process in running if process["pid"] in ours]
        # Stopped as it would be, so that it gives up what it holds: RQ's scheduler lock, which
        # the next worker on the same Redis would otherwise find taken and run no scheduler.
        worker.container.stop(timeout=10)
    finally:
        worker.remove()
        driver.remove()
    (first, first_cpu), (last, last_cpu) = found["starts"][0], found["starts"][-1]
    return {
        "tasks": len(found["starts"]),
        "seconds": last - first,
        "cpu_seconds": last_cpu - first_cpu,
        "latencies": found["latencies"],
        "idle_rss_mb": round(sum(process["rss_kb"] for process in idle) / 1000, 1),
        "idle_pss_mb": round(sum(process["pss_kb"] for process in idle) / 1000, 1),
        "processes": len(idle),
    }


def stdout(app: App) -> str:
    return app.container.logs(stdout=True, stderr=False).decode(errors="replace")


def merged(runs: list[dict]) -> dict:
    """One worker's turns as one row: tasks/s and the worker's CPU time a task, from the first task's
    start to the last's in each batch, over all of them; the latency percentiles over every probe;
    the memory of the last."""
    latencies = [latency for run in runs for latency in run["latencies"]]
    p50, p99 = (statistics.quantiles(latencies, n=100, method="inclusive")[p - 1] for p in (50, 99))
    intervals = sum(run["tasks"] - 1 for run in runs)
    return {
        "tasks_per_second": round(intervals / sum(run["seconds"] for run in runs), 1),
        "turns_tasks_per_second": [round((run["tasks"] - 1) / run["seconds"], 1) for run in runs],
        "cpu_ms_per_task": round(1000 * sum(run["cpu_seconds"] for run in runs) / intervals, 3),
        "probes": len(latencies),
        "latency_p50_ms": round(1000 * p50, 1),
        "latency_p99_ms": round(1000 * p99, 1),
        **{key: runs[-1][key] for key in ("idle_rss_mb", "idle_pss_mb", "processes")},
    }


def ratio(cell: dict, measure: str = "tasks_per_second") -> float:
    """The project's worker's tasks/s (or another measure) over the library's worker's."""
    return cell[PROJECT][measure] / cell[LIBRARY][measure]


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    rendered = markdown.Rendered()
    table = []
    for name, cell in data["rows"].items():
        database, worker = name.split()
        for label, row in cell.items():
            versus = [f"{ratio(cell):.2f}×", f"{ratio(cell, 'cpu_ms_per_task'):.2f}×"]
            table.append(
                [
                    database,
                    worker,
                    f"`{row['command']}`",
                    f"{row['tasks_per_second']:.0f}",
                    ", ".join(f"{value:.0f}" for value in row["turns_tasks_per_second"]),
                    f"{row['cpu_ms_per_task']:.2f}",
                    f"{row['latency_p50_ms']:.0f}",
                    f"{row['latency_p99_ms']:.0f}",
                    f"{row['idle_rss_mb']:.0f}/{row['idle_pss_mb']:.0f} ({row['processes']})",
                    *(versus if label == PROJECT else ["baseline", ""]),
                    verdicts[name] if label == PROJECT else "",
                ]
            )
        project, library = cell[PROJECT], cell[LIBRARY]
        rendered.measured[name] = (
            f"{project['tasks_per_second']:.0f} / {library['tasks_per_second']:.0f} tasks/s = "
            f"{ratio(cell):.2f}×; enqueue → start p50/p99 {latency(project)} ms (library's "
            f"{latency(library)}); idle RSS {project['idle_rss_mb']:.0f} MB (library's "
            f"{library['idle_rss_mb']:.0f})"
        )
        cpu, spread = ratio(cell, "cpu_ms_per_task"), library["turns_tasks_per_second"]
        rendered.limits[name] = (
            f"the worker's CPU time a task: {project['cpu_ms_per_task']:.2f} ms against the library's "
            f"{library['cpu_ms_per_task']:.2f} ms ({cpu:.2f}×); the library's worker alone ran "
            f"{min(spread):.0f} to {max(spread):.0f} tasks/s from one turn to the next"
        )
    headers = ["database", "backend", "worker", "tasks/s", "each turn", "CPU ms/task"]
    headers += ["enqueue → start p50 ms", "p99 ms", "idle RSS/PSS MB (processes)"]
    headers += ["tasks/s vs library", "CPU/task vs library", "verdict"]
    rendered.values = {**data, "table": markdown.table(headers, table)}
    rendered.summary = [
        (
            "`manage.py worker` against the backend library's own worker, same image, database and backend",
            "; ".join(
                f"{name}: {ratio(cell):.2f}×"
                + ("" if verdicts[name] == "PASS" else " (**miss**)")
                + f", enqueue → start p50/p99 {latency(cell[PROJECT])} ms, "
                + f"idle RSS {cell[PROJECT]['idle_rss_mb']:.0f} MB"
                for name, cell in data["rows"].items()
            ),
            markdown.overall(verdicts.values()),
        )
    ]
    return rendered


def latency(row: dict) -> str:
    return f"{row['latency_p50_ms']:.0f}/{row['latency_p99_ms']:.0f}"
