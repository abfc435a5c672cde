"""Django's migrate, holding a database-wide lock while it runs.

Two releases, or two pods of one, may run `migrate` at the same moment; without the lock both
try to create the same tables and one fails. With it they take turns, and the later one finds
nothing left to do. SQLite lets one writer in at a time itself and takes no lock here.
"""

from contextlib import contextmanager

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

# A session-level advisory lock: any number, the same in every process ("migrate" in ASCII).
POSTGRESQL_LOCK = int.from_bytes(b"migrate", "big")
MYSQL_LOCK_TIMEOUT = 600


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with migration_lock(connections[options["database"]]):
            super().handle(*args, **options)


@contextmanager
def migration_lock(connection):
    if connection.vendor == "postgresql":
        lock, unlock = "SELECT pg_advisory_lock(%s)", "SELECT pg_advisory_unlock(%s)"
        key = POSTGRESQL_LOCK
    elif connection.vendor == "mysql":
        lock, unlock = f"SELECT GET_LOCK(%s, {MYSQL_LOCK_TIMEOUT})", "SELECT RELEASE_LOCK(%s)"
        # Named locks are server-wide: name it after the database.
        key = f"{connection.settings_dict['NAME']}.migrate"
    else:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(lock, [key])
        if cursor.fetchone()[0] == 0:  # only GET_LOCK gives up
            raise CommandError(f"another migrate held the lock for over {MYSQL_LOCK_TIMEOUT} s")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(unlock, [key])
