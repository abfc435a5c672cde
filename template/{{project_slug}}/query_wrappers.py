"""Wrappers around each database query of this process, by Django's execute_wrapper: metrics.py
times the queries, traces.py makes their spans."""

from django.db.backends.signals import connection_created


def wrap_queries(wrapper):
    """Have `wrapper` wrap each query of the connections this process opens from now on."""

    def add(sender, connection, **kwargs):
        # Once per connection object, which each thread keeps across reconnections.
        if wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(wrapper)

    uid = f"{wrapper.__module__}.{wrapper.__name__}"
    connection_created.connect(add, weak=False, dispatch_uid=uid)
