"""Donating points: a ledger debit of kind `donate` with its Donation row, `verify_ledger` clean; refusals write
nothing; concurrent donations never overdraw (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from donations.models import Donation
from donations.services.donate import points_donate
from loyalty.errors import ApplicationError
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Transaction
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from tests.conftest import postgres_only
from tests.factories import ProgramFactory
from tests.factories.donations import cause


@pytest.fixture
def shop(db):
    return ProgramFactory(point_value=Decimal("0.01"))


@pytest.fixture
def member(shop):
    member, _ = member_upsert(program=shop, customer_id="c-1", email="c1@example.com")
    points_adjust(member=member, points=1000, reason="set-up")
    return Member.objects.get(pk=member.pk)


def _counts():
    return Donation.objects.count(), Transaction.objects.filter(kind=TransactionKind.DONATE).count()


def test_a_donation_is_a_ledger_debit_with_its_money_value(shop, member, assert_ledger_clean):
    # given
    water = cause(shop)
    # when
    result = points_donate(member=member, cause=water, points=250, idempotency_key="k-1")
    # then
    donation = result.donation
    assert result.created
    assert (donation.points, donation.value, donation.cause) == (250, Decimal("2.50"), water)
    row = donation.transaction
    assert (row.kind, row.source, row.points, row.balance_after) == (
        TransactionKind.DONATE,
        TransactionSource.DONATION,
        -250,
        750,
    )
    assert Member.objects.get(pk=member.pk).points_balance == 750
    assert Member.objects.get(pk=member.pk).lifetime_points == 0  # giving is not earning (nor un-earning)
    assert_ledger_clean()
    call_command("verify_ledger")


def test_the_same_key_again_is_the_same_donation(shop, member):
    water = cause(shop)
    first = points_donate(member=member, cause=water, points=100, idempotency_key="k-1")
    again = points_donate(member=member, cause=water, points=100, idempotency_key="k-1")
    assert not again.created and again.donation == first.donation
    assert _counts() == (1, 1)
    assert Member.objects.get(pk=member.pk).points_balance == 900


def test_the_same_key_for_another_amount_is_a_conflict(shop, member):
    water = cause(shop)
    points_donate(member=member, cause=water, points=100, idempotency_key="k-1")
    with pytest.raises(ApplicationError) as refused:
        points_donate(member=member, cause=water, points=200, idempotency_key="k-1")
    assert refused.value.code == "idempotency_conflict"


@pytest.mark.parametrize(
    ("points", "code"),
    [(1001, "insufficient_points"), (0, "invalid_points"), (-5, "invalid_points"), (4, "invalid_points"),
     (1501, "invalid_points"), (True, "invalid_points")],
)  # fmt: skip
def test_refusals_write_nothing(shop, member, points, code, assert_ledger_clean):
    # given a cause taking 5 to 1,500 points at a time
    water = cause(shop, min_points=5, max_points=1500)
    # when
    with pytest.raises(ApplicationError) as refused:
        points_donate(member=member, cause=water, points=points, idempotency_key="k-1")
    # then
    assert refused.value.code == code
    assert _counts() == (0, 0)
    assert Member.objects.get(pk=member.pk).points_balance == 1000
    assert_ledger_clean()


def test_another_programs_cause_is_not_found(shop, member):
    elsewhere = cause(ProgramFactory())
    with pytest.raises(ApplicationError) as refused:
        points_donate(member=member, cause=elsewhere, points=10, idempotency_key="k-1")
    assert refused.value.code == "cause_not_found"
    assert _counts() == (0, 0)


def test_no_point_value_means_no_money_value(member):
    program = member.program
    program.point_value = None
    program.save()
    result = points_donate(
        member=Member.objects.get(pk=member.pk), cause=cause(program), points=10, idempotency_key="k"
    )
    assert result.donation.value == Decimal("0.00")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_donations_never_overdraw(assert_ledger_clean):
    # given 1,000 points and six donations of 300 at once (only three fit)
    program = ProgramFactory()
    member, _ = member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    points_adjust(member=member, points=1000, reason="set-up")
    water = cause(program)
    barrier = threading.Barrier(6)
    outcomes = []

    def give(number: int):
        try:
            barrier.wait()
            fresh = Member.objects.get(pk=member.pk)
            points_donate(member=fresh, cause=water, points=300, idempotency_key=f"k-{number}")
            outcomes.append("given")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=give, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(outcomes) == ["given"] * 3 + ["insufficient_points"] * 3
    assert Member.objects.get(pk=member.pk).points_balance == 100
    assert Donation.objects.count() == 3
    assert_ledger_clean()
