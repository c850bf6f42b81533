"""A new member's one statement (members/services/member_sql.py) goes through a prepared statement on PostgreSQL:
planned once per connection, not once per new customer, and small enough for psycopg to keep its parsing."""

from decimal import Decimal

import pytest
from django.db import connection
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

from loyalty.choices import RuleType
from members.models import Member, TierChange, Transaction
from members.services import member_sql
from members.services.orders import order_record
from tests.conftest import postgres_only
from tests.factories import EarningRuleFactory, TierFactory

pytestmark = postgres_only


def _prepared() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, parameter_types::text FROM pg_prepared_statements WHERE NOT from_sql")
        return cursor.fetchall()  # (text, parameter types): one prepared statement


def test_new_customers_are_created_by_one_prepared_statement(program):
    # given a program with an entry tier and a sign-up bonus
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    before = set(_prepared())

    # when two new customers place their first orders
    for n in (1, 2):
        order_record(
            program=program,
            order_id=str(n),
            customer_id=f"new-{n}",
            email=f"new-{n}@example.com",
            subtotal=Decimal("10.00"),
            currency="USD",
        )

    # then the members, their joined changes and sign-up rows were written by one prepared statement
    creations = [s for s, _ in set(_prepared()) - before if s.startswith('WITH m AS (INSERT INTO "members_member"')]
    assert len(creations) == 1  # (tests/conftest.py forgets the statements of earlier tests)
    for n in (1, 2):
        member = Member.objects.get(customer_id=f"new-{n}")
        assert member.tier.key == "bronze" and member.points_balance == 110
        assert TierChange.objects.filter(member=member, reason="joined").count() == 1
        assert Transaction.objects.get(member=member, kind="bonus").idempotency_key.startswith(f"signup:{member.pk}:")


@pytest.mark.parametrize("joined, rows", [(True, 1), (False, 1), (True, 0)])
def test_the_statement_stays_within_what_psycopg_caches(db, joined, rows):
    # given the statement of a member with (or without) an entry tier and a sign-up rule
    sql = member_sql._statement(joined=joined, rows=rows)
    # then psycopg keeps its parsing (past 50 parameters or 4,096 bytes it would parse it again for every member)
    assert sql.count("%s") <= MAX_CACHED_STATEMENT_PARAMS
    assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH
