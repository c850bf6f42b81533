"""One-row reads and writes through prepared statements (PostgreSQL): for the hot paths (an order, the widget's
`me`) whose statements cost the server more to parse and plan than to run."""

import time

from django.db import DEFAULT_DB_ALIAS, connections


def fetch_one(sql: str, params: list, *, binary: bool = False) -> tuple | None:
    """One row, on PostgreSQL through a prepared statement (a server-side binding cursor: Django's bind
    client-side and cannot prepare). Logged like Django's own queries, so that pinned query counts see it.
    `binary`: the row in PostgreSQL's binary format (no text to parse: a `bytea` arrives as it is stored)."""
    # The connection looked up once: each attribute read through `django.db.connection` (a proxy) looks it up in
    # the thread's connections again, ~1 us each, seven times per call on the widget's hottest path.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    # As Django's own cursors: a kept connection that went bad (CONN_HEALTH_CHECKS) is replaced before the
    # request's first statement, not found broken by it (a 500).
    connection.close_if_health_check_failed()
    if connection.connection is None:
        connection.ensure_connection()
    cursor = _cursor(connection)
    # psycopg prepares only while its connection has a threshold, which the backend (loyalty/db/postgresql) keeps
    # for these statements alone: with one, it would also count and keep the texts of Django's queries.
    cursor.connection.prepare_threshold = getattr(connection, "fetch_one_prepare_threshold", None)
    started = time.monotonic()
    try:
        with connection.wrap_database_errors:
            cursor.execute(sql, params, prepare=True, binary=binary)
            return cursor.fetchone()
    finally:  # a refused statement too, as Django logs its own
        cursor.connection.prepare_threshold = None
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql % tuple(params), "time": f"{time.monotonic() - started:.3f}"})


def _cursor(connection):
    """The thread's psycopg cursor on its current database connection, made once per connection (making one per
    call cost a third of a widget `me` version read)."""
    import psycopg

    raw = connection.connection
    cursor = getattr(connection, "_fetch_one_cursor", None)
    if cursor is None or cursor.connection is not raw:
        cursor = connection._fetch_one_cursor = psycopg.Cursor(raw)
    return cursor
