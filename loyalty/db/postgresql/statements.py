"""One-row statements run through libpq directly (psycopg's `pq` layer), prepared once per physical connection.

`members.prepared.fetch_one` runs the hot paths' statements (an order's locking read and write, the widget's `me`
reads and upsert). Through `Cursor.execute(..., prepare=True)` psycopg's Python machinery around each call (query
object, prepare cache, result bookkeeping) cost more CPU than the C parts that dump the parameters and load the row
(~0.35 ms per order). Here the same C parts run (`Transformer.dump_sequence`, `load_row`: the same parameter types
and the same Python types of every column) around one `PQexecPrepared`.

The statement names are this module's own (`_lp<n>`), kept on the psycopg connection they were prepared on, so a
new connection (replaced, reconnected after a restart or `pg_terminate_backend`) starts with none. PostgreSQL keeps
a prepared statement whatever becomes of the transaction that prepared it (rollbacks, errors): only `DEALLOCATE`
or `DISCARD ALL` drop one. psycopg sends `DEALLOCATE ALL` on rollback when its own prepare cache holds a statement;
the backend (base.py) leaves that cache off (no threshold), so it stays empty. Should a statement be gone anyway
(someone ran `DISCARD ALL`), the error names it: the names are forgotten, and outside a transaction the statement
is prepared again and run once more (inside one the error aborts it, as any failed statement)."""

import itertools

import psycopg
from psycopg import _queries, errors, pq
from psycopg.adapt import Transformer

# A connection prepares at most this many statement texts (with their parameter types); more run unprepared. The
# hot paths have a few dozen shapes; psycopg's own cache keeps 100.
MAX_PREPARED = 200

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_CONN_OK = pq.ConnStatus.OK
_IDLE = pq.TransactionStatus.IDLE
_TEXT, _BINARY = pq.Format.TEXT, pq.Format.BINARY
_SQLSTATE = pq.DiagnosticField.SQLSTATE
# Numbers of names unique in the process: a connection never sees one of its names again, whatever happened to its
# state (a counter, not a generator: `next` on one from two threads at once raises).
_numbers = itertools.count()


class Statements:
    """The statements prepared on one psycopg connection, and the transformer that dumps their parameters and
    loads their rows (with the connection's adapters, as a cursor's)."""

    __slots__ = ("connection", "pgconn", "prepared", "texts", "transformer")

    def __init__(self, connection: psycopg.Connection):
        self.connection = connection
        self.pgconn = connection.pgconn
        self.transformer = Transformer(connection)
        self.prepared: dict[tuple[str, tuple], bytes] = {}  # (sql, parameter types) -> statement name
        self.texts: dict[str, tuple[bytes, list, int]] = {}  # sql -> `_converted`

    @staticmethod
    def of(connection: psycopg.Connection) -> "Statements":
        """The statements of this psycopg connection (made on its first call)."""
        statements = getattr(connection, "_loyalty_statements", None)
        if statements is None:
            statements = connection._loyalty_statements = Statements(connection)
        return statements

    def fetch_one(self, sql: str, params: list, *, binary: bool, prepare: bool) -> tuple | None:
        """The first row of `sql` (`%s` placeholders) with `params`, or None; prepared unless `prepare` is false.
        Raises psycopg's errors, as `Cursor.execute` + `fetchone` would."""
        connection, pgconn = self.connection, self.pgconn
        if pgconn.status != _CONN_OK:
            connection._check_connection_ok()  # psycopg's error for a closed or broken connection
        if pgconn.transaction_status == _IDLE and not connection._autocommit:
            # BEGIN (with the connection's isolation level and such), as psycopg starts a transaction before a
            # statement outside one when not in autocommit (Django's atomic blocks)
            self._run(pgconn.exec_params(connection._get_tx_start_command(), None), _COMMAND_OK)
        query, formats, count = self.texts.get(sql) or self._converted(sql)
        if len(params) != count:
            raise psycopg.ProgrammingError(
                f"the query has {count} placeholders but {len(params)} parameters were passed"
            )
        transformer = self.transformer
        values = transformer.dump_sequence(params, formats)
        types = transformer.types or ()
        result_format = _BINARY if binary else _TEXT
        if not prepare:
            return self._row(pgconn.exec_params(query, values, types, transformer.formats, result_format))
        key = (sql, types)
        name = self.prepared.get(key)
        if name is None:
            if len(self.prepared) >= MAX_PREPARED:
                return self._row(pgconn.exec_params(query, values, types, transformer.formats, result_format))
            name = self._prepare(key, query, types)
        result = pgconn.exec_prepared(name, values, transformer.formats, result_format)
        if result.status == _FATAL_ERROR and _missing_statement(result) and pgconn.transaction_status == _IDLE:
            # Dropped behind our back (DISCARD ALL) and no transaction to abort: prepared again, run once more.
            self.prepared.clear()
            name = self._prepare(key, query, types)
            result = pgconn.exec_prepared(name, values, transformer.formats, result_format)
        return self._row(result)

    def _converted(self, sql: str) -> tuple[bytes, list, int]:
        """`sql` with PostgreSQL's `$n` placeholders, the format psycopg dumps each parameter in, and their number,
        by psycopg's own conversion (kept here: psycopg's cache skips texts as long as an order's write)."""
        encoding = self.transformer.encoding
        query, formats, order, parts = _queries._query2pg_nocache(sql.encode(encoding), encoding)
        if order is not None:
            raise TypeError("fetch_one takes positional %s placeholders only")
        converted = (query, formats, len(parts) - 1)
        if len(self.texts) < 4 * MAX_PREPARED:
            self.texts[sql] = converted
        return converted

    def _prepare(self, key: tuple, query: bytes, types: tuple) -> bytes:
        name = statement_name()
        self._run(self.pgconn.prepare(name, query, types), _COMMAND_OK)
        self.prepared[key] = name
        return name

    def _run(self, result: pq.abc.PGresult, status: int) -> None:
        if result.status != status:
            self._raise(result)

    def _row(self, result: pq.abc.PGresult) -> tuple | None:
        self._run(result, _TUPLES_OK)
        if not result.ntuples:
            return None
        transformer = self.transformer
        transformer.set_pgresult(result)
        return transformer.load_row(0, tuple)

    def _raise(self, result: pq.abc.PGresult):
        """psycopg's error for a failed statement (Cursor.execute's), or fetchone's for one without rows."""
        status = result.status
        if status == _FATAL_ERROR:
            if _missing_statement(result):
                self.prepared.clear()
            if self.pgconn.status != _CONN_OK and not result.error_field(_SQLSTATE):
                # The connection lost (libpq's own error, no SQLSTATE): psycopg's cursor says OperationalError.
                raise psycopg.OperationalError(result.get_error_message(self.transformer.encoding))
            raise errors.error_from_result(result, encoding=self.transformer.encoding)
        if status == _COMMAND_OK:
            detail = f" (command status: {result.command_status.decode()})" if result.command_status else ""
            raise psycopg.ProgrammingError(f"the last operation didn't produce records{detail}")
        raise psycopg.InternalError(f"unexpected result status from query: {pq.ExecStatus(status).name}")


def statement_name() -> bytes:
    """A name no statement of this process had."""
    return b"_lp%d" % next(_numbers)


def _missing_statement(result: pq.abc.PGresult) -> bool:
    return result.error_field(_SQLSTATE) == b"26000"  # invalid_sql_statement_name


def statements_forget(connection: psycopg.Connection) -> None:
    """Drop every statement prepared on `connection`: it then prepares them again as a new connection would
    (tests: each starts so, whatever ran on the kept connection before it)."""
    statements = getattr(connection, "_loyalty_statements", None)
    if statements is None or not statements.prepared:
        return
    pgconn = statements.pgconn
    if pgconn.status == _CONN_OK and pgconn.transaction_status in (_IDLE, pq.TransactionStatus.INTRANS):
        statements._run(pgconn.exec_(b"DEALLOCATE ALL"), _COMMAND_OK)
    statements.prepared.clear()
