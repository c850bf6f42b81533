"""members.prepared.fetch_one: its statements prepared per physical connection (a replaced connection prepares them
again), and the same values whether the row comes in text or binary format."""

import pytest
from django.db import connection

from members.prepared import fetch_one
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

ROW_SQL = "SELECT %s::bytea, %s::timestamptz, %s::numeric, %s::text"


def test_binary_and_text_rows_hold_the_same_values():
    # given
    params = [b"\x00{\xff}", "2026-12-07T18:45:27.835029+00:00", "728.00", "x|y"]
    # when / then
    assert fetch_one(ROW_SQL, params, binary=True) == fetch_one(ROW_SQL, params)


def test_a_replaced_connection_prepares_its_own_statements():
    # given a read on the current connection
    assert fetch_one("SELECT %s::int", [1]) == (1,)
    # when Django replaces the connection (closed between requests, as an unusable or too old one is)
    connection.close()
    # then the next read opens a new connection and works on it
    assert fetch_one("SELECT %s::int", [2]) == (2,)
