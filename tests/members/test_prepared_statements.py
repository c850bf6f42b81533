"""The hot paths' pre-built statements are prepared once per PostgreSQL connection (members/prepared.py).

psycopg prepares only on a connection with a prepare threshold, which Django leaves unset: without the setting in
config/settings/base.py every order parsed and planned its write statement again, silently."""

from decimal import Decimal

import pytest
from django.db import connection

from members.prepared import fetch_one
from members.services.orders import order_record
from tests.conftest import postgres_only

pytestmark = postgres_only

PREPARED_SQL = "SELECT statement FROM pg_prepared_statements WHERE NOT from_sql"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(PREPARED_SQL)
        return [statement for (statement,) in cursor.fetchall()]


def test_fetch_one_prepares_its_statement_once(db):
    # when the same one-row read runs three times
    for value in (1, 2, 3):
        assert fetch_one("SELECT %s::int + 1", [value]) == (value + 1,)
    # then the server holds it as one prepared statement
    assert _prepared().count("SELECT $1::int + 1") == 1


def test_an_order_runs_its_locking_read_and_write_as_prepared_statements(program):
    # when a new customer's first order and a second order are recorded
    for order_id in ("1", "2"):
        order_record(
            program=program,
            order_id=order_id,
            customer_id="c-1",
            email="c1@example.com",
            subtotal=Decimal("10.00"),
            currency=program.currency,
        )
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
