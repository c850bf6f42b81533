"""Completion exactly once when a member's events and orders arrive at the same moment (PostgreSQL, threads)."""

import pytest
from django.db import transaction
from django.utils import timezone

from challenges.choices import ChallengeMetric
from challenges.models import ChallengeProgress
from challenges.services.completion import challenge_complete
from members.choices import TransactionKind
from members.job_models import Notification
from members.models import Member, Transaction
from members.services.events import event_record
from members.services.members import member_upsert
from referrals.services.flows import order_paid
from tests.conftest import postgres_only
from tests.factories import ProgramFactory
from tests.factories.challenges import ChallengeFactory
from tests.members.services.test_ledger_concurrency import _errors, run_together

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_concurrent_events_complete_the_challenge_once(assert_ledger_clean):
    # given "review 3 products" and a member who has reviewed none
    program = ProgramFactory()
    challenge = ChallengeFactory(
        program=program, metric=ChallengeMetric.EVENT, event_type="review", target=3, reward_points=70
    )
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")

    # when eight reviews arrive at once
    results = run_together(
        [lambda n=n: event_record(program=program, event_id=f"e{n}", customer_id="c1", type="review") for n in range(8)]
    )

    # then nothing failed, every review counted, and the reward was given once
    assert _errors(results) == []
    progress = ChallengeProgress.objects.get(challenge=challenge, member=member)
    assert progress.completed_at is not None
    assert Transaction.objects.filter(member=member, kind=TransactionKind.CHALLENGE).count() == 1
    assert Member.objects.get(pk=member.pk).points_balance == 70
    assert Notification.objects.filter(member=member, kind="challenge_done").count() == 1
    assert_ledger_clean(program.pk)


def test_concurrent_orders_are_all_counted(assert_ledger_clean):
    # given "5 orders" and a member
    program = ProgramFactory()
    challenge = ChallengeFactory(program=program, target=5, reward_points=50)
    member_upsert(program=program, customer_id="c1", email="c1@example.com")

    # when five orders are paid at once
    results = run_together(
        [
            lambda n=n: order_paid(program=program, order_id=f"o{n}", customer_id="c1", subtotal=1, currency="USD")
            for n in range(5)
        ]
    )

    # then the last count saw all five: complete, rewarded once
    assert _errors(results) == []
    progress = ChallengeProgress.objects.get(challenge=challenge)
    assert progress.value == 5 and progress.completed_at is not None
    assert Transaction.objects.filter(kind=TransactionKind.CHALLENGE).count() == 1
    assert_ledger_clean(program.pk)


def test_the_conditional_update_lets_one_of_many_completers_win():
    # given a progress row at its target, not complete
    program = ProgramFactory()
    challenge = ChallengeFactory(program=program, target=1, reward_points=10)
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    ChallengeProgress.objects.create(program=program, member=member, challenge=challenge, value=1)

    # when six workers try to complete it at once, without the member lock: only the conditional UPDATE decides
    def complete():
        with transaction.atomic():
            fresh = Member.objects.select_related("program", "tier").get(pk=member.pk)
            return challenge_complete(member=fresh, challenge=challenge, at=timezone.now())

    results = run_together([complete] * 6)

    # then exactly one did it
    assert sorted(results) == [False] * 5 + [True]
    assert Transaction.objects.filter(kind=TransactionKind.CHALLENGE).count() == 1
