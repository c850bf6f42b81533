"""The order's locking read of the member (`order_sql.member_locked`: binary on PostgreSQL, no JSON converter) gives
the member the ORM reads: every field's value and type, time zones included."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_init

from members.models import Member
from members.services.members import member_upsert
from members.services.order_sql import _member_select, member_locked
from tests.conftest import postgres_only


def _fields(member: Member) -> list[tuple]:
    return [
        (f.attname, type(v).__name__, v, getattr(v, "tzinfo", None))
        for f in Member._meta.concrete_fields
        for v in [getattr(member, f.attname)]
    ]


@pytest.mark.parametrize(
    "attributes",
    [{}, {"vip": True, "size": "M", "tags": ["été", 'a "b"'], "score": 1.5, "n": 10**18, "none": None, "nested": {}}],
)
def test_the_locked_member_is_the_members_row_as_the_orm_reads_it(program, place_order, attributes):
    # given a member with a profile, custom attributes, spend and a referrer
    referrer, _ = member_upsert(program=program, customer_id="ref", email="ref@example.com")
    member = place_order("1", "12.34", customer_id="c1").member
    member_upsert(program=program, customer_id="c1", first_name="Zoë", birthday=dt.date(1990, 2, 28), phone="+331")
    Member.objects.filter(pk=member.pk).update(
        attributes=attributes, referred_by=referrer, rfm_recency=3, lifetime_spend=Decimal("1234567.89")
    )

    # when the order path reads it locked
    with transaction.atomic():
        locked = member_locked(program_id=program.pk, customer_id="c1")

    # then it is the ORM's member, field by field (value, type, time zone), and not a new instance's
    assert _fields(locked) == _fields(Member.objects.get(pk=member.pk))
    assert locked._state.adding is False and locked.attributes == attributes


def test_an_unknown_customer_is_none(program):
    with transaction.atomic():
        assert member_locked(program_id=program.pk, customer_id="nobody") is None


@postgres_only
def test_on_postgresql_no_column_needs_a_converter():
    # the row is read in binary: JSON arrives decoded, nothing is left to convert after the read
    assert _member_select(connection.vendor)[2] == []


def test_the_locked_member_is_built_by_django_when_something_listens_to_its_init(program, place_order):
    # given a member and a receiver of Member's post_init (the fast path would skip it)
    member = place_order("1", "12.34", customer_id="c1").member
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Member)
    try:
        # when the order path reads the member locked
        with transaction.atomic():
            locked = member_locked(program_id=program.pk, customer_id="c1")
    finally:
        post_init.disconnect(receiver, sender=Member)

    # then the receiver saw it, and it is the ORM's member
    assert seen == [member.pk]
    assert _fields(locked) == _fields(Member.objects.get(pk=member.pk)) and locked._state.db == "default"
