"""Challenge progress from paid orders and events, window boundaries, completion once, rewards."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from challenges.choices import ChallengeMetric
from challenges.models import ChallengeProgress
from members.choices import TransactionKind
from members.job_models import Notification, NotificationKind
from members.models import Member, Transaction
from referrals.services.flows import order_refunded
from rewards.models import Voucher
from tests.factories import RewardFactory
from tests.factories.challenges import ChallengeFactory

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
JAN_1 = datetime(2027, 1, 1, tzinfo=UTC)


def _progress(member, challenge):
    return ChallengeProgress.objects.filter(member=member, challenge=challenge).first()


def test_orders_in_the_window_count_and_the_third_completes(program, pay, assert_ledger_clean):
    # given "3 orders in December" worth 100 points
    challenge = ChallengeFactory(program=program, starts_at=DEC_1, ends_at=JAN_1, target=3, reward_points=100)
    # when the member pays two orders in December
    pay("o1", "10", placed_at=DEC_1 + timedelta(days=1))
    pay("o2", "10", placed_at=DEC_1 + timedelta(days=2))
    member = Member.objects.get(program=program, customer_id="c1")
    # then the progress is 2 of 3, not complete
    progress = _progress(member, challenge)
    assert progress.value == 2 and progress.completed_at is None
    # when a third order is paid in December
    result = pay("o3", "10", placed_at=DEC_1 + timedelta(days=3))
    # then the challenge is complete, rewarded once with challenge points that count as earned
    progress.refresh_from_db()
    assert progress.completed_at is not None
    rows = Transaction.objects.filter(member=member, kind=TransactionKind.CHALLENGE)
    assert [(r.points, r.idempotency_key) for r in rows] == [(100, f"challenge:{challenge.pk}:{member.pk}")]
    assert result.member.points_balance == 130  # the answer's member includes the reward
    member.refresh_from_db()
    assert member.lifetime_points == 130
    assert_ledger_clean(program.pk)


def test_window_boundaries_start_inclusive_end_exclusive(program, pay):
    # given a December challenge of 2 orders
    challenge = ChallengeFactory(program=program, starts_at=DEC_1, ends_at=JAN_1, target=2)
    # when orders are placed a microsecond before the start, exactly at the start, and exactly at the end
    pay("before", placed_at=DEC_1 - timedelta(microseconds=1))
    pay("at-start", placed_at=DEC_1)
    pay("at-end", placed_at=JAN_1)
    # then only the one at the start counts
    progress = ChallengeProgress.objects.get(challenge=challenge)
    assert progress.value == 1 and progress.completed_at is None


def test_spend_sums_subtotals_in_the_window(program, pay):
    # given "spend 200 this quarter"
    challenge = ChallengeFactory(
        program=program, metric=ChallengeMetric.SPEND, target=200, starts_at=DEC_1, ends_at=JAN_1
    )
    # when the member spends 120.50 then 79.49 (199.99), then 0.01
    pay("o1", "120.50", placed_at=DEC_1)
    pay("o2", "79.49", placed_at=DEC_1 + timedelta(hours=1))
    progress = ChallengeProgress.objects.get(challenge=challenge)
    assert progress.value == Decimal("199.99") and progress.completed_at is None
    pay("o3", "0.01", placed_at=DEC_1 + timedelta(hours=2))
    # then it completes at exactly 200
    progress.refresh_from_db()
    assert progress.value == Decimal("200.00") and progress.completed_at is not None


def test_a_retried_order_counts_once(program, pay):
    # given a milestone of 2 orders
    challenge = ChallengeFactory(program=program, target=2)
    # when the same order is delivered three times
    for _ in range(3):
        pay("o1")
    # then it counted once
    assert ChallengeProgress.objects.get(challenge=challenge).value == 1


def test_events_of_the_matching_type_count(program, join, happen, assert_ledger_clean):
    # given "review 2 products" rewarded with a voucher and 50 points
    reward = RewardFactory(program=program, name="5 off", code_expiry_days=30)
    challenge = ChallengeFactory(
        program=program,
        metric=ChallengeMetric.EVENT,
        event_type="product_reviewed",
        target=2,
        reward=reward,
        reward_points=50,
    )
    member = join("c1")
    # when the member reviews once, follows the shop, reviews again, and a replayed review arrives
    happen("e1", "product_reviewed")
    happen("e2", "social_follow")
    result = happen("e3", "product_reviewed")
    happen("e3", "product_reviewed")
    # then the challenge completed once: points, one voucher of the reward, one email queued
    progress = ChallengeProgress.objects.get(challenge=challenge, member=member)
    assert progress.value == 2 and progress.completed_at is not None
    assert result.member.points_balance == 50
    vouchers = Voucher.objects.filter(member=member)
    assert [(v.name, v.reward_id, v.source) for v in vouchers] == [("5 off", reward.pk, "challenge")]
    assert vouchers[0].expires_at is not None
    mails = Notification.objects.filter(member=member, kind=NotificationKind.CHALLENGE_COMPLETED)
    assert [(n.key, n.context["points"], n.context["code"]) for n in mails] == [
        (f"challenge_done:{challenge.pk}:{member.pk}", 50, vouchers[0].code)
    ]
    assert_ledger_clean(program.pk)


def test_events_outside_the_window_do_not_count(program, join, happen):
    challenge = ChallengeFactory(
        program=program, metric=ChallengeMetric.EVENT, event_type="review", target=1, starts_at=DEC_1, ends_at=JAN_1
    )
    join("c1")
    happen("e1", "review", occurred_at=JAN_1)
    assert not ChallengeProgress.objects.filter(challenge=challenge).exists()
    happen("e2", "review", occurred_at=JAN_1 - timedelta(seconds=1))
    assert ChallengeProgress.objects.get(challenge=challenge).completed_at is not None


def test_milestone_counts_orders_before_it_was_created_and_completes_once(program, pay):
    # given three orders already paid
    for n in range(3):
        pay(f"o{n}")
    # when a "4th order" milestone is created and a fourth, then a fifth order is paid
    challenge = ChallengeFactory(program=program, target=4, reward_points=40)
    pay("o3")
    pay("o4")
    # then it completed once, with the value frozen at completion
    progress = ChallengeProgress.objects.get(challenge=challenge)
    assert progress.value == 4 and progress.completed_at is not None
    assert Transaction.objects.filter(kind=TransactionKind.CHALLENGE).count() == 1


def test_refund_after_completion_keeps_it_complete(program, pay, assert_ledger_clean):
    # given a completed "1 order" challenge
    challenge = ChallengeFactory(program=program, target=1, reward_points=25)
    pay("o1", "10")
    # when the order is refunded in full
    order_refunded(program=program, order_id="o1", refund_id="r1", amount=Decimal("10"))
    # then the challenge stays complete and its points stay
    progress = ChallengeProgress.objects.get(challenge=challenge)
    assert progress.completed_at is not None
    assert Transaction.objects.filter(kind=TransactionKind.CHALLENGE, points=25).count() == 1
    assert_ledger_clean(program.pk)


def test_inactive_and_other_programs_challenges_are_ignored(program, pay):
    # given an inactive challenge here and an active one in another program
    inactive = ChallengeFactory(program=program, target=1, active=False)
    elsewhere = ChallengeFactory(target=1)
    # when an order is paid here
    pay("o1")
    # then neither moved
    assert not ChallengeProgress.objects.filter(challenge__in=[inactive, elsewhere]).exists()


def test_no_active_challenge_costs_no_query(program, pay, django_assert_num_queries):
    # given a program without challenges whose (empty) list is cached
    from challenges.services.live import challenges_active
    from challenges.services.progress import challenges_progress_after_order

    result = pay("o1")
    challenges_active(program_id=program.pk)
    # when the progress step runs for an order
    with django_assert_num_queries(0):
        challenges_progress_after_order(member=result.member, order=result.order)


def test_saving_a_challenge_refreshes_the_cached_list(program, pay):
    from challenges.services.live import challenges_active

    assert challenges_active(program_id=program.pk) == []
    challenge = ChallengeFactory(program=program, target=1)
    assert challenges_active(program_id=program.pk) == [challenge]
    challenge.active = False
    challenge.save()
    assert challenges_active(program_id=program.pk) == []


def test_completion_email_renders_in_the_programs_language(program, pay):
    from members.notifications.sending import notification_message

    # given an Arabic program and a challenge with an Arabic name, completed
    program.locale = "ar"
    program.save()
    ChallengeFactory(
        program=program, target=1, reward_points=100, name="First order", translations={"ar": {"name": "الطلب الأول"}}
    )
    pay("o1")
    # when its email is built
    notification = Notification.objects.get(kind=NotificationKind.CHALLENGE_COMPLETED)
    message = notification_message(notification)
    # then it names the challenge in Arabic, with an Arabic subject
    assert "الطلب الأول" in message.subject
    assert "الطلب الأول" in message.body and "100" in message.body
