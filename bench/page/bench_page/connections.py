"""How the page's database connections are made, chosen per run by BENCH_DATABASE_CONNECTIONS.

Unset, the project's own setting stands. "new" opens a connection per request, "persistent"
keeps it for 10 minutes (CONN_MAX_AGE), "pool" uses psycopg's pool (PostgreSQL only).
"""

import os

MODES = ("new", "persistent", "pool")


def connections(database: dict) -> dict:
    mode = os.environ.get("BENCH_DATABASE_CONNECTIONS", "")
    if mode and mode not in MODES:
        raise ValueError(f"BENCH_DATABASE_CONNECTIONS={mode!r}; expected one of {', '.join(MODES)}")
    # The pool, if the project's settings chose it, out of the others.
    options = {name: value for name, value in database.get("OPTIONS", {}).items() if name != "pool"}
    if mode == "new":
        return {**database, "CONN_MAX_AGE": 0, "OPTIONS": options}
    if mode == "persistent":
        return {**database, "CONN_MAX_AGE": 600, "OPTIONS": options}
    if mode == "pool":
        # Django refuses persistent connections together with a pool.
        return {**database, "CONN_MAX_AGE": 0, "OPTIONS": {**database.get("OPTIONS", {}), "pool": True}}
    return database
