"""One-row reads and writes through prepared statements (PostgreSQL): for the hot paths (an order, the widget's
`me`) whose statements cost the server more to parse and plan than to run."""

import time

from django.db import DEFAULT_DB_ALIAS, connections

from loyalty.db.postgresql.statements import Statements


def fetch_one(sql: str, params: list, *, binary: bool = False) -> tuple | None:
    """One row, on PostgreSQL through a prepared statement run by libpq directly (Django's cursors bind client-side
    and cannot prepare; psycopg's own cursor cost more Python than the statement: loyalty/db/postgresql/statements.py).
    Logged like Django's own queries, so that pinned query counts see it. `binary`: the row in PostgreSQL's binary
    format (no text to parse: a `bytea` arrives as it is stored)."""
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
    started = time.monotonic()
    try:
        with connection.wrap_database_errors:
            # Prepared unless the settings turn preparing off (DATABASE_PREPARED_STATEMENTS: a transaction-mode pooler).
            return Statements.of(connection.connection).fetch_one(
                sql, params, binary=binary, prepare=getattr(connection, "fetch_one_prepares", False)
            )
    finally:  # a refused statement too, as Django logs its own
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql % tuple(params), "time": f"{time.monotonic() - started:.3f}"})
