"""Redemptions racing each other on PostgreSQL: stock is never oversold, a balance never overdrawn,
a code never consumed twice. Each thread has its own connection and closes it."""

import threading
from collections import Counter

import pytest
from django.db import connection

from members.models import Member
from rewards.models import Redemption, Reward, Voucher
from rewards.services.redemptions import reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.conftest import postgres_only
from tests.factories import ProgramFactory, RewardFactory
from tests.factories.rewards import member_with_points

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _race(calls) -> Counter:
    """Run every call at once (released together by a barrier); count outcomes by error code."""
    outcomes = Counter()
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            call()
            outcome = "ok"
        except Exception as exc:  # any failure is an outcome to count
            outcome = getattr(exc, "code", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_50_members_racing_for_10_units_get_exactly_10(assert_ledger_clean):
    # given
    program = ProgramFactory()
    reward = RewardFactory(program=program, points_cost=100, stock=10)
    members = [member_with_points(program, 100) for _ in range(50)]

    # when
    outcomes = _race([lambda m=m: reward_redeem(member=m, reward=reward) for m in members])

    # then
    assert outcomes == Counter(ok=10, out_of_stock=40)
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.count() == Voucher.objects.count() == 10
    assert Voucher.objects.values("code").distinct().count() == 10
    assert sorted(Member.objects.values_list("points_balance", flat=True)) == [0] * 10 + [100] * 40
    assert_ledger_clean()


def test_20_redemptions_by_one_member_whose_balance_covers_5_give_exactly_5(assert_ledger_clean):
    # given
    program = ProgramFactory()
    reward = RewardFactory(program=program, points_cost=100)
    member = member_with_points(program, 500)

    # when
    outcomes = _race([lambda: reward_redeem(member=member, reward=reward) for _ in range(20)])

    # then
    assert outcomes == Counter(ok=5, insufficient_points=15)
    assert Member.objects.get(pk=member.pk).points_balance == 0
    assert Redemption.objects.filter(member=member).count() == 5
    assert_ledger_clean()


def test_one_member_racing_for_a_limited_reward_gets_the_limit(assert_ledger_clean):
    # given
    program = ProgramFactory()
    reward = RewardFactory(program=program, points_cost=100, limit_per_member=2)
    member = member_with_points(program, 1000)

    # when
    outcomes = _race([lambda: reward_redeem(member=member, reward=reward) for _ in range(10)])

    # then
    assert outcomes == Counter(ok=2, limit_reached=8)
    assert Member.objects.get(pk=member.pk).points_balance == 800
    assert_ledger_clean()


def test_one_code_consumed_at_10_checkouts_at_once_is_used_once():
    # given
    program = ProgramFactory()
    member = member_with_points(program, 100)
    redemption, _ = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100))
    code = redemption.voucher.code

    # when
    outcomes = _race(
        [lambda n=n: voucher_consume(voucher=Voucher.objects.get(code=code), order_id=f"o-{n}") for n in range(10)]
    )

    # then
    assert outcomes == Counter(ok=1, already_used=9)
    assert Voucher.objects.get(code=code).status == "used"


def test_retries_with_one_idempotency_key_redeem_once(assert_ledger_clean):
    # given
    program = ProgramFactory()
    reward = RewardFactory(program=program, points_cost=100)
    member = member_with_points(program, 1000)

    # when
    outcomes = _race(
        [lambda: reward_redeem(member=member, reward=reward, idempotency_key="checkout-7") for _ in range(8)]
    )

    # then
    assert outcomes == Counter(ok=8)
    assert Redemption.objects.count() == 1
    assert Member.objects.get(pk=member.pk).points_balance == 900
    assert_ledger_clean()
