"""The PostgreSQL backend's health check (loyalty/db/postgresql/base.py): no round trip, yet a connection the server
closed is found unusable and replaced before the next request's first statement, not by a 500."""

import time

import psycopg
import pytest
from django.db import connection

from tests.conftest import postgres_only
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _terminate(pid: int) -> None:
    """Close the backend `pid` from the server side, as an administrator or a restart would, and wait until it is
    gone (the server ends it asynchronously)."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend outlived pg_terminate_backend"
            time.sleep(0.01)


def _backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


@pytest.fixture
def health_checks():
    """CONN_HEALTH_CHECKS as production sets it, on a connection kept across requests (CONN_MAX_AGE)."""
    connection.ensure_connection()
    enabled, close_at = connection.health_check_enabled, connection.close_at
    connection.health_check_enabled, connection.close_at = True, None
    yield
    connection.health_check_enabled, connection.close_at = enabled, close_at
    if not connection.is_usable():  # the test ended it: a new one for the database flush
        connection.close()


def _between_requests() -> None:
    """What Django runs at each request's start and end (`close_old_connections`); the test client skips it."""
    connection.close_if_unusable_or_obsolete()


def test_a_live_connection_is_usable_without_a_round_trip(health_checks, tmp_path):
    # given an idle, kept connection, its protocol traffic traced by libpq
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with open(tmp_path / "trace", "w") as trace:
        pgconn.trace(trace.fileno())
        # when
        usable = connection.is_usable()
        pgconn.untrace()
    # then usable, and nothing was sent to the server to know it (Django's own check sends `SELECT 1`)
    assert usable
    assert (tmp_path / "trace").read_text() == ""


def test_a_connection_closed_by_the_server_is_unusable(health_checks):
    # given
    pid = _backend_pid()
    # when the server ends it
    _terminate(pid)
    # then
    assert not connection.is_usable()


def test_a_connection_in_an_aborted_transaction_is_unusable(health_checks):
    # given a transaction a failed statement aborted (what `SELECT 1` would fail in)
    raw = connection.connection
    raw.execute("BEGIN")
    with pytest.raises(psycopg.errors.DivisionByZero):
        raw.execute("SELECT 1 / 0")
    # then
    assert not connection.is_usable()
    raw.execute("ROLLBACK")
    assert connection.is_usable()


def test_a_request_after_the_server_closed_the_connection_is_answered_on_a_new_one(program, health_checks):
    # given a shopper whose `me` answer is kept (the kept path's one statement is a prepared read)
    member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    built = client.get("/api/widget/v1/me")
    _between_requests()
    old_pid = _backend_pid()

    # when the server ends the connection between two requests
    _terminate(old_pid)
    _between_requests()
    kept = client.get("/api/widget/v1/me")

    # then the request is answered (no 500), on a new connection
    assert kept.status_code == 200
    assert kept.content == built.content
    assert _backend_pid() != old_pid
