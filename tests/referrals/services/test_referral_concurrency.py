"""Races on PostgreSQL: retries and parallel requests change a referral once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from members.models import Member
from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.services.flows import member_join, order_paid
from referrals.services.fraud import referral_settings_get
from referrals.services.referrals import referral_claim
from tests.conftest import postgres_only


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:  # each thread reports how it ended
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_same_order_in_parallel_rewards_the_referrer_once(program, referrer, assert_ledger_clean):
    # given a referred friend
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # when the same paid order arrives four times at once
    outcomes = _in_threads(
        4,
        lambda _i: order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("60"), currency="USD"),
    )

    # then one created it, and the referrer got 500 points once
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sum(o.created for o in outcomes) == 1
    assert Member.objects.get(pk=referrer.pk).points_balance == 500
    assert referrer.transactions.filter(kind="referral").count() == 1
    assert_ledger_clean()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_friends_never_pass_the_monthly_cap(program, referrer):
    # given a cap of 2
    settings = referral_settings_get(program=program)
    settings.monthly_cap_per_referrer = 2
    settings.save()

    # when five friends join with the code at once
    outcomes = _in_threads(
        5,
        lambda i: member_join(
            program=program, customer_id=f"f{i}", email=f"f{i}@example.com", referral_code=referrer.referral_code
        ),
    )

    # then exactly two referrals stand, the rest are blocked by the cap
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert Referral.objects.filter(status=ReferralStatus.JOINED).count() == 2
    assert Referral.objects.filter(status=ReferralStatus.BLOCKED, block_reason="monthly_cap").count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_claims_of_one_email_make_one_referral(program, referrer):
    # given / when the same email is claimed four times at once (spelt two ways)
    emails = ["bob@gmail.com", "b.o.b@gmail.com", "bob+1@gmail.com", "BOB@gmail.com"]
    outcomes = _in_threads(4, lambda i: referral_claim(referrer=referrer, email=emails[i]))

    # then one claim exists and every request got it
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert Referral.objects.count() == 1
    assert sum(o.created for o in outcomes) == 1
    assert {o.referral.pk for o in outcomes} == {Referral.objects.get().pk}
