"""The variant cells that the Docker tests taking a Django release line (`django_version`) run:
on the default line every database x server cell, with the worker variants.paired_worker pairs
with them; on each later line three cells, which together build each database, gateway and worker
backend once, rather than all nine, which would double the image builds of the suite."""

from __future__ import annotations

from extensions import variants
from harness.services import has_test_server


def later_django_cells() -> list[dict[str, str]]:
    """One diagonal of the database x server square (database i with server i + shift): each
    database, each server and, as paired_worker's square is Latin, each worker once. Of those
    diagonals, the first on which every worker backend with a process queues its tasks beside a
    database server: a request's task then runs in a worker container against a real server, and
    the file database takes the backend that runs tasks in the web process (the default line's
    compose tests run each backend on the file database)."""
    databases, servers = list(variants.DATABASES), list(variants.SERVERS)
    diagonals = []
    for shift in range(len(servers)):
        pairs = [(database, servers[(i + shift) % len(servers)]) for i, database in enumerate(databases)]
        diagonals.append(
            [{"database": d, "server": s, "worker": variants.paired_worker(d, s)} for d, s in pairs]
        )
    return next((cells for cells in diagonals if _workers_beside_servers(cells)), diagonals[0])


def _workers_beside_servers(cells: list[dict[str, str]]) -> bool:
    """Whether each cell's worker backend with a process has a database server beside it."""
    return all(
        has_test_server(cell["database"]) or not variants.WORKERS[cell["worker"]].command for cell in cells
    )


def django_cells(*names: str, later_only: bool = False) -> list[tuple[str, ...]]:
    """The values of `names` ("database", "server", "worker", "django_version") in each cell, as
    @pytest.mark.parametrize takes them: the default line's cells, then each later line's
    (only the later lines' with `later_only`)."""
    default = variants.DEFAULT_DJANGO_VERSION
    cells = [] if later_only else [{**cell, "django_version": default} for cell in variants.image_cells()]
    later = [version for version in variants.DJANGO_VERSIONS if version != default]
    cells += [{**cell, "django_version": version} for version in later for cell in later_django_cells()]
    return [tuple(cell[name] for name in names) for cell in cells]
