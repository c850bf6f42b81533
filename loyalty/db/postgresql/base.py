"""Django's PostgreSQL backend with a health check that needs no round trip.

With `CONN_HEALTH_CHECKS` Django checks a kept connection before a request's first statement with `SELECT 1`: a
round trip to the server on every request, which for the widget's kept `me` (one one-row read) is a second
statement as costly as the read itself. The check here asks the state the client already knows instead:
- psycopg's and libpq's connection state (closed, broken, not `OK`), and a transaction state that a `SELECT 1`
  would fail in (aborted, unknown) or that is not between requests (a statement still running);
- the socket, polled without waiting: an idle connection's server has nothing to say, so anything to read means
  it closed the connection (`pg_terminate_backend`, a restart, `idle_session_timeout`: PostgreSQL sends a FATAL
  error and closes) or sent something unasked. Either way the connection is replaced, as Django replaces one that
  fails `SELECT 1`.
What it cannot see without a round trip is a peer that vanished silently (no FIN: a network partition); a
`SELECT 1` would hang there too until TCP gives up, and the request's statement fails as it would have."""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

# Transaction states in which the connection can run the request's statements.
_READY = (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS)


def socket_is_quiet(fileno: int) -> bool:
    """Nothing to read on the socket right now (no wait)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fileno, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    return not select.select([fileno], [], [], 0)[0]


class DatabaseWrapper(base.DatabaseWrapper):
    # Whether `members.prepared.fetch_one` prepares its statements: OPTIONS has a prepare threshold
    # (config/settings/base.py; off behind a transaction-mode pooler).
    fetch_one_prepares = False

    def get_new_connection(self, conn_params):
        """The connection with no prepare threshold of its own: Django's cursors bind values into the text
        client-side and are never prepared, yet with a threshold psycopg counts every text they run towards
        preparing it and keeps the last 100 (bound values and all: a batch's statements run to megabytes) for as
        long as the connection lives. Without one psycopg's prepare cache also stays empty, and psycopg sends
        `DEALLOCATE ALL` on rollback only when it is not: that would drop the statements `fetch_one` prepares
        itself (statements.py)."""
        connection = super().get_new_connection(conn_params)
        # From the settings, not the connection: a pooled one comes back with the None set here.
        self.fetch_one_prepares = self.settings_dict["OPTIONS"].get("prepare_threshold") is not None
        connection.prepare_threshold = None
        return connection

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status not in _READY:
            return False
        try:
            return socket_is_quiet(pgconn.socket)
        except (OSError, ValueError, psycopg.Error):  # no socket any more
            return False
