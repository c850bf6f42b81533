from datetime import timedelta

import pytest
from django.utils import timezone

from loyalty.choices import RewardType
from loyalty.errors import IdempotencyConflict, InsufficientPoints
from members.models import Member, Transaction
from rewards.choices import FulfilmentStatus, RedemptionStatus, VoucherStatus
from rewards.codes import VOUCHER_CODE_RE
from rewards.errors import (
    LimitReached,
    OutOfStock,
    RewardExpired,
    RewardInactive,
    TierRequired,
    VariableReward,
)
from rewards.models import Redemption, Reward, Voucher
from rewards.services.redemptions import redemption_cancel, reward_redeem
from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import REWARD_TYPE_FIELDS, member_with_points, reward_of_type

pytestmark = pytest.mark.django_db


def _written() -> tuple[int, int, int]:
    return Redemption.objects.count(), Voucher.objects.count(), Transaction.objects.count()


@pytest.mark.parametrize("reward_type", list(REWARD_TYPE_FIELDS))
def test_every_reward_type_debits_the_ledger_and_issues_a_code_worth_the_reward(
    program, reward_type, assert_ledger_clean
):
    # given
    member = member_with_points(program, 1000)
    reward = reward_of_type(program, reward_type, points_cost=300, min_subtotal="20.00", code_expiry_days=30)

    # when
    redemption, created = reward_redeem(member=member, reward=reward)

    # then
    assert created
    assert redemption.points_spent == 300
    assert Member.objects.get(pk=member.pk).points_balance == 700
    debit = Transaction.objects.get(idempotency_key=f"redemption:{redemption.pk}")
    assert (debit.kind, debit.points, debit.source) == ("redeem", -300, "redemption")
    voucher = redemption.voucher
    assert VOUCHER_CODE_RE.match(voucher.code)
    assert (voucher.type, voucher.value, voucher.product_id) == (reward_type, reward.value, reward.product_id)
    assert str(voucher.min_subtotal) == "20.00"
    assert voucher.expires_at == redemption.created_at + timedelta(days=30)
    assert voucher.status == VoucherStatus.ACTIVE
    expected_fulfilment = (
        FulfilmentStatus.PENDING
        if reward_type in (RewardType.PHYSICAL, RewardType.EXPERIENCE)
        else FulfilmentStatus.NOT_REQUIRED
    )
    assert redemption.fulfilment_status == expected_fulfilment
    assert_ledger_clean()


def test_stock_is_taken_one_unit_per_redemption(program):
    # given
    member = member_with_points(program, 1000)
    reward = RewardFactory(program=program, points_cost=100, stock=2)

    # when
    reward_redeem(member=member, reward=reward)

    # then
    assert Reward.objects.get(pk=reward.pk).stock == 1


def test_a_code_without_expiry_days_never_expires(program):
    # given
    member = member_with_points(program, 500)
    reward = RewardFactory(program=program, points_cost=500, code_expiry_days=None)

    # when
    redemption, _ = reward_redeem(member=member, reward=reward)

    # then
    assert redemption.voucher.expires_at is None


def _refusal_cases(program):
    now = timezone.now()
    gold = TierFactory(program=program, key="gold", position=5, threshold=1000)
    green = TierFactory(program=program, key="green", position=1, threshold=500)
    return {
        "insufficient_points": (member_with_points(program, 499), RewardFactory(program=program, points_cost=500)),
        "out_of_stock": (member_with_points(program, 1000), RewardFactory(program=program, stock=0)),
        "tier_required": (member_with_points(program, 1000, tier=green), RewardFactory(program=program, min_tier=gold)),
        "tier_required_without_tier": (
            member_with_points(program, 1000),
            RewardFactory(program=program, min_tier=gold),
        ),
        "reward_inactive": (member_with_points(program, 1000), RewardFactory(program=program, active=False)),
        "reward_not_started": (
            member_with_points(program, 1000),
            RewardFactory(program=program, starts_at=now + timedelta(days=1)),
        ),
        "reward_expired": (
            member_with_points(program, 1000),
            RewardFactory(program=program, ends_at=now - timedelta(seconds=1)),
        ),
    }


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("insufficient_points", InsufficientPoints, "insufficient_points"),
        ("out_of_stock", OutOfStock, "out_of_stock"),
        ("tier_required", TierRequired, "tier_required"),
        ("tier_required_without_tier", TierRequired, "tier_required"),
        ("reward_inactive", RewardInactive, "reward_inactive"),
        ("reward_not_started", RewardInactive, "reward_inactive"),
        ("reward_expired", RewardExpired, "reward_expired"),
    ],
)
def test_a_refused_redemption_writes_nothing(program, case, error, code, assert_ledger_clean):
    # given
    member, reward = _refusal_cases(program)[case]
    balance, stock, before = member.points_balance, reward.stock, _written()

    # when
    with pytest.raises(error) as refused:
        reward_redeem(member=member, reward=reward)

    # then
    assert refused.value.code == code
    assert refused.value.status == 409
    assert _written() == before
    assert Member.objects.get(pk=member.pk).points_balance == balance
    assert Reward.objects.get(pk=reward.pk).stock == stock
    assert_ledger_clean()


def test_the_limit_per_member_refuses_the_next_redemption_and_writes_nothing(program):
    # given
    member = member_with_points(program, 1000)
    reward = RewardFactory(program=program, points_cost=100, limit_per_member=2)
    reward_redeem(member=member, reward=reward)
    reward_redeem(member=member, reward=reward)
    before = _written()

    # when
    with pytest.raises(LimitReached) as refused:
        reward_redeem(member=member, reward=reward)

    # then
    assert refused.value.code == "limit_reached"
    assert _written() == before
    assert Member.objects.get(pk=member.pk).points_balance == 800


def test_the_limit_is_per_member(program):
    # given
    reward = RewardFactory(program=program, points_cost=100, limit_per_member=1)
    reward_redeem(member=member_with_points(program, 100), reward=reward)

    # when
    redemption, created = reward_redeem(member=member_with_points(program, 100), reward=reward)

    # then
    assert created and redemption.pk


def test_a_cancelled_redemption_does_not_count_toward_the_limit(program):
    # given
    member = member_with_points(program, 100)
    reward = RewardFactory(program=program, points_cost=100, limit_per_member=1)
    first, _ = reward_redeem(member=member, reward=reward)
    redemption_cancel(redemption=first)

    # when
    second, created = reward_redeem(member=member, reward=reward)

    # then
    assert created and second.pk != first.pk


def test_a_higher_or_invite_only_tier_meets_the_minimum_tier_by_position(program):
    # given
    gold = TierFactory(program=program, key="gold", position=2)
    reserve = TierFactory(program=program, key="reserve", position=3, invite_only=True, threshold=None)
    reward = RewardFactory(program=program, points_cost=100, min_tier=gold)
    at_gold = member_with_points(program, 100, tier=gold)
    at_reserve = member_with_points(program, 100, tier=reserve)

    # when
    redemptions = [reward_redeem(member=m, reward=reward)[0] for m in (at_gold, at_reserve)]

    # then
    assert [r.status for r in redemptions] == [RedemptionStatus.COMPLETED] * 2


def test_a_retry_with_the_same_idempotency_key_returns_the_first_redemption(program, assert_ledger_clean):
    # given
    member = member_with_points(program, 1000)
    reward = RewardFactory(program=program, points_cost=300)
    first, _ = reward_redeem(member=member, reward=reward, idempotency_key="checkout-1")

    # when
    again, created = reward_redeem(member=member, reward=reward, idempotency_key="checkout-1")

    # then
    assert not created
    assert again.pk == first.pk and again.voucher.code == first.voucher.code
    assert Member.objects.get(pk=member.pk).points_balance == 700
    assert_ledger_clean()


def test_the_same_idempotency_key_for_another_reward_is_a_conflict(program):
    # given
    member = member_with_points(program, 1000)
    reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100), idempotency_key="k")
    before = _written()

    # when
    with pytest.raises(IdempotencyConflict):
        reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=200), idempotency_key="k")

    # then
    assert _written() == before


def test_a_variable_reward_is_not_redeemed_at_a_fixed_cost(program):
    # given
    member = member_with_points(program, 1000)
    reward = RewardFactory(program=program, points_cost=100, variable=True)

    # when
    with pytest.raises(VariableReward) as refused:
        reward_redeem(member=member, reward=reward)

    # then
    assert refused.value.code == "reward_variable"
    assert Redemption.objects.count() == 0
