"""Races of a new customer on PostgreSQL: the unique (program, customer_id) of the member INSERT (ON CONFLICT DO
NOTHING) decides who creates them; the others wait for that commit and go on with the winner's member."""

from decimal import Decimal

import pytest

from loyalty.choices import RuleType
from members.choices import TransactionKind
from members.models import Member, Order, TierChange, Transaction
from members.services.members import member_upsert
from members.services.orders import order_record
from tests.conftest import postgres_only
from tests.factories import EarningRuleFactory, ProgramFactory, TierFactory
from tests.members.services.test_ledger_concurrency import run_together

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _program_with_sign_up_and_tiers():
    program = ProgramFactory()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("1000"), position=2)
    return program


def test_the_same_new_customer_upserted_ten_times_at_once_becomes_one_member(assert_ledger_clean):
    # given a program with a sign-up bonus and an entry tier, and a customer it has never seen
    program = _program_with_sign_up_and_tiers()

    def join():
        return member_upsert(program=program, customer_id="new", email="new@example.com")

    # when ten requests create them at once
    results = run_together([join] * 10)

    # then one created the member, the nine others answered with that member
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(created for _member, created in results) == [False] * 9 + [True]
    member = Member.objects.get()
    assert {m.pk for m, _created in results} == {member.pk}
    # and the sign-up bonus and the tier change were written once
    assert Transaction.objects.filter(kind=TransactionKind.BONUS).count() == 1
    assert TierChange.objects.count() == 1
    assert member.points_balance == 100
    assert_ledger_clean()


def test_ten_first_orders_of_the_same_new_customer_at_once_create_one_member(assert_ledger_clean):
    # given a program with a sign-up bonus and an entry tier, and a customer it has never seen
    program = _program_with_sign_up_and_tiers()

    def order(n: int):
        return lambda: order_record(
            program=program,
            order_id=f"o-{n}",
            customer_id="new",
            email="new@example.com",
            subtotal=Decimal("10.00"),
            currency="USD",
        )

    # when ten different orders of theirs arrive at once
    results = run_together([order(n) for n in range(10)])

    # then every order is recorded, for one member who got the sign-up bonus once
    assert [r for r in results if isinstance(r, Exception)] == []
    member = Member.objects.get()
    assert {r.member.pk for r in results} == {member.pk}
    assert Order.objects.filter(member=member).count() == 10 and member.orders_count == 10
    assert Transaction.objects.filter(kind=TransactionKind.BONUS).count() == 1
    assert TierChange.objects.count() == 1
    assert member.points_balance == 100 + 10 * 10
    assert_ledger_clean()
