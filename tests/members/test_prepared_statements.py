"""The hot paths' pre-built statements are prepared once per PostgreSQL connection (members/prepared.py).

psycopg prepares only on a connection with a prepare threshold, which Django leaves unset: without the setting in
config/settings/base.py every order parsed and planned its write statement again, silently."""

import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    DataError,
    OperationalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)
from django.test.utils import CaptureQueriesContext
from psycopg import pq
from psycopg.types.json import Jsonb
from psycopg.types.numeric import Int8

from loyalty.db.postgresql import statements
from members.prepared import fetch_one
from members.services.orders import order_record
from tests.conftest import postgres_only

pytestmark = postgres_only

PREPARED_SQL = "SELECT statement FROM pg_prepared_statements WHERE NOT from_sql"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(PREPARED_SQL)
        return [statement for (statement,) in cursor.fetchall()]


def _order(program, order_id: str):
    return order_record(
        program=program,
        order_id=order_id,
        customer_id="c-1",
        email="c1@example.com",
        subtotal=Decimal("10.00"),
        currency=program.currency,
    )


def test_fetch_one_prepares_its_statement_once(db):
    # when the same one-row read runs three times
    for value in (1, 2, 3):
        assert fetch_one("SELECT %s::int + 1", [value]) == (value + 1,)
    # then the server holds it as one prepared statement
    assert _prepared().count("SELECT $1::int + 1") == 1


def test_an_order_runs_its_locking_read_and_write_as_prepared_statements(program):
    # when a new customer's first order and a second order are recorded
    for order_id in ("1", "2"):
        _order(program, order_id)
    # then the member's locking read and the order's write statement are prepared statements of this connection
    prepared = _prepared()
    assert any(s.startswith('SELECT "members_member"."id"') and s.endswith("FOR UPDATE") for s in prepared)
    assert any(s.startswith("WITH new_order AS (INSERT INTO members_order") for s in prepared)


def test_django_queries_leave_no_text_in_psycopgs_prepare_cache(db):
    # given fetch_one's statements prepared on this connection
    assert fetch_one("SELECT %s::int + 1", [1]) == (2,)
    # when the ORM runs queries (Django binds their values into the text client-side: never prepared)
    with connection.cursor() as cursor:
        for index in range(3):
            cursor.execute("SELECT %s::text", ["x" * 10_000 + str(index)])
    # then psycopg counted none of them towards preparing (with a threshold on the connection it keeps the last 100
    # texts it saw, bound values and all: a batch's megabyte statements held per connection)
    counted = connection.connection._prepared._counts  # psycopg's internal count of texts not prepared yet
    assert not [text for text, _types in counted if text.startswith(b"SELECT 'xxx")]
    # and fetch_one's statement is still prepared once
    assert fetch_one("SELECT %s::int + 1", [2]) == (3,)
    assert _prepared().count("SELECT $1::int + 1") == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_fetch_ones_statements_too():
    # given a statement prepared, then the connection replaced (between requests: too old or unusable)
    assert fetch_one("SELECT %s::int + 1", [1]) == (2,)
    connection.close()
    # when it runs on the new connection
    assert fetch_one("SELECT %s::int + 1", [2]) == (3,)
    # then it is prepared there as well (the threshold comes from the settings, not from the connection)
    assert _prepared().count("SELECT $1::int + 1") == 1


# --- run by libpq directly (loyalty/db/postgresql/statements.py): what psycopg's cursor gave, kept across errors ---

PLUS_ONE = "SELECT %s::int + 1"
TYPES_SQL = (
    "SELECT %s::timestamptz, %s::numeric, %s::bigint, %s::int, %s::jsonb, %s::bytea, %s::text, %s::bool, %s::date,"
    " %s::bigint[], %s::text, NULL::numeric, '{\"a\": [1, 2.5], \"b\": null}'::jsonb, '[1]'::json,"
    " ARRAY['x', NULL, 'y z']::text[], interval '1 day 2 hours', '7d1c3f3e-8d4b-4a53-9c53-0d5e7b1f8f35'::uuid"
)


def _types_params() -> list:
    return [
        datetime(2026, 12, 7, 18, 45, 27, 835029, tzinfo=UTC),
        Decimal("728.10"),
        Int8(2**40),
        7,
        Jsonb({"k": ["v", 1]}),
        b"\x00{\xff}",
        "x|y",
        True,
        date(2026, 2, 28),
        [Int8(1), Int8(2)],
        None,
    ]


def _psycopg_row(sql: str, params: list, *, binary: bool) -> tuple:
    with psycopg.Cursor(connection.connection) as cursor:
        return cursor.execute(sql, params, binary=binary).fetchone()


@pytest.mark.parametrize("binary", [False, True])
def test_rows_hold_the_values_and_python_types_psycopgs_cursor_gives(db, binary):
    # when the same row is read by fetch_one and by a psycopg cursor
    row = fetch_one(TYPES_SQL, _types_params(), binary=binary)
    expected = _psycopg_row(TYPES_SQL, _types_params(), binary=binary)
    # then every column is equal and of the same type (aware datetimes, Decimal, int, decoded JSON, bytes, lists)
    assert row == expected
    assert [type(value) for value in row] == [type(value) for value in expected]
    # (JSON: decoded from binary; Django's loader leaves the text form to JSONField)
    assert row[0].tzinfo is not None and row[4] == ({"k": ["v", 1]} if binary else '{"k": ["v", 1]}')


def test_no_row_is_none_and_a_statement_without_rows_is_refused_as_fetchone_refuses_it(db):
    assert fetch_one("SELECT 1 WHERE %s::int = 0", [1]) is None
    with pytest.raises(ProgrammingError, match="didn't produce records"):
        fetch_one("UPDATE members_member SET email = email WHERE id = %s", [Int8(0)])


def test_errors_are_djangos(db):
    # a statement error, a wrong number of parameters, a data error: Django's classes, as from its own cursors
    with pytest.raises(ProgrammingError), transaction.atomic():
        fetch_one("SELECT no_such_column FROM members_member WHERE id = %s", [Int8(1)])
    with pytest.raises(ProgrammingError, match="placeholders"):
        fetch_one(PLUS_ONE, [1, 2])
    with pytest.raises(DataError), transaction.atomic():
        fetch_one("SELECT 1 / %s::int", [0])
    # and the connection goes on
    assert fetch_one(PLUS_ONE, [1]) == (2,)


def test_each_call_is_logged_as_djangos_queries_are_failed_ones_too(db):
    with CaptureQueriesContext(connection) as queries:
        fetch_one(PLUS_ONE, [41])
        with pytest.raises(DataError), transaction.atomic():
            fetch_one("SELECT 1 / %s::int", [0])
    logged = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert logged == ["SELECT 41::int + 1", "SELECT 1 / 0::int"]


@pytest.mark.django_db(transaction=True)
def test_the_first_statement_in_an_atomic_block_begins_its_transaction():
    # when two statements run inside atomic(), the first of them fetch_one's
    with transaction.atomic():
        (first,) = fetch_one("SELECT now() + %s::interval", ["0s"])
        time.sleep(0.01)
        (second,) = fetch_one("SELECT now() + %s::interval", ["0s"])
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
    # then both ran in one transaction (now() is the transaction's start); outside one, each is its own
    assert first == second
    (third,) = fetch_one("SELECT now() + %s::interval", ["0s"])
    assert third > second


def _names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE NOT from_sql")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_replayed_order_rolled_back_on_its_integrity_error_keeps_the_statements_prepared(program):
    # given a new customer's order and a second one (the statements of an existing member's order prepared)
    _order(program, "1")
    first = _order(program, "2")
    prepared = _names()
    # when the second is sent again: its write fails on the unique order id, the transaction rolls back
    replay = _order(program, "2")
    third = _order(program, "3")
    # then the replay answers the first order, the next order is recorded, and nothing was prepared again
    # (psycopg sends DEALLOCATE ALL on rollback only when its own prepare cache holds a statement: it holds none)
    assert replay.created is False and replay.order.pk == first.order.pk
    assert third.created and third.order.member_id == first.order.member_id
    assert third.member.points_balance == 30
    assert _names() == prepared
    assert not connection.connection._prepared._names


@pytest.mark.django_db(transaction=True)
def test_a_failed_transaction_leaves_the_statements_usable():
    # given a prepared statement
    assert fetch_one(PLUS_ONE, [1]) == (2,)
    prepared = _names()
    # when a transaction fails after running it (a statement error aborts it, atomic() rolls it back)
    with pytest.raises(DataError), transaction.atomic():
        assert fetch_one(PLUS_ONE, [2]) == (3,)
        fetch_one("SELECT 1 / %s::int", [0])
    # then the statement runs again as prepared, in a transaction as outside one
    with transaction.atomic():
        assert fetch_one(PLUS_ONE, [3]) == (4,)
    assert fetch_one(PLUS_ONE, [4]) == (5,)
    assert prepared <= _names()


def _terminate(pid: int) -> None:
    """The backend of `pid` ended by the server (as pg_terminate_backend from another session, a restart)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


@pytest.mark.django_db(transaction=True)
def test_after_pg_terminate_backend_the_next_connection_prepares_the_statements_again():
    # given a prepared statement, then the server ends the connection
    assert fetch_one(PLUS_ONE, [1]) == (2,)
    _terminate(connection.connection.pgconn.backend_pid)
    # when the next statement runs on it: Django's OperationalError, as with psycopg's cursor
    with pytest.raises(OperationalError):
        fetch_one(PLUS_ONE, [2])
    # then the next request (Django closes a connection that had errors and is unusable) prepares it again
    connection.close_if_unusable_or_obsolete()
    assert fetch_one(PLUS_ONE, [3]) == (4,)
    assert _prepared().count("SELECT $1::int + 1") == 1


@pytest.mark.django_db(transaction=True)
def test_with_health_checks_a_terminated_connection_is_replaced_before_the_statement():
    # given a prepared statement, then the server ends the connection between two requests
    assert fetch_one(PLUS_ONE, [1]) == (2,)
    _terminate(connection.connection.pgconn.backend_pid)
    # when the next request's first statement runs with CONN_HEALTH_CHECKS
    connection.health_check_enabled, connection.health_check_done = True, False
    try:
        row = fetch_one(PLUS_ONE, [2])
    finally:
        connection.health_check_enabled = False
    # then it runs on a new connection, prepared there
    assert row == (3,)
    assert _prepared().count("SELECT $1::int + 1") == 1


@pytest.mark.django_db(transaction=True)
def test_statements_dropped_behind_its_back_are_prepared_again():
    # given a prepared statement, then every statement dropped (a pooler's or someone's DISCARD ALL)
    assert fetch_one(PLUS_ONE, [1]) == (2,)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    # when it runs outside a transaction: prepared again and run
    assert fetch_one(PLUS_ONE, [2]) == (3,)
    assert _prepared().count("SELECT $1::int + 1") == 1
    # inside one the missing statement aborts it, as any failed statement, and is prepared again after
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(ProgrammingError), transaction.atomic():
        fetch_one(PLUS_ONE, [3])
    with transaction.atomic():
        assert fetch_one(PLUS_ONE, [4]) == (5,)
    assert _prepared().count("SELECT $1::int + 1") == 1


def test_without_a_prepare_threshold_nothing_is_prepared(db, monkeypatch):
    # given preparing off in the settings (DATABASE_PREPARED_STATEMENTS=false: a transaction-mode pooler)
    # (on the wrapper itself: undone through Django's connection proxy, the attribute would be deleted)
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "fetch_one_prepares", False)
    # when a statement runs, then it runs unnamed with the same row
    assert fetch_one("SELECT %s::int + 2", [1]) == (3,)
    assert "SELECT $1::int + 2" not in _prepared()


def test_past_the_cap_statements_run_unprepared(db, monkeypatch):
    # given a connection that prepared as many statements as it keeps
    monkeypatch.setattr(statements, "MAX_PREPARED", 0)
    # when another runs, then unprepared with the same row
    assert fetch_one("SELECT %s::int + 3", [1]) == (4,)
    assert "SELECT $1::int + 3" not in _prepared()


def test_statement_names_stay_unique_when_threads_prepare_at_once():
    # given threads switching as often as they can (gthread workers: a connection per thread)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    names, failures = [], []

    def prepare_names():
        try:
            names.extend(statements.statement_name() for _ in range(20_000))
        except ValueError as error:  # "generator already executing": a generator's next() in two threads
            failures.append(error)

    try:
        threads = [threading.Thread(target=prepare_names) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    # when they take names at once, then every name is new
    assert not failures
    assert len(set(names)) == len(names) == 80_000
