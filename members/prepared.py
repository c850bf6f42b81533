"""One-row reads and writes through prepared statements (PostgreSQL): for the hot paths (an order, the widget's
`me`) whose statements cost the server more to parse and plan than to run."""

import time

from django.db import DEFAULT_DB_ALIAS, connections


def fetch_one(sql: str, params: list) -> tuple | None:
    """One row, on PostgreSQL through a prepared statement (a server-side binding cursor: Django's bind
    client-side and cannot prepare). Logged like Django's own queries, so that pinned query counts see it."""
    # The connection looked up once: each attribute read through `django.db.connection` (a proxy) looks it up in
    # the thread's connections again, ~1 us each, seven times per call on the widget's hottest path.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg

    # As Django's own cursors: a kept connection that went bad (CONN_HEALTH_CHECKS) is replaced before the
    # request's first statement, not found broken by it (a 500).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    started = time.monotonic()
    try:
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()
    finally:  # a refused statement too, as Django logs its own
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql % tuple(params), "time": f"{time.monotonic() - started:.3f}"})
